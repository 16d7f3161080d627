"""Calls whose caller answered the post-call IVR survey, for a department that keeps survey records
(the CRM's SurveyResponse): the score stays on the CDR (``Call.survey_score``, written by the engine
store), and a department reads it through here, never through the engine (ARCHITECTURE §10)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet

from apps.telephony.models import Call

# The scale the IVR survey asks on (apps/telephony/ivr/defaults.py); other keys are not answers.
SURVEY_SCORES = (1, 2, 3, 4, 5)

SURVEY_FIELDS = ("id", "agent_id", "queue_id", "caller", "survey_score", "arrived_at", "ended_at")


def surveyed_calls(*, since: dt.datetime | None = None) -> QuerySet[Call]:
    """Ended calls with a survey score on the 1–5 scale, oldest first; ``since``: arrived at or
    after (the indexed column: a scan of recent calls stays small whatever the history)."""
    calls = Call.objects.filter(survey_score__in=SURVEY_SCORES, ended_at__isnull=False)
    if since is not None:
        calls = calls.filter(arrived_at__gte=since)
    return calls.order_by("arrived_at", "id")


def surveyed_call_rows(calls: QuerySet[Call]) -> list[dict[str, Any]]:
    """The fields a survey record copies, as dicts (one query)."""
    return list(calls.values(*SURVEY_FIELDS))
