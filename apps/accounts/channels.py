"""Websocket authentication from the session cookie or ``?token=``, inside the tenant's schema."""

from __future__ import annotations

from http.cookies import SimpleCookie
from importlib import import_module
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
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


@database_sync_to_async
def user_for_scope(scope):
    tenant = scope["tenant"]
    with tenant_context(tenant):
        token = parse_qs(scope.get("query_string", b"").decode()).get("token", [None])[0]
        if token:
            user = token_user(token)
        else:
            session_key = _cookie(scope, settings.SESSION_COOKIE_NAME)
            user = _session_user(session_key) if session_key else None
        if user is None or not user.is_active:
            return AnonymousUser()
        return user


class TenantAuthMiddleware:
    def __init__(self, inner):
        self.inner = inner

    async def __call__(self, scope, receive, send):
        scope = dict(scope, user=await user_for_scope(scope))
        return await self.inner(scope, receive, send)
