"""Streaming responses under ASGI are streams (one chunk at a time), unchanged under WSGI."""

from __future__ import annotations

import asyncio
import io
import warnings
from pathlib import Path

from asgiref.sync import async_to_sync
from django.core import signals
from django.core.asgi import get_asgi_application
from django.db import close_old_connections
from django.http import FileResponse, StreamingHttpResponse
from django.test import AsyncRequestFactory, RequestFactory

from apps.core.http import StreamUnderASGIMiddleware, stream_for

ROOT = Path(__file__).resolve().parents[2]


class CountingReader(io.BytesIO):
    """Counts how often the file is read, to prove nothing is read before the stream asks."""

    reads = 0

    def read(self, size=-1):
        self.reads += 1
        return super().read(size)


async def test_file_response_under_asgi_is_read_chunk_by_chunk():
    payload = bytes(range(256)) * 1024  # 256 KiB
    source = CountingReader(payload)
    response = stream_for(AsyncRequestFactory().get("/"), FileResponse(source, filename="a.wav"))

    assert response.is_async
    assert response["Content-Length"] == str(len(payload))
    assert response["Content-Type"].startswith("audio/")
    iterator = aiter(response.streaming_content)
    first = await anext(iterator)
    assert first == payload[: len(first)] and len(first) < len(payload)
    assert source.reads == 1  # the rest has not been read yet
    rest = b"".join([chunk async for chunk in iterator])
    assert first + rest == payload


async def test_generator_response_under_asgi_keeps_order():
    def rows():
        for n in range(1000):
            yield f"{n}\n"

    response = stream_for(AsyncRequestFactory().get("/"), StreamingHttpResponse(rows(), content_type="text/csv"))

    body = b"".join([chunk async for chunk in response.streaming_content])
    assert body.decode().splitlines() == [str(n) for n in range(1000)]


def test_wsgi_response_is_left_alone():
    response = StreamingHttpResponse(iter([b"a", b"b"]))

    assert stream_for(RequestFactory().get("/"), response) is response
    assert not response.is_async
    assert b"".join(response.streaming_content) == b"ab"


# --- through Django's ASGI application, as daphne serves it ----------------------------------


def asgi_get(host: str, path: str, headers: list[tuple[bytes, bytes]] | None = None) -> tuple[int, dict, list[bytes]]:
    """A GET through ``get_asgi_application()`` (the handler daphne calls): status, headers and
    the body messages as sent. Like Django's test clients, the request's end leaves the test's
    database connection (and its transaction) open."""

    async def scenario():
        application = get_asgi_application()
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "headers": [(b"host", host.encode()), *(headers or [])],
            "client": ["127.0.0.1", 50000],
            "server": ["127.0.0.1", 80],
        }
        received = False
        never = asyncio.Event()
        sent: list[dict] = []

        async def receive():
            nonlocal received
            if not received:
                received = True
                return {"type": "http.request", "body": b"", "more_body": False}
            await never.wait()  # the client stays connected
            return {"type": "http.disconnect"}

        async def send(message):
            sent.append(message)

        await application(scope, receive, send)
        return sent

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        sent = async_to_sync(scenario)()
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)
    start = sent[0]
    response_headers = {key.decode().lower(): value.decode() for key, value in start["headers"]}
    return start["status"], response_headers, [message["body"] for message in sent[1:] if message.get("body")]


def _sync_iterator_warnings(caught) -> list[str]:
    return [str(w.message) for w in caught if "synchronous iterators" in str(w.message)]


def test_static_files_under_asgi_stream_without_djangos_warning(acme):
    """WhiteNoise answers static files with a FileResponse on a plain file: every script and
    stylesheet a page loads under daphne made Django warn and read the file whole."""
    expected = (ROOT / "static" / "js" / "ui.js").read_bytes()

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        status, headers, chunks = asgi_get(acme.host, "/static/js/ui.js")

    assert status == 200 and "javascript" in headers["content-type"]
    assert _sync_iterator_warnings(caught) == []
    assert b"".join(chunks) == expected
    assert len(chunks) == 1 + len(expected) // (256 * 1024)  # whole blocks, not 4 KiB pieces


def test_the_middleware_streams_any_synchronous_response_under_asgi_only():
    def view(_request):
        return StreamingHttpResponse(iter([b"a", b"b"]))

    middleware = StreamUnderASGIMiddleware(view)

    under_asgi = middleware(AsyncRequestFactory().get("/"))
    assert under_asgi.is_async
    assert async_to_sync(_joined)(under_asgi) == b"ab"
    under_wsgi = middleware(RequestFactory().get("/"))
    assert not under_wsgi.is_async
    assert b"".join(under_wsgi.streaming_content) == b"ab"


async def _joined(response) -> bytes:
    return b"".join([chunk async for chunk in response.streaming_content])
