"""The internal HTTP endpoint Kamailio asks where an inbound call goes.

It is a bare ASGI application on its own loopback listener (SIP_ROUTING_ADDRESS:PORT, process
``sip-routing`` in Procfile.sip), not a Django view: the tenant middleware resolves every Host
header to a tenant or the public site, and this endpoint belongs to neither, so no tenant host
can ever reach it. Kamailio authenticates with HTTP Basic (user ``kamailio``, the routing
secret); anything else gets 401. Routes:

- ``POST /sip/route``   {"did", "caller", "source", "call_id"} → a :class:`RouteDecision`
- ``POST /sip/blocked`` {"tenant", "trunk", "number", "did", "caller", "call_id"} → {"uid"}
- ``GET  /sip/health``  → {"ok": true} (no secret needed; says nothing)

Bad input → 400 ``{"code", "message", "fields"}`` and nothing changes, as everywhere else.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import logging
from typing import Any

from asgiref.sync import sync_to_async
from django.db import close_old_connections, connection, connections
from django.utils.translation import gettext as _

from apps.core.errors import ApplicationError
from apps.sip.plane import routing_secret
from apps.sip.services import did_blocked, did_route

logger = logging.getLogger(__name__)

MAX_BODY = 16 * 1024


def _hygiene() -> None:
    # What Django does around each request; never inside an atomic block (only tests call us there).
    if not connection.in_atomic_block:
        close_old_connections()


def _work(function, **kwargs):
    """Run one service call the way a Django request would: fresh connection state, public schema."""
    _hygiene()
    try:
        connection.set_schema_to_public()
        return function(**kwargs)
    finally:
        connection.set_schema_to_public()
        _hygiene()


def _invalid(fields: dict[str, list[str]]) -> ApplicationError:
    return ApplicationError("invalid", _("The request has invalid fields."), fields=fields)


def _strings(data: dict, names: tuple[str, ...], *, required: tuple[str, ...], limit: int = 256) -> dict[str, str]:
    values: dict[str, str] = {}
    errors: dict[str, list[str]] = {}
    for name in names:
        value = data.get(name, "")
        if not isinstance(value, str):
            errors[name] = [_("Enter text.")]
        elif len(value) > limit:
            errors[name] = [_("Enter text of at most %(n)d characters.") % {"n": limit}]
        elif name in required and not value:
            errors[name] = [_("This field is required.")]
        else:
            values[name] = value
    if errors:
        raise _invalid(errors)
    return values


def _integers(data: dict, names: tuple[str, ...]) -> dict[str, int]:
    values: dict[str, int] = {}
    errors: dict[str, list[str]] = {}
    for name in names:
        value = data.get(name)
        if isinstance(value, str) and value.isdigit():
            value = int(value)
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            errors[name] = [_("Enter a positive whole number.")]
        else:
            values[name] = value
    if errors:
        raise _invalid(errors)
    return values


def route_request(data: dict) -> dict:
    values = _strings(data, ("did", "caller", "source", "call_id"), required=("did", "source"))
    decision = did_route(did=values["did"], source=values["source"])
    logger.info("sip route %s from %s (%s): %s", values["did"], values["source"], values["call_id"], decision.action)
    return decision.as_dict()


def blocked_request(data: dict) -> dict:
    values = _strings(data, ("tenant", "did", "caller", "call_id"), required=("tenant", "call_id"))
    numbers = _integers(data, ("trunk", "number"))
    call = did_blocked(
        tenant=values["tenant"],
        trunk=numbers["trunk"],
        number=numbers["number"],
        did=values["did"],
        caller=values["caller"],
        call_id=values["call_id"],
    )
    return {"uid": call.uid}


class RoutingApplication:
    """ASGI callable; one instance serves every request."""

    routes = {("POST", "/sip/route"): route_request, ("POST", "/sip/blocked"): blocked_request}

    def __init__(self, secret: str | None = None) -> None:
        self._secret = secret

    def warm_up(self) -> None:
        """Pay the one-off costs of a first request (imports, translations, ORM and database driver
        set-up, the route cache's Redis client) when the process starts, not on a carrier's INVITE."""
        try:
            _work(route_request, data={"did": "000", "source": "127.0.0.1", "call_id": "warm-up"})
        except Exception:
            logger.warning("sip routing endpoint: warm-up failed", exc_info=True)
        finally:
            connections.close_all()  # this thread's; requests run on another

    @property
    def secret(self) -> str:
        if self._secret is None:
            self._secret = routing_secret()
        return self._secret

    async def __call__(self, scope: dict, receive, send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        status, payload = await self._handle(scope, receive)
        body = json.dumps(payload, ensure_ascii=False).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": body})

    async def _lifespan(self, receive, send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return

    def _authorised(self, scope: dict) -> bool:
        headers = dict(scope.get("headers") or [])
        value = headers.get(b"authorization", b"").decode("latin-1")
        scheme, _sep, encoded = value.partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            user, _colon, password = base64.b64decode(encoded, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return False
        expected = f"kamailio:{self.secret}".encode()
        return hmac.compare_digest(f"{user}:{password}".encode(), expected)

    async def _handle(self, scope: dict, receive) -> tuple[int, dict[str, Any]]:
        method, path = scope.get("method", "GET"), scope.get("path", "")
        if (method, path) == ("GET", "/sip/health"):
            return 200, {"ok": True}
        handler = self.routes.get((method, path))
        if handler is None:
            return 404, {"code": "not_found", "message": "Not found.", "fields": {}}
        if not self._authorised(scope):
            return 401, {"code": "not_authenticated", "message": "Routing secret required.", "fields": {}}
        body = b""
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return 400, {"code": "invalid", "message": "Client went away.", "fields": {}}
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > MAX_BODY:
                return 413, {"code": "too_large", "message": "Request too large.", "fields": {}}
        try:
            data = json.loads(body or b"{}")
        except (ValueError, UnicodeDecodeError):
            data = None
        if not isinstance(data, dict):
            return 400, {"code": "invalid", "message": "Send a JSON object.", "fields": {}}
        try:
            return 200, await sync_to_async(_work, thread_sensitive=True)(handler, data=data)
        except ApplicationError as error:
            return error.status, {
                "code": error.code,
                "message": str(error.message),
                "fields": {key: [str(item) for item in items] for key, items in error.fields.items()},
            }
        except Exception:
            logger.exception("sip routing endpoint failed on %s", path)
            return 500, {"code": "error", "message": "Internal error.", "fields": {}}
