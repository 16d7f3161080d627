"""/api/v1/billing/… on a tenant host: the company's own month to date and issued invoices
(administrators and the billing role; the API twin of the /billing/ page)."""

from __future__ import annotations

from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.choices import Role
from apps.billing.api.serializers import invoice_data, line_data
from apps.billing.periods import billing_today
from apps.billing.selectors.invoices import tenant_invoices
from apps.billing.selectors.usage import month_figures
from apps.core.api.permissions import HasRole
from apps.tenants.models import Tenant


def _host_tenant(request) -> Tenant:
    """The tenant of the host (never a parameter: a company sees only itself)."""
    return Tenant.objects.select_related("plan").get(pk=request.tenant.pk)


class BillingUsageView(APIView):
    """This month so far: ``{"month", "last_day", "metered_at", "currency", "total", "lines"}``."""

    permission_classes = [HasRole.of(Role.TENANT_ADMIN, Role.BILLING)]

    def get(self, request):
        figures = month_figures(tenant=_host_tenant(request), month=billing_today().replace(day=1))
        return Response(
            {
                "month": f"{figures.month:%Y-%m}",
                "last_day": figures.last_day.isoformat(),
                "metered_at": figures.metered_at.isoformat() if figures.metered_at else None,
                "currency": "CNY",
                "total": str(figures.total),
                "lines": [line_data(line) for line in figures.lines],
            }
        )


class BillingInvoicesView(APIView):
    """The company's issued invoices, newest first, with their lines (drafts are not shown)."""

    permission_classes = [HasRole.of(Role.TENANT_ADMIN, Role.BILLING)]

    def get(self, request):
        return Response([invoice_data(invoice) for invoice in tenant_invoices(tenant=_host_tenant(request))])
