"""The engine store's write-ahead outbox: one append-only file per engine process and tenant.

Why a file (docs/decisions/0009-engine-outbox-and-leases.md): the store must keep what the
controller reported while PostgreSQL is unreachable, and must not lose it when the engine
process dies. A local file survives both (a ``write`` reaches the kernel before the store
applies the entry, so even SIGKILL loses nothing; ``fsync`` once per batch bounds a machine
crash to one batch), needs no other server (Redis is the thing the realtime tests kill), and
costs a system call per entry.

Format: JSON lines ``{"s": seq, "o": op, "p": payload}``; datetimes are written as
``{"$dt": iso}``. A torn last line (the process died mid-write) is ignored on replay.

Ownership: the file lives at ``<ENGINE_OUTBOX_DIR>/<schema>-<tenant id>/<outbox id>.jsonl`` and its owner
holds an exclusive ``flock`` on it while alive. The kernel drops the lock when the process
dies, so an engine that takes the tenant over knows the file is an orphan when it can lock it,
replays it through the tenant's :class:`~apps.telephony.models.EngineStoreCursor` (nothing twice)
and deletes it.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from django.conf import settings

logger = logging.getLogger(__name__)

TRUNCATE_ABOVE = 256 * 1024  # bytes: once everything is applied, a larger file starts again empty


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"$dt": value.isoformat()}
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _hook(value: dict) -> Any:
    if len(value) == 1 and "$dt" in value:
        return datetime.fromisoformat(value["$dt"])
    return value


def encode(seq: int, op: str, payload: dict) -> bytes:
    return json.dumps({"s": seq, "o": op, "p": payload}, default=_default, separators=(",", ":")).encode() + b"\n"


def decode(line: bytes) -> tuple[int, str, dict]:
    entry = json.loads(line, object_hook=_hook)
    return entry["s"], entry["o"], entry["p"]


def outbox_root() -> Path:
    """``settings.ENGINE_OUTBOX_DIR``, else the ``ENGINE_OUTBOX_DIR`` environment variable, else
    ``.data/engine-outbox`` beside the embedded servers. Local disk of the engine's host (or a
    volume shared by the hosts that may take each other's tenants over)."""
    configured = getattr(settings, "ENGINE_OUTBOX_DIR", None) or os.environ.get("ENGINE_OUTBOX_DIR")
    return Path(configured) if configured else Path(settings.BASE_DIR) / ".data" / "engine-outbox"


def tenant_key(tenant) -> str:
    """The tenant's folder: schema and id, so that a tenant deleted and signed up again under the
    same name never gets the outboxes of the old one."""
    return f"{tenant.schema_name}-{tenant.pk}"


def outbox_dir(key: str) -> Path:
    return outbox_root() / key


class Outbox:
    """This engine's outbox for one tenant; :meth:`append` from the event loop only."""

    def __init__(self, key: str, outbox_id: str, directory: Path | None = None) -> None:
        self.outbox_id = outbox_id
        self.directory = directory or outbox_dir(key)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.path = self.directory / f"{outbox_id}.jsonl"
        self.fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        self.size = os.fstat(self.fd).st_size

    def append(self, seq: int, op: str, payload: dict) -> None:
        line = encode(seq, op, payload)
        os.write(self.fd, line)
        self.size += len(line)

    def sync(self) -> None:
        """Make what was appended survive a machine crash (called from the store's worker)."""
        with contextlib.suppress(OSError):
            os.fsync(self.fd)

    def truncate_if_done(self) -> None:
        """Everything appended is applied: a large file starts again (sequence numbers go on)."""
        if self.size > TRUNCATE_ABOVE:
            os.ftruncate(self.fd, 0)
            self.size = 0

    def close(self, *, remove: bool) -> None:
        """``remove``: everything was applied. Otherwise the file stays for whoever takes over."""
        if self.fd < 0:
            return
        if remove:
            with contextlib.suppress(FileNotFoundError):
                self.path.unlink()
        os.close(self.fd)  # releases the flock
        self.fd = -1


def read_entries(path: Path) -> list[tuple[int, str, dict]]:
    entries = []
    with path.open("rb") as file:
        for number, line in enumerate(file, 1):
            if not line.endswith(b"\n"):
                logger.warning("engine outbox %s: torn last line %d ignored", path.name, number)
                break
            try:
                entries.append(decode(line))
            except (ValueError, KeyError):
                logger.error("engine outbox %s: line %d is unreadable, skipped", path.name, number)
    return entries


@contextlib.contextmanager
def orphan(path: Path) -> Iterator[bool]:
    """Lock an outbox file whose owner may be gone: yields True when it is an orphan (locked now,
    until the block ends), False when its owner is alive."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        yield False
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)


def orphan_paths(key: str, *, exclude: str | None = None) -> list[Path]:
    """Outbox files of the tenant ``key`` (:func:`tenant_key`) other than ``exclude`` (oldest first)."""
    directory = outbox_dir(key)
    if not directory.is_dir():
        return []
    paths = [path for path in directory.glob("*.jsonl") if path.stem != exclude]
    return sorted(paths, key=lambda path: path.stat().st_mtime)
