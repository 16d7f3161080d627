"""The figures of the survey report (apps/crm/reports/surveys.py): responses grouped by queue,
agent or period, with CSAT computed by the report framework's own formulas (apps/reports/kpi_math.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Count, F, Q, Sum
from django.db.models.functions import TruncDay, TruncMonth, TruncWeek

from apps.crm.models import SurveyResponse
from apps.crm.surveys.choices import FollowUpStatus
from apps.crm.surveys.scoring import LOW_SCORE_MAX, TOP_TWO_BOX_MIN
from apps.reports import kpi_math
from apps.telephony.kpis import as_percent, rounded

TRUNCS = {"day": TruncDay, "week": TruncWeek, "month": TruncMonth}


def survey_figures(
    *,
    since: dt.datetime,
    until: dt.datetime,
    by: str,
    zone: ZoneInfo,
    grain: str = "day",
    queue_ids: list[int] | None = None,
    agent_ids: list[int] | None = None,
) -> list[dict[str, Any]]:
    """``[{"key", "responses", "csat_mean", "csat_top2_percent", "low", "follow_ups_open"}]`` of the
    responses answered in [since, until), grouped ``by`` queue, agent or period (``grain``, local)."""
    responses = SurveyResponse.objects.filter(answered_at__gte=since, answered_at__lt=until)
    if queue_ids:
        responses = responses.filter(queue_id__in=queue_ids)
    if agent_ids:
        responses = responses.filter(agent_id__in=agent_ids)
    if by == "period":
        responses = responses.annotate(key=TRUNCS[grain]("answered_at", tzinfo=zone))
    else:
        responses = responses.annotate(key=F({"queue": "queue_id", "agent": "agent_id"}[by]))
    rows = (
        responses.values("key")
        .annotate(
            responses=Count("id"),
            score_sum=Sum("score"),
            top2=Count("id", filter=Q(score__gte=TOP_TWO_BOX_MIN)),
            low=Count("id", filter=Q(score__lte=LOW_SCORE_MAX)),
            follow_ups_open=Count("id", filter=Q(follow_up_status__in=[FollowUpStatus.PENDING, FollowUpStatus.OPEN])),
        )
        .order_by("key")
    )
    return [
        {
            "key": row["key"],
            "responses": row["responses"],
            "csat_mean": rounded(kpi_math.csat_mean(row["score_sum"] or 0, row["responses"]), 2),
            "csat_top2_percent": as_percent(kpi_math.csat_top_two(row["top2"], row["responses"])),
            "low": row["low"],
            "follow_ups_open": row["follow_ups_open"],
        }
        for row in rows
    ]
