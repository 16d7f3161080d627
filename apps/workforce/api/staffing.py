"""``GET /api/v1/workforce/staffing?day=`` and ``GET /api/v1/workforce/adherence?since=&until=``
(+ ``/adherence/live``): the staffing and adherence pages' figures for integrations (read only).
Supervisors, HR and administrators; a supervisor's adherence is limited to their teams."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.choices import Role
from apps.core.api.permissions import HasRole
from apps.core.errors import ApplicationError
from apps.workforce import staffing as rules
from apps.workforce.selectors.adherence import adherence_by_agent, adherence_by_team, live_adherence
from apps.workforce.selectors.people import scope_user_ids
from apps.workforce.selectors.staffing import scheduled_coverage, staffing_plan

STAFFING_ROLES = (Role.SUPERVISOR, Role.HR, Role.TENANT_ADMIN)
MAX_ADHERENCE_DAYS = 62


def _date(request, name: str) -> dt.date:
    raw = (request.query_params.get(name) or "").strip()
    try:
        value = parse_date(raw)
    except ValueError:
        value = None
    if value is None:
        raise ApplicationError(
            "invalid", _("The request has invalid fields."), fields={name: [_("Expected a date as YYYY-MM-DD.")]}
        )
    return value


class StaffingView(APIView):
    permission_classes = [HasRole.of(*STAFFING_ROLES)]

    @extend_schema(parameters=[OpenApiParameter("day", str, required=True, description="YYYY-MM-DD")])
    def get(self, request):
        day = _date(request, "day")
        plans = staffing_plan(day, interval_minutes=30)
        scheduled = rules.whole_staff(scheduled_coverage(day, interval_minutes=30))
        published = rules.whole_staff(scheduled_coverage(day, interval_minutes=30, published_only=True))
        required = rules.total_by_slot((plan.requirement for plan in plans), len(scheduled))
        queues: list[dict[str, Any]] = [
            {
                "queue_id": plan.queue_id,
                "name": plan.name,
                "sl_target_percent": round(plan.sl_target * 100),
                "sl_threshold_seconds": round(plan.sl_threshold_seconds),
                "forecast_calls": [round(row.offered, 2) for row in plan.forecast],
                "aht_seconds": [round(row.aht_seconds, 1) for row in plan.forecast],
                "agents": [row.agents for row in plan.requirement],
                "staff": [row.staff for row in plan.requirement],
            }
            for plan in plans
        ]
        return Response(
            {
                "day": day.isoformat(),
                "interval_minutes": 30,
                "required": required,
                "scheduled": scheduled,
                "published": published,
                "gaps": [gap.slot for gap in rules.coverage_gaps(required, scheduled)],
                "queues": queues,
            }
        )


class AdherenceView(APIView):
    permission_classes = [HasRole.of(*STAFFING_ROLES)]

    @extend_schema(
        parameters=[
            OpenApiParameter("since", str, required=True, description="YYYY-MM-DD"),
            OpenApiParameter("until", str, required=True, description="YYYY-MM-DD, inclusive"),
        ]
    )
    def get(self, request):
        since, until = _date(request, "since"), _date(request, "until")
        if until < since or (until - since).days >= MAX_ADHERENCE_DAYS:
            raise ApplicationError(
                "invalid",
                _("The request has invalid fields."),
                fields={"until": [_("At most %(days)s days, not before the start.") % {"days": MAX_ADHERENCE_DAYS}]},
            )
        entries = adherence_by_agent(since=since, until=until + dt.timedelta(days=1), viewer=request.user)
        return Response({"people": [entry.row() for entry in entries], "teams": adherence_by_team(entries)})


class AdherenceLiveView(APIView):
    permission_classes = [HasRole.of(*STAFFING_ROLES)]

    def get(self, request):
        scope = scope_user_ids(request.user)
        return Response({"agents": [row for row in live_adherence() if scope is None or row["user_id"] in scope]})
