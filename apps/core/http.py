"""Streaming responses that stay streams under ASGI.

Under daphne, Django serves a ``StreamingHttpResponse``/``FileResponse`` built on a plain
(synchronous) iterator by reading it whole into memory first ("StreamingHttpResponse must
consume synchronous iterators…"): a four-hour recording (≈230 MB) or a million-row export
would sit in the web process's memory before the first byte leaves. :func:`stream_for` swaps
in an asynchronous iterator that pulls one chunk at a time from the synchronous one on the
thread Django runs synchronous code in (so database cursors behind an export stay on their
connection). Under WSGI (the test client, a WSGI deployment) the response is left as it is.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIRequest
from django.http import FileResponse, StreamingHttpResponse

_END = object()
FILE_BLOCK_BYTES = 256 * 1024


def _next(iterator: Iterator[bytes]):
    return next(iterator, _END)


async def _pull(iterator: Iterator[bytes]) -> AsyncIterator[bytes]:
    pull = sync_to_async(_next, thread_sensitive=True)
    while (chunk := await pull(iterator)) is not _END:
        yield chunk


def stream_for(request, response: StreamingHttpResponse) -> StreamingHttpResponse:
    """``response`` with its content delivered chunk by chunk under ASGI (headers unchanged).

    ``request`` may be Django's or DRF's (which wraps Django's)."""
    request = getattr(request, "_request", request)
    content = response.streaming_content
    if not isinstance(request, ASGIRequest) or response.is_async or not isinstance(content, Iterator):
        return response
    # FileResponse keeps its file's closer and the headers it derived from the file.
    response.streaming_content = _pull(iter(content))
    return response


class StreamUnderASGIMiddleware:
    """Applies :func:`stream_for` to every synchronous streaming response, whoever built it.

    Views that stream call ``stream_for`` themselves; this catches the responses no view of
    ours builds — above all WhiteNoise's static files (a ``FileResponse`` on a plain file), which
    under daphne made Django warn and read each script, stylesheet and font whole on every page
    load. It sits just above ``WhiteNoiseMiddleware`` so it sees WhiteNoise's answers. Under WSGI
    and for ordinary or already asynchronous responses it changes nothing."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if isinstance(response, StreamingHttpResponse) and not response.is_async:
            if isinstance(response, FileResponse) and response.block_size == FileResponse.block_size:
                # Each chunk is a hop to the synchronous thread: a static file in a few 256 KiB
                # reads rather than 4 KiB ones (echarts.min.js would be ~250 hops).
                response.block_size = FILE_BLOCK_BYTES
            return stream_for(request, response)
        return response
