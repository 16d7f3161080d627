"""What every page needs to draw the shell: the tenant, the user's roles, the navigation."""

from __future__ import annotations

from django.conf import settings
from django.db import connection

from apps.core.navigation import menus_for


def shell(request):
    schema = connection.schema_name
    tenant = getattr(request, "tenant", None)
    user = getattr(request, "user", None)
    is_public = schema == "public"
    nav = []
    if not is_public and user is not None and user.is_authenticated:
        nav = menus_for(user)
    return {
        "current_tenant": None if is_public else tenant,
        "is_public_host": is_public,
        "navigation": nav,
        "platform_domain": settings.PLATFORM_DOMAIN,
    }
