"""Streaming responses under ASGI are streams (one chunk at a time), unchanged under WSGI."""

from __future__ import annotations

import io

from django.http import FileResponse, StreamingHttpResponse
from django.test import AsyncRequestFactory, RequestFactory

from apps.core.http import stream_for


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
