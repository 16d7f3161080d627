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
from django.http import StreamingHttpResponse

_END = object()


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
