"""Resolve the tenant of a websocket from its Host header (django-tenants does this for HTTP only).

The tenant is put in ``scope["tenant"]``; consumers never call ``connection.set_tenant``:
all consumer database work shares one thread, so a schema set for one socket would leak
into the next. Every sync database function wraps its work in ``tenant_context`` instead.
"""

from __future__ import annotations

from channels.db import database_sync_to_async
from django_tenants.utils import get_public_schema_name, schema_context

from apps.tenants.models import Domain, Tenant


def host_from_scope(scope) -> str:
    for name, value in scope.get("headers", []):
        if name == b"host":
            return value.decode("latin1").split(":")[0].lower().rstrip(".")
    return ""


@database_sync_to_async
def tenant_for_host(host: str) -> Tenant | None:
    with schema_context(get_public_schema_name()):
        domain = Domain.objects.select_related("tenant").filter(domain=host).first()
        return domain.tenant if domain else None


class TenantWebsocketMiddleware:
    """Refuse sockets on unknown or suspended hosts; put the tenant in the scope."""

    def __init__(self, inner):
        self.inner = inner

    async def __call__(self, scope, receive, send):
        tenant = await tenant_for_host(host_from_scope(scope))
        if tenant is None or tenant.schema_name == get_public_schema_name() or not tenant.is_active:
            await _refuse(receive, send)
            return None
        scope = dict(scope, tenant=tenant, schema_name=tenant.schema_name)
        return await self.inner(scope, receive, send)


async def _refuse(receive, send) -> None:
    """Close the handshake: the client sees HTTP 403 and no socket."""
    message = await receive()
    if message["type"] == "websocket.connect":
        await send({"type": "websocket.close", "code": 4403})
