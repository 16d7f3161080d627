"""``GET /api/v1/reports/kpis``: the KPI table of apps/reports/selectors/kpis.py over HTTP.

Thin: a serializer validates the query (bad input is ``400 invalid`` with field messages, and
nothing is read), the selector counts from the rollups. Supervisors and administrators only, like
the queue KPIs of apps/telephony/api/calls.py (plus QA there: QA reviews calls, not performance).
``?format=csv|xlsx`` gives the rows as a file (apps/core/api/renderers.py, decision 0020): one row
per group, ``key``, ``label`` and the figures in the JSON's order; a table in memory, not a stream.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.choices import Role
from apps.core.api.permissions import HasRole
from apps.core.api.renderers import ExportFormatMixin, file_renderer_format
from apps.reports.definitions import FIGURES
from apps.reports.selectors.kpis import INTERVALS, kpi_table
from apps.telephony.models import Agent, Campaign, Queue

KPI_ROLES = (Role.TENANT_ADMIN, Role.SUPERVISOR)
API_GROUPINGS = ("queue", "agent", "interval", "day", "week", "month", "campaign", "disposition", "trunk", "number")
MAX_DAYS = 400  # a year and a bit: a report period, not the whole history
MAX_INTERVAL_DAYS = 62  # 15-minute rows of two months are 5,952 rows already


class MomentField(serializers.Field):
    """An ISO 8601 date or date-time; without a UTC offset it is the tenant's local time (a date is
    its local midnight). Read in UTC: PostgreSQL refuses offsets beyond ±15:59 that ISO 8601 allows,
    and a moment before year 1 in UTC cannot be represented at all."""

    default_error_messages = {"invalid": _lazy("Give an ISO 8601 date or date-time, e.g. 2025-01-31T08:00:00+08:00.")}

    def to_internal_value(self, data):
        raw = str(data).strip().replace(" ", "+")  # an unencoded "+" arrives as " "
        try:
            value = parse_datetime(raw)
            if value is None:
                day = parse_date(raw)
                value = datetime.combine(day, time.min) if day else None
            if value is not None:
                value = timezone.make_aware(value) if timezone.is_naive(value) else value
                value = value.astimezone(UTC)
        except (ValueError, OverflowError):
            value = None
        if value is None:
            self.fail("invalid")
        return value

    def to_representation(self, value):
        return value.isoformat()


class _Ids(serializers.ListField):
    child = serializers.IntegerField(min_value=1, max_value=2**31 - 1)


class KpiQuerySerializer(serializers.Serializer):
    since = MomentField(required=False)
    until = MomentField(required=False)
    group_by = serializers.ChoiceField(choices=API_GROUPINGS)
    interval_minutes = serializers.ChoiceField(choices=INTERVALS, required=False, default=30)
    queue = _Ids(required=False)
    agent = _Ids(required=False)
    campaign = _Ids(required=False)

    def _known(self, model, ids: list[int], field: str) -> list[int]:
        known = set(model.objects.filter(pk__in=ids).values_list("pk", flat=True))
        unknown = [i for i in ids if i not in known]
        if unknown:
            raise serializers.ValidationError(
                {field: [_("No such id: %(ids)s.") % {"ids": ", ".join(map(str, unknown))}]}
            )
        return ids

    def validate(self, attrs):
        zone = timezone.get_current_timezone()
        today = datetime.combine(timezone.localdate(), time.min, tzinfo=zone)
        since = attrs.get("since") or today
        until = attrs.get("until") or today + timedelta(days=1)
        since, until = since.astimezone(UTC), until.astimezone(UTC)
        if until <= since:
            raise serializers.ValidationError({"until": [_("until must be after since.")]})
        limit = MAX_INTERVAL_DAYS if attrs["group_by"] == "interval" else MAX_DAYS
        if until - since > timedelta(days=limit):
            raise serializers.ValidationError(
                {"until": [_("At most %(days)s days for this grouping.") % {"days": limit}]}
            )
        attrs["since"], attrs["until"] = since, until
        for field, model in (("queue", Queue), ("agent", Agent), ("campaign", Campaign)):
            if attrs.get(field):
                self._known(model, attrs[field], field)
        return attrs


def export_columns(table: dict) -> list[tuple[str, str]]:
    """The file's columns: ``key``, ``label``, then the figures in the order the JSON rows carry
    them (the totals' order when there is no row, so an empty period still has its header)."""
    sample = table["rows"][0] if table["rows"] else table["totals"]
    keys = ["key", "label", *(key for key in sample if key not in ("key", "label"))]
    return [(key, str(FIGURES[key].label) if key in FIGURES else key) for key in keys]


class ReportKpiView(ExportFormatMixin, APIView):
    permission_classes = [HasRole.of(*KPI_ROLES)]
    export_sheet_title = "kpis"

    @extend_schema(
        parameters=[
            OpenApiParameter("since", OpenApiTypes.DATETIME, description="Default: today 00:00 (tenant time)."),
            OpenApiParameter("until", OpenApiTypes.DATETIME, description="Default: tomorrow 00:00 (exclusive)."),
            OpenApiParameter("group_by", OpenApiTypes.STR, enum=list(API_GROUPINGS), required=True),
            OpenApiParameter("interval_minutes", OpenApiTypes.INT, enum=list(INTERVALS), description="Default 30."),
            OpenApiParameter("queue", OpenApiTypes.INT, many=True, description="Only these queues (repeat)."),
            OpenApiParameter("agent", OpenApiTypes.INT, many=True, description="Only these agents (repeat)."),
            OpenApiParameter("campaign", OpenApiTypes.INT, many=True, description="Only these campaigns (repeat)."),
            OpenApiParameter("format", OpenApiTypes.STR, enum=["json", "csv", "xlsx"], description="Default json."),
        ],
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request):
        """One row per group with every KPI of docs/reports.md §KPIs, the totals and the settings
        the figures were computed with. Percentages 0–100 with 2 decimals; ``null`` when the
        denominator is 0."""
        data = {key: request.query_params.get(key) for key in ("since", "until", "group_by", "interval_minutes")}
        data = {key: value for key, value in data.items() if value}
        for key in ("queue", "agent", "campaign"):
            values = [v for raw in request.query_params.getlist(key) for v in raw.split(",") if v.strip()]
            if values:
                data[key] = values
        query = KpiQuerySerializer(data=data)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        table = kpi_table(
            since=params["since"],
            until=params["until"],
            group_by=params["group_by"],
            interval_minutes=int(params["interval_minutes"]),
            queue_ids=params.get("queue"),
            agent_ids=params.get("agent"),
            campaign_ids=params.get("campaign"),
        )
        if file_renderer_format(request):
            self.export_columns = export_columns(table)
            zone = timezone.get_current_timezone()
            first = params["since"].astimezone(zone).date()
            last = (params["until"].astimezone(zone) - timedelta(microseconds=1)).date()
            self.export_filename = f"kpis-{params['group_by']}-{first:%Y%m%d}-{last:%Y%m%d}"
        return Response(table)
