"""rtpengine's ng control protocol: bencoded dictionaries over UDP, each prefixed by a cookie.

One :class:`NgClient` per process; requests are matched to replies by cookie and retried a few
times (UDP), so a lost datagram costs a retry instead of a stuck call.
"""

from __future__ import annotations

import asyncio
import itertools
import os
from typing import Any


class NgError(Exception):
    """rtpengine refused a command or did not answer."""


def bencode(value: Any) -> bytes:
    if isinstance(value, bool):
        value = int(value)
    if isinstance(value, int):
        return b"i%de" % value
    if isinstance(value, str):
        value = value.encode()
    if isinstance(value, bytes | bytearray):
        return b"%d:%s" % (len(value), bytes(value))
    if isinstance(value, list | tuple):
        return b"l" + b"".join(bencode(item) for item in value) + b"e"
    if isinstance(value, dict):
        items = sorted((key.encode() if isinstance(key, str) else key, item) for key, item in value.items())
        return b"d" + b"".join(bencode(key) + bencode(item) for key, item in items) + b"e"
    raise TypeError(f"cannot bencode {type(value).__name__}")


def bdecode(data: bytes) -> Any:
    value, end = _decode(data, 0)
    if end != len(data):
        raise ValueError("trailing data after bencoded value")
    return value


def _decode(data: bytes, index: int) -> tuple[Any, int]:
    lead = data[index : index + 1]
    if lead == b"i":
        end = data.index(b"e", index)
        return int(data[index + 1 : end]), end + 1
    if lead == b"l":
        items, index = [], index + 1
        while data[index : index + 1] != b"e":
            item, index = _decode(data, index)
            items.append(item)
        return items, index + 1
    if lead == b"d":
        result, index = {}, index + 1
        while data[index : index + 1] != b"e":
            key, index = _decode(data, index)
            item, index = _decode(data, index)
            result[key] = item
        return result, index + 1
    if lead.isdigit():
        colon = data.index(b":", index)
        length = int(data[index:colon])
        start = colon + 1
        raw = data[start : start + length]
        try:
            return raw.decode(), start + length
        except UnicodeDecodeError:
            return raw, start + length
    raise ValueError(f"bad bencode at {index}")


class _Protocol(asyncio.DatagramProtocol):
    def __init__(self, client: NgClient) -> None:
        self.client = client

    def datagram_received(self, data: bytes, addr: tuple) -> None:
        self.client._received(data)


class NgClient:
    def __init__(self, address: str, port: int, *, timeout: float = 1.0, retries: int = 3) -> None:
        self.target = (address, port)
        self.timeout = timeout
        self.retries = retries
        self.transport: asyncio.DatagramTransport | None = None
        self._pending: dict[bytes, asyncio.Future] = {}
        self._prefix = os.urandom(4).hex().encode()
        self._counter = itertools.count(1)

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self.transport, _ = await loop.create_datagram_endpoint(lambda: _Protocol(self), remote_addr=self.target)

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()
            self.transport = None
        for future in self._pending.values():
            if not future.done():
                future.set_exception(NgError("ng client closed"))
        self._pending.clear()

    def _received(self, data: bytes) -> None:
        cookie, _, payload = data.partition(b" ")
        future = self._pending.pop(cookie, None)
        if future is None or future.done():
            return
        try:
            future.set_result(bdecode(payload))
        except ValueError as error:
            future.set_exception(NgError(f"undecodable ng reply: {error}"))

    async def command(self, command: str, **params: Any) -> dict:
        """Send one command; return rtpengine's reply dictionary or raise :class:`NgError`.

        Sent up to ``retries`` times, ``timeout`` seconds apart, by a loop timer: one future per
        command and no extra tasks (``wait_for``/``shield`` cost several per command, on the
        loop that also answers calls)."""
        if self.transport is None:
            raise NgError("ng client not started")
        cookie = self._prefix + b"_%d" % next(self._counter)
        message = {key.replace("_", "-"): value for key, value in params.items() if value is not None}
        message["command"] = command
        packet = cookie + b" " + bencode(message)
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self._pending[cookie] = future
        attempts = 0
        timer: asyncio.TimerHandle | None = None

        def send() -> None:
            nonlocal attempts, timer
            if future.done():
                return
            if attempts >= self.retries or self.transport is None:
                future.set_exception(NgError(f"rtpengine did not answer {command!r}"))
                return
            attempts += 1
            self.transport.sendto(packet)
            timer = loop.call_later(self.timeout, send)

        try:
            send()
            reply = await future
        finally:
            self._pending.pop(cookie, None)
            if timer is not None:
                timer.cancel()
        if not isinstance(reply, dict) or reply.get("result") not in ("ok", "pong"):
            reason = reply.get("error-reason") if isinstance(reply, dict) else reply
            raise NgError(f"rtpengine refused {command!r}: {reason}")
        return reply
