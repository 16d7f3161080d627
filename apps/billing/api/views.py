"""GET /api/v1/platform/billing/{YYYY-MM} on the public host (platform staff only)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.permissions import IsAdminUser
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.billing.periods import parse_month
from apps.billing.selectors.invoices import EXPORT_COLUMNS, platform_month_lines
from apps.core.api.renderers import EXPORT_RENDERER_CLASSES, ExportNegotiation
from apps.core.errors import ApplicationError


class PlatformBillingMonthView(APIView):
    """One row per tenant and invoice line of a month, in CNY: the invoice's lines once the month
    is closed, the month-to-date rating while it is open (``status``: open, unbilled, draft,
    issued). ``?format=json|csv|xlsx``."""

    permission_classes = [IsAdminUser]
    renderer_classes = EXPORT_RENDERER_CLASSES
    content_negotiation_class = ExportNegotiation  # an unknown ?format= is a 400, not a 404
    export_columns = [(key, key) for key in EXPORT_COLUMNS]
    export_sheet_title = "billing"

    @extend_schema(parameters=[OpenApiParameter("format", str, enum=["json", "csv", "xlsx"])])
    def get(self, request, month: str):
        try:
            first_day = parse_month(month)
        except ValueError:
            raise ApplicationError(
                "invalid", _("The request has invalid fields."), fields={"month": [_("Expected a month as YYYY-MM.")]}
            ) from None
        self.export_filename = f"billing-{first_day:%Y-%m}"
        return Response(platform_month_lines(month=first_day))
