"""``{% tenant_invoices tenant %}``: the platform tenant page's invoices box.

A tag rather than a context variable so that the tenant page's view (apps/tenants) does not have
to know about billing: the box asks billing's selectors itself."""

from __future__ import annotations

from typing import Any

from django import template

from apps.billing.periods import billing_today
from apps.billing.selectors.invoices import tenant_invoices as invoices_of
from apps.billing.selectors.usage import month_figures
from apps.tenants.models import Tenant

register = template.Library()


@register.inclusion_tag("billing/_tenant_invoices.html")
def tenant_invoices(tenant: Tenant) -> dict[str, Any]:
    month = billing_today().replace(day=1)
    return {
        "tenant": tenant,
        "invoices": invoices_of(tenant=tenant, issued_only=False)[:24],
        "month_code": f"{month:%Y-%m}",
        "month_to_date": month_figures(tenant=tenant, month=month).total,
    }
