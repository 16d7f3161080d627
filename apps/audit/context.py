"""The request being served, for audit rows written deep inside services.

Services that change audited things (seats, trunks, do-not-call entries …) were written before
the audit log and take no ``request``; threading one through every signature would touch every
caller. Instead this middleware keeps the current request in a context variable, and
``audit_record`` reads the actor, client address and user agent from it when the caller does
not pass them. Context variables follow the request into Django's sync views (and asgiref's
thread hops), and nothing is left behind once the response is built. Outside a request (Celery,
the engine, management commands) there is no request and the actor is "system" unless given.
"""

from __future__ import annotations

import contextvars

_current_request: contextvars.ContextVar = contextvars.ContextVar("audit_request", default=None)


def current_request():
    return _current_request.get()


class AuditRequestMiddleware:
    """Put the request where ``audit_record`` can find it. After AuthenticationMiddleware:
    ``request.user`` is read lazily when a row is written (DRF sets it on the same request
    once a token is authenticated)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _current_request.set(request)
        try:
            return self.get_response(request)
        finally:
            _current_request.reset(token)
