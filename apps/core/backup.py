"""Backup and restore of the whole platform: one PostgreSQL dump and the media files.

What a backup holds (a directory):
- ``database.dump``: ``pg_dump --format=custom`` of the database, every schema (public and
  each tenant's) in one consistent snapshot;
- ``media.tar.gz``: everything under ``MEDIA_ROOT`` (recordings, prompts, imports, exports),
  when files are on local disk; with S3-compatible storage the bucket's own versioning and
  replication are the backup and this file is left out (docs/operations.md);
- ``manifest.json``: when, from which database, the tenants it holds and the SHA-256 of each
  file, checked before anything is restored.

The dump is taken first and the media second: a recording written in between has its file but
no row (harmless), never a row without its file. Restore goes into a *new, empty* database
(never over a live one) and a media directory, so the operator checks it before switching.
The PostgreSQL client tools come from ``PG_BIN_DIR``, else the embedded server's own
(``pgserver``), else ``PATH``; ``pg_dump`` must not be older than the server.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.utils import timezone

DUMP = "database.dump"
MEDIA = "media.tar.gz"
MANIFEST = "manifest.json"


class BackupError(Exception):
    """A backup or restore step failed; the message says which and why."""


def pg_tool(name: str) -> str:
    candidates = []
    bin_dir = getattr(settings, "PG_BIN_DIR", "")
    if bin_dir:
        candidates.append(Path(bin_dir) / name)
    try:
        import pgserver  # noqa: PLC0415 — optional: only the embedded mode ships it

        candidates.append(Path(pgserver.__file__).parent / "pginstall" / "bin" / name)
    except ImportError:
        pass
    for candidate in candidates:
        if candidate.exists():
            return str(candidate)
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} not found: install the PostgreSQL client tools or set PG_BIN_DIR")
    return found


def _server_args() -> tuple[list[str], dict[str, str]]:
    """``--host/--port/--username`` of the configured database, and PGPASSWORD in the environment."""
    config = connection.settings_dict
    args = []
    if config.get("HOST"):
        args += ["--host", str(config["HOST"])]
    if config.get("PORT"):
        args += ["--port", str(config["PORT"])]
    if config.get("USER"):
        args += ["--username", str(config["USER"])]
    environment = dict(os.environ)
    if config.get("PASSWORD"):
        environment["PGPASSWORD"] = str(config["PASSWORD"])
    return args, environment


def _run(command: list[str], environment: dict[str, str], what: str) -> None:
    result = subprocess.run(command, env=environment, capture_output=True, text=True, timeout=6 * 3600)  # noqa: S603
    if result.returncode != 0:
        raise BackupError(f"{what} failed: {result.stderr.strip()[-2000:]}")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _tenant_schemas() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT schema_name FROM tenants_tenant WHERE schema_name <> 'public' ORDER BY schema_name")
        return [row[0] for row in cursor.fetchall()]


@dataclass
class BackupResult:
    directory: Path
    manifest: dict


def backup_create(*, directory: Path, media_root: Path | None = None) -> BackupResult:
    """Write a backup of the database and the media files into ``directory`` (created; must be empty)."""
    directory.mkdir(parents=True, exist_ok=True)
    if any(directory.iterdir()):
        raise BackupError(f"{directory} is not empty")
    args, environment = _server_args()
    database = str(connection.settings_dict["NAME"])
    dump = [pg_tool("pg_dump"), "--format=custom", "--no-owner", "--file", str(directory / DUMP), *args, database]
    _run(dump, environment, "pg_dump")
    files = {DUMP: _sha256(directory / DUMP)}
    media_root = media_root if media_root is not None else Path(settings.MEDIA_ROOT)
    if media_root.is_dir():
        with tarfile.open(directory / MEDIA, "w:gz") as archive:
            archive.add(media_root, arcname="media")
        files[MEDIA] = _sha256(directory / MEDIA)
    manifest = {
        "created_at": timezone.now().isoformat(),
        "database": str(connection.settings_dict["NAME"]),
        "tenant_schemas": _tenant_schemas(),
        "files": files,
    }
    (directory / MANIFEST).write_text(json.dumps(manifest, indent=2))
    return BackupResult(directory, manifest)


def backup_verify(directory: Path) -> dict:
    """The manifest, after checking every file it names is there with its checksum."""
    try:
        manifest = json.loads((directory / MANIFEST).read_text())
    except (OSError, ValueError) as error:
        raise BackupError(f"no readable {MANIFEST} in {directory}: {error}") from error
    for name, expected in manifest["files"].items():
        path = directory / name
        if not path.exists() or _sha256(path) != expected:
            raise BackupError(f"{name} is missing or damaged (checksum mismatch)")
    return manifest


def backup_restore(*, directory: Path, database: str, media_root: Path | None = None) -> dict:
    """Restore ``directory`` into the new database ``database`` and (if given) ``media_root``."""
    manifest = backup_verify(directory)
    args, environment = _server_args()
    _run([pg_tool("createdb"), *args, database], environment, f"createdb {database} (it must not exist yet)")
    _run(
        [
            pg_tool("pg_restore"),
            "--no-owner",
            "--exit-on-error",
            "--single-transaction",
            *args,
            "--dbname",
            database,
            str(directory / DUMP),
        ],
        environment,
        "pg_restore",
    )
    if media_root is not None and MEDIA in manifest["files"]:
        media_root.mkdir(parents=True, exist_ok=True)
        with tarfile.open(directory / MEDIA, "r:gz") as archive:
            for member in archive.getmembers():
                if not member.name.startswith("media") or not (member.isfile() or member.isdir()):
                    raise BackupError(f"unexpected entry in {MEDIA}: {member.name}")
                relative = Path(member.name).relative_to("media")
                if ".." in relative.parts:
                    raise BackupError(f"unsafe path in {MEDIA}: {member.name}")
                target = media_root / relative
                if member.isdir():
                    target.mkdir(parents=True, exist_ok=True)
                else:
                    target.parent.mkdir(parents=True, exist_ok=True)
                    with archive.extractfile(member) as source, target.open("wb") as sink:  # type: ignore[union-attr]
                        shutil.copyfileobj(source, sink)
    return manifest
