"""A real local HTTP endpoint for the IVR's http node (tests, and the shape of the demo's).

It checks the signature of every request with the secret it was given (``X-CC-Signature`` over
``"<timestamp>.<body>"``) and answers by path: ``/order`` the order's status as JSON, ``/slow``
after ``slow_seconds``, ``/fail`` 500, ``/html`` a page that is not JSON. ``requests`` keeps
what it received: ``(path, headers, body as JSON, signature valid)``.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from apps.webhooks import signing


class IvrEndpoint:
    def __init__(self, secret: str, *, slow_seconds: float = 3.0, orders: dict[str, dict] | None = None) -> None:
        self.secret = secret
        self.orders = orders
        self.slow_seconds = slow_seconds
        self.requests: list[tuple[str, dict, dict, bool]] = []
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                valid = signing.signature_valid(
                    endpoint.secret,
                    self.headers.get(signing.TIMESTAMP_HEADER, ""),
                    raw,
                    self.headers.get(signing.SIGNATURE_HEADER, ""),
                )
                body = json.loads(raw or b"{}")
                endpoint.requests.append((self.path, dict(self.headers), body, valid))
                if not valid:
                    return self._answer(401, {"error": "bad signature"})
                if self.path == "/slow":
                    time.sleep(endpoint.slow_seconds)
                    return self._answer(200, {"status": "late"})
                if self.path == "/fail":
                    return self._answer(500, {"error": "down"})
                if self.path == "/html":
                    return self._answer(200, None, b"<html>not json</html>")
                order = (body.get("variables") or {}).get("order", "")
                found = (endpoint.orders or {}).get(order) if endpoint.orders is not None else None
                return self._answer(200, found or order_status(order))

            def _answer(self, status, data, raw=None):
                payload = raw if raw is not None else json.dumps(data).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the caller gave up (its time-out): nothing to answer

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> IvrEndpoint:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


def order_status(order: str) -> dict:
    if order == "12345":
        return {"status": "shipped", "amount": "128.50", "delivery": "2026-12-10", "items": [1, 2], "found": True}
    return {"status": "unknown", "found": False}
