"""Websocket authentication from the session cookie or ``?token=``, inside the tenant's schema.

Origin: a browser always sends ``Origin`` on a websocket handshake, so the check against the
platform's hosts is what stops another site's page from riding a user's session cookie
(cross-site websocket hijacking). An API token in the query string cannot be ridden that way,
and integrators' scripts send no ``Origin``: a socket with no ``Origin`` header is let through
the check only when it carries ``?token=``, and then only the token can authenticate it, never a
cookie sent alongside. A socket that sends an ``Origin`` is always checked, token or not.
"""

from __future__ import annotations

import contextlib
from http.cookies import SimpleCookie
from importlib import import_module
from urllib.parse import parse_qs, urlparse

from channels.db import database_sync_to_async
from channels.security.websocket import OriginValidator, WebsocketDenier
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, load_backend
from django.contrib.auth.models import AnonymousUser
from django.utils.crypto import constant_time_compare
from django_tenants.utils import tenant_context

from apps.accounts.services import token_user


def _cookie(scope, name: str) -> str | None:
    for header, value in scope.get("headers", []):
        if header == b"cookie":
            jar = SimpleCookie()
            jar.load(value.decode("latin1"))
            if name in jar:
                return jar[name].value
    return None


def _has_origin(scope) -> bool:
    return any(header == b"origin" for header, _ in scope.get("headers", []))


def _query_token(scope) -> str | None:
    return parse_qs(scope.get("query_string", b"").decode("latin1")).get("token", [None])[0]


def _session_user(session_key: str):
    engine = import_module(settings.SESSION_ENGINE)
    session = engine.SessionStore(session_key)
    try:
        user_id = session[SESSION_KEY]
        backend_path = session[BACKEND_SESSION_KEY]
    except KeyError:
        return None
    if backend_path not in settings.AUTHENTICATION_BACKENDS:
        return None
    user = load_backend(backend_path).get_user(user_id)
    if user is None:
        return None
    session_hash = session.get(HASH_SESSION_KEY)
    if not session_hash or not constant_time_compare(session_hash, user.get_session_auth_hash()):
        return None
    return user


def scope_user(scope):
    """The active user the socket's credential belongs to, or AnonymousUser (sync).

    Run at the handshake and again by open sockets every REALTIME_ACCESS_CHECK_SECONDS
    (apps/core/consumers.py), so a revoked token, a logged-out or password-changed session and a
    deactivated user all lose the socket.
    """
    with tenant_context(scope["tenant"]):
        token = _query_token(scope)
        if token:
            user = token_user(token)
        elif _has_origin(scope):
            session_key = _cookie(scope, settings.SESSION_COOKIE_NAME)
            user = _session_user(session_key) if session_key else None
        else:  # only a token opens a socket without Origin (see the module docstring)
            user = None
        if user is None or not user.is_active:
            return AnonymousUser()
        return user


user_for_scope = database_sync_to_async(scope_user)


class TenantAuthMiddleware:
    def __init__(self, inner):
        self.inner = inner

    async def __call__(self, scope, receive, send):
        scope = dict(scope, user=await user_for_scope(scope))
        return await self.inner(scope, receive, send)


class TokenOrOriginValidator(OriginValidator):
    """channels' ``AllowedHostsOriginValidator``, except that a handshake with no ``Origin`` but a
    ``?token=`` goes on to token authentication (a bad token is then refused with 4403)."""

    def __init__(self, application):
        allowed_hosts = settings.ALLOWED_HOSTS
        if settings.DEBUG and not allowed_hosts:  # as AllowedHostsOriginValidator
            allowed_hosts = ["localhost", "127.0.0.1", "[::1]"]
        super().__init__(application, allowed_hosts)

    async def __call__(self, scope, receive, send):
        if scope["type"] == "websocket" and not _has_origin(scope) and _query_token(scope):
            return await self.application(scope, receive, send)
        origin = None
        for header, value in scope.get("headers", []):
            if header == b"origin":
                with contextlib.suppress(UnicodeDecodeError):
                    origin = urlparse(value.decode("latin1"))
        if self.valid_origin(origin):
            return await self.application(scope, receive, send)
        return await _Denier()(scope, receive, send)


class _Denier(WebsocketDenier):
    """channels' denier (HTTP 403 at the handshake) without a channel of its own: the original
    opens a channel-layer receive, a blocking pop on Redis, for a socket that is being refused."""

    channel_layer_alias = None
