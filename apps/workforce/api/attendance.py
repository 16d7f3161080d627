"""``GET /api/v1/workforce/attendance?month=YYYY-MM&format=json|csv|xlsx`` — the payroll export.

One row per person (contract of issue 15, docs/api.md "Workforce"): ``user, email,
scheduled_days, scheduled_hours, worked_hours, late_count, late_minutes, early_leave_minutes,
absent_days, leave_days`` (by kind), ``sick_deduction_days``, ``overtime_hours`` (``workday``,
``rest_day``, ``holiday``), ``flags``. JSON keeps ``leave_days`` and ``overtime_hours`` as
objects; CSV/XLSX (the DRF renderers of decision 0020) give each a column per kind. HR and
administrators see everyone, a supervisor their teams, an agent their own row. Every file
download is audited (``export.downloaded``).
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.audit.choices import AuditAction
from apps.audit.services import AuditTarget, audit_record
from apps.core.api.permissions import HasRole
from apps.core.api.renderers import EXPORT_RENDERER_CLASSES, ExportNegotiation
from apps.core.errors import ApplicationError
from apps.workforce.api.common import WORKFORCE_ROLES
from apps.workforce.selectors.attendance import EXPORT_HEADER, attendance_month, flatten
from apps.workforce.selectors.people import scope_user_ids


class AttendanceView(APIView):
    permission_classes = [HasRole.of(*WORKFORCE_ROLES)]
    renderer_classes = EXPORT_RENDERER_CLASSES
    content_negotiation_class = ExportNegotiation  # an unknown ?format= is a 400, not a 404
    export_columns = [(key, key) for key in EXPORT_HEADER]

    @extend_schema(
        parameters=[
            OpenApiParameter("month", str, required=True, description="YYYY-MM"),
            OpenApiParameter("format", str, enum=["json", "csv", "xlsx"]),
        ]
    )
    def get(self, request):
        month = (request.query_params.get("month") or "").strip()
        try:
            rows = attendance_month(month, user_ids=scope_user_ids(request.user))
        except ValueError:
            raise ApplicationError(
                "invalid", _("The request has invalid fields."), fields={"month": [_("Expected a month as YYYY-MM.")]}
            ) from None
        file_format = getattr(request.accepted_renderer, "format", "json")
        self.export_filename = f"attendance-{month}"
        if file_format in ("csv", "xlsx"):
            audit_record(
                action=AuditAction.EXPORT_DOWNLOADED,
                actor=request.user,
                request=request,
                target=AuditTarget("workforce.attendance", "", "attendance"),
                extra={"kind": "attendance", "format": file_format, "month": month, "rows": len(rows)},
            )
            return Response({"rows": [flatten(row) for row in rows]})
        return Response({"month": month, "rows": rows})
