"""What every page needs to draw the shell: the tenant, the user's roles, the navigation."""

from __future__ import annotations

from django.conf import settings
from django.db import connection
from django.utils.translation import gettext_lazy as _

from apps.core.api.permissions import has_role

# (label, url name, roles that see it)
TENANT_NAVIGATION = [
    (_("Home"), "home", None),
    (_("Desk"), "agents:desk", ("agent",)),
    (_("Wallboard"), "agents:wallboard", ("supervisor", "tenant_admin")),
    (_("Users"), "console:users", ("tenant_admin",)),
    (_("Security"), "console:security", ("tenant_admin",)),
    (_("Seats"), "console:seats", ("tenant_admin",)),
    (_("Trunks & numbers"), "console:telephony", ("tenant_admin", "supervisor")),
    (_("Dialling policy"), "console:dialling", ("tenant_admin",)),
    (_("Queues & skills"), "agents:queues", ("tenant_admin",)),
    (_("IVR"), "ivr:flows", ("tenant_admin",)),
    (_("Prompts"), "ivr:prompts", ("tenant_admin",)),
    (_("Campaigns"), "campaigns:list", ("tenant_admin", "supervisor")),
    (_("Calls"), "calls:list", ("tenant_admin", "supervisor", "qa", "agent")),
    (_("Holiday calendar"), "console:calendar", ("tenant_admin",)),
    (_("Customers"), "crm:list", ("tenant_admin", "supervisor", "agent", "qa", "trainer", "hr", "billing")),
    (_("Audit log"), "console:audit", ("tenant_admin",)),
    (_("Data retention"), "console:retention", ("tenant_admin",)),
]


def shell(request):
    schema = connection.schema_name
    tenant = getattr(request, "tenant", None)
    user = getattr(request, "user", None)
    is_public = schema == "public"
    nav = []
    if not is_public and user is not None and user.is_authenticated:
        nav = [(label, name) for label, name, roles in TENANT_NAVIGATION if roles is None or has_role(user, *roles)]
    return {
        "current_tenant": None if is_public else tenant,
        "is_public_host": is_public,
        "navigation": nav,
        "platform_domain": settings.PLATFORM_DOMAIN,
    }
