"""The schema the default database connection is set to.

django-tenants swaps in a database wrapper that carries ``schema_name`` and ``tenant``; Django's
stubs type ``connection`` as the base wrapper, which has neither. This module is the one place
that knows, so callers stay type-checked.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from django.db import connection

if TYPE_CHECKING:
    from apps.tenants.models import Tenant


def current_schema() -> str:
    """``"public"`` outside any tenant (django-tenants' default), else the tenant's schema."""
    return cast(str, connection.schema_name)  # type: ignore[attr-defined]  # django-tenants' wrapper


def current_tenant() -> Tenant | None:
    """The tenant the connection is set to; ``None`` before any (a FakeTenant on public has no pk)."""
    tenant = getattr(connection, "tenant", None)
    return cast("Tenant | None", tenant)
