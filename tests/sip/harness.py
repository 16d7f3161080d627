"""The SIP plane on loopback, for the tests in tests/sip and for bench/sip_load.py.

Both start the same processes the same way — the routing endpoint (daphne), rtpengine and
Kamailio rendered from settings on free loopback ports, every process in its own process
group — so that code lives once, here. It is test code, so it lives under ``tests/`` rather
than in ``apps/`` (nothing in production starts a plane this way: deploy/ and the Procfiles
do); the bench puts the repository root on ``sys.path`` (it already does, to import the
project) and imports it as ``tests.sip.harness``.

No pytest here (the bench runs without it): skipping on missing binaries and the fixtures
stay in ``tests/sip/conftest.py``. Django must be set up before this module is imported
(``apps.sip.plane`` reads settings), as pytest-django and the bench both do.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from django.db import connection

from apps.sip.plane import (
    SipPlane,
    kamailio_command,
    kamailio_database,
    kamailio_environment,
    plane_from_settings,
    render,
)

BINARIES = ("kamailio", "rtpengine", "sipp")
WAIT_SECONDS = 20
PORT_NAMES = ("sip", "ws", "routing", "engine", "ng")


def wait_for(predicate: Callable[[], bool], what: str, seconds: float = WAIT_SECONDS) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def free_port() -> int:
    """A port free for both UDP and TCP on loopback (SIP listens on both), taken from 10000–19999:
    below the kernel's ephemeral range (32768+) and rtpengine's blocks (20000+, free_port_range).
    A port the kernel handed out (port 0) could be handed out again to some process's outgoing UDP
    socket before the test binds it — Kamailio's, sipp's — and the engine's bind then failed with
    "Address already in use" (seen on a loaded 2-core machine)."""
    for _attempt in range(200):
        port = 10000 + uuid.uuid4().int % 10000
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
            try:
                tcp.bind(("127.0.0.1", port))
            except OSError:
                continue
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                try:
                    udp.bind(("127.0.0.1", port))
                except OSError:
                    continue
                return port
    raise RuntimeError("no free port")


def free_port_range(size: int, *, slots: int = 1500) -> tuple[int, int]:
    """A block of UDP ports for rtpengine's media (checked free now; kernel ports stay below it).
    The block starts at 20000 + 20 × a random slot below ``slots`` (the bench's large blocks
    take fewer slots so they end below the kernel's ephemeral range)."""
    for _attempt in range(50):
        start = 20000 + (uuid.uuid4().int % slots) * 20
        sockets = []
        try:
            for port in range(start, start + size):
                udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                sockets.append(udp)
                udp.bind(("127.0.0.1", port))
            return start, start + size - 1
        except OSError:
            continue
        finally:
            for udp in sockets:
                udp.close()
    raise RuntimeError("no free port range")


def group_cpu(pgid: int) -> float:
    """User + system CPU seconds of every live process in group ``pgid`` (from /proc)."""
    ticks = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[2]) == pgid:  # fields after the name: state, ppid, pgrp, …, utime(11), stime(12)
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


@dataclass
class Process:
    name: str
    popen: subprocess.Popen
    log: Path

    def tail(self, lines: int = 40) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        return ""

    def stop(self) -> None:
        if self.popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout=5)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait(timeout=5)

    def cpu_seconds(self) -> float:
        """User + system CPU of every process in this one's group (Kamailio forks its workers)."""
        return group_cpu(self.popen.pid)


def start(name: str, command: list[str], directory: Path, env: dict[str, str] | None = None) -> Process:
    """``command`` in its own process group, its output in ``<directory>/<name>.log``."""
    log = directory / f"{name}.log"
    with log.open("wb") as handle:
        popen = subprocess.Popen(  # noqa: S603 - fixed binaries
            command,
            stdout=handle,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=directory,
            env=env,
            start_new_session=True,
        )
    return Process(name, popen, log)


def sip_options_ok(port: int) -> bool:
    """Kamailio answers an OPTIONS to itself with 200 once it is up."""
    branch = uuid.uuid4().hex
    message = (
        f"OPTIONS sip:127.0.0.1:{port} SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK{branch};rport\r\n"
        f"From: <sip:probe@127.0.0.1>;tag={branch[:8]}\r\nTo: <sip:127.0.0.1:{port}>\r\n"
        f"Call-ID: {branch}\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
    )
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        udp.settimeout(0.3)
        udp.bind(("127.0.0.1", 0))
        udp.sendto(message.encode(), ("127.0.0.1", port))
        try:
            reply = udp.recv(4096)
        except OSError:
            return False
    return reply.startswith(b"SIP/2.0 200")


def rtpengine_pong(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        udp.settimeout(0.3)
        udp.sendto(b"probe d7:command4:pinge", ("127.0.0.1", port))
        try:
            return b"pong" in udp.recv(4096)
        except OSError:
            return False


def http_ok(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.3) as sock:
            sock.sendall(b"GET /sip/health HTTP/1.1\r\nHost: routing\r\nConnection: close\r\n\r\n")
            return sock.recv(64).startswith(b"HTTP/1.1 200")
    except OSError:
        return False


def database_url(settings_dict: dict) -> str:
    user = quote(settings_dict.get("USER") or "postgres")
    password = quote(settings_dict.get("PASSWORD") or "")
    host = settings_dict.get("HOST") or ""
    port = settings_dict.get("PORT") or ""
    name = settings_dict["NAME"]
    if host.startswith("/"):
        return f"postgresql://{user}:{password}@/{name}?host={quote(host)}"
    return f"postgresql://{user}:{password}@{host}{':' + str(port) if port else ''}/{name}"


def render_plane(
    directory: Path, *, rtp_ports: int, rtp_slots: int = 1500, extra_ports: tuple[str, ...] = (), **overrides: Any
) -> tuple[SipPlane, dict[str, int]]:
    """The plane's configuration rendered into ``directory`` on free loopback ports (and
    ``extra_ports`` picked for the caller); Kamailio uses the current database."""
    ports = {name: free_port() for name in (*PORT_NAMES, *extra_ports)}
    rtp_min, rtp_max = free_port_range(rtp_ports, slots=rtp_slots)
    plane = plane_from_settings(
        sip_port=ports["sip"],
        ws_port=ports["ws"],
        routing_port=ports["routing"],
        engine_port=ports["engine"],
        rtpengine_ng_port=ports["ng"],
        rtp_port_min=rtp_min,
        rtp_port_max=rtp_max,
        runtime_dir=directory,
        database=kamailio_database(connection.settings_dict, url=""),
        **overrides,
    )
    render(plane)
    return plane, ports


def start_kamailio(plane: SipPlane) -> Process:
    process = start(
        "kamailio", kamailio_command(plane), plane.runtime_dir, env=kamailio_environment(plane, dict(os.environ))
    )
    try:
        wait_for(lambda: sip_options_ok(plane.sip_port), "kamailio")
    except AssertionError:
        process.stop()
        raise AssertionError(f"kamailio did not start:\n{process.tail()}") from None
    return process


def start_plane(
    plane: SipPlane,
    processes: dict[str, Process],
    *,
    routing_env: dict[str, str],
    routing_wait: float = WAIT_SECONDS,
) -> None:
    """Start the routing endpoint, rtpengine and Kamailio, in that order, each entered in
    ``processes`` as soon as it runs (so the caller's ``finally`` stops whatever did start), and
    wait until each answers."""
    directory = plane.runtime_dir
    daphne = str(Path(sys.executable).parent / "daphne")
    routing = [daphne, "-b", "127.0.0.1", "-p", str(plane.routing_port), "apps.sip.asgi:application"]
    processes["routing"] = start("routing", routing, directory, env=routing_env)
    processes["rtpengine"] = start("rtpengine", ["rtpengine", f"--config-file={plane.rtpengine_conf}"], directory)
    wait_for(lambda: rtpengine_pong(plane.rtpengine_ng_port), "rtpengine")
    processes["kamailio"] = start_kamailio(plane)
    wait_for(lambda: http_ok(plane.routing_port), "the routing endpoint", routing_wait)
