"""A real HTTP receiver for webhook tests: ``http.server`` on a thread, on 127.0.0.1.

It records every request (path, headers, body) and answers the status codes queued in
``receiver.codes`` (200 once they run out). Test settings refuse private addresses, so a test
that delivers to it turns ``WEBHOOKS_ALLOW_PRIVATE_ADDRESSES`` on with the ``allow_private``
fixture; the refusal tests leave it off.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django_tenants.utils import tenant_context

from apps.webhooks.services.subscriptions import subscription_create
from apps.webhooks.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, signature_valid


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> dict[str, Any]:
        return json.loads(self.body)

    def signed_by(self, secret: str) -> bool:
        return signature_valid(secret, self.headers[TIMESTAMP_HEADER], self.body, self.headers[SIGNATURE_HEADER])


@dataclass
class Receiver:
    port: int = 0
    requests: list[Received] = field(default_factory=list)
    codes: deque[int] = field(default_factory=deque)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/cc"

    def answer(self) -> int:
        with self.lock:
            return self.codes.popleft() if self.codes else 200


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        receiver = self.server.receiver
        receiver.requests.append(Received(self.path, {k: v for k, v in self.headers.items()}, body))
        code = receiver.answer()
        self.send_response(code)
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        self.wfile.write(b"ok" if code < 300 else b"nope")

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 -- the base class's name
        return


class _Server(ThreadingHTTPServer):
    receiver: Receiver
    daemon_threads = True


@pytest.fixture
def receiver():
    server = _Server(("127.0.0.1", 0), _Handler)
    server.receiver = Receiver(port=server.server_address[1])
    thread = threading.Thread(target=server.serve_forever, name="webhook-receiver", daemon=True)
    thread.start()
    try:
        yield server.receiver
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def allow_private(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = True
    return settings


def subscribe(world, url: str, events: list[str], **extra):
    """A subscription made through the service in ``world``'s schema: ``(subscription, secret)``."""
    with tenant_context(world.tenant):
        return subscription_create(url=url, events=events, actor=None, **extra)
