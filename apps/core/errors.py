"""One error family for the whole product.

Services raise :class:`ApplicationError` (or a subclass) with a stable ``code``; the API
turns it into ``{"code", "message", "fields"}`` with the error's HTTP status, and the web
views show ``message``. Codes are part of the API contract: never rename one.
"""

from __future__ import annotations

from typing import Any


class ApplicationError(Exception):
    status = 400

    def __init__(
        self,
        code: str,
        message: Any,
        *,
        fields: dict[str, list[Any]] | None = None,
        status: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(str(message))
        self.code = code
        self.message = message
        self.fields = fields or {}
        # Response headers the API adds (e.g. Retry-After on a 429).
        self.headers = headers or {}
        if status is not None:
            self.status = status


class NotFoundError(ApplicationError):
    status = 404


class PermissionDeniedError(ApplicationError):
    status = 403
