"""The platform console's page for one tenant: seats over time, seat-days, usage, staff actions."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET
from django_tenants.utils import tenant_context

from apps.audit.choices import ActorKind
from apps.audit.models import AuditEntry
from apps.audit.selectors import audit_entries
from apps.tenants.choices import TenantStatus
from apps.tenants.models import Tenant
from apps.tenants.selectors.usage import (
    platform_today,
    seat_days_between,
    seat_days_months,
    usage_events_recent,
    usage_figures,
)
from apps.tenants.views.platform import staff_required

# The chart's windows in days; anything else in ?days= falls back to the default.
WINDOWS = (30, 90, 365)
DEFAULT_WINDOW = 90
STAFF_ACTIONS_SHOWN = 50


def _staff_actions(tenant: Tenant) -> list[AuditEntry]:
    """Platform staff's entries in the tenant's own log (where audit_record_platform writes them).

    Reading them here is not itself audited: they are the platform's own actions, not the
    tenant's data (the full log, which is, stays behind platform:tenant_audit)."""
    if tenant.status == TenantStatus.DELETED:
        return []  # its schema, and the log in it, are gone
    with tenant_context(tenant):
        return list(audit_entries().filter(actor_kind=ActorKind.PLATFORM)[:STAFF_ACTIONS_SHOWN])


@require_GET
@staff_required
def tenant_detail(request: HttpRequest, slug: str) -> HttpResponse:
    tenant = get_object_or_404(
        Tenant.objects.exclude(schema_name="public").select_related("plan").prefetch_related("domains"), slug=slug
    )
    try:
        window = int(request.GET.get("days", DEFAULT_WINDOW))
    except ValueError:
        window = DEFAULT_WINDOW
    if window not in WINDOWS:
        window = DEFAULT_WINDOW
    today = platform_today()
    seat_days = seat_days_between(tenant=tenant, first_day=today - timedelta(days=window - 1), last_day=today)
    this_month, last_month = seat_days_months(tenant=tenant, today=today)
    context = {
        "tenant": tenant,
        "window": window,
        "windows": WINDOWS,
        "seat_days": seat_days,
        "seat_days_this_month": this_month,
        "seat_days_last_month": last_month,
        "chart": {
            "days": [row.day.isoformat() for row in seat_days.rows],
            "seats": [row.seats for row in seat_days.rows],
        },
        "charts_available": settings.ECHARTS_DIR.is_dir(),
        "usage": usage_figures(tenant=tenant),
        "usage_events": usage_events_recent(tenant=tenant),
        "staff_actions": _staff_actions(tenant),
        "staff_actions_limit": STAFF_ACTIONS_SHOWN,
    }
    return render(request, "tenants/platform_tenant.html", context)
