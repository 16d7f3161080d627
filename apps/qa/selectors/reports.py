"""The figures of the QA reports (apps/qa/reports/): plain rows for the report framework.

What counts, everywhere here (docs/qa.md "QA reports" says it for users):

- **Regular evaluations only**: kind ``regular`` (never calibration ones) and not drafts (submitted,
  acknowledged, disputed or final).
- An evaluation belongs to the period (local day, week from Monday, month of the tenant's time
  zone) in which it was **submitted**.
- Filters: the call's agent (telephony agent ids) or queue, the agent's team (an evaluation of an
  agent in two teams counts in both), the scorecard (its whole family: every version of the form).
- Scores are the stored unrounded scores (apps/qa/scoring.py); means leave out evaluations with
  nothing scorable (score null); figures are rounded to 2 decimals only here, at the end.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Max, Min, Q, QuerySet, Sum
from django.db.models.functions import TruncDay, TruncMonth, TruncWeek

from apps.accounts.models import Team, User
from apps.qa.calibration import percent
from apps.qa.choices import Critical, DisputeStatus, EvaluationKind, EvaluationStatus
from apps.qa.models import Answer, Evaluation, Scorecard
from apps.qa.selectors.calibration import closed_alignments

TRUNC = {"day": TruncDay, "week": TruncWeek, "month": TruncMonth}


def regular_evaluations(
    *,
    since: dt.datetime,
    until: dt.datetime,
    agent_ids: Iterable[int] | None = None,
    team_ids: Iterable[int] | None = None,
    queue_ids: Iterable[int] | None = None,
    scorecard_ids: Iterable[int] | None = None,
    kind: str = EvaluationKind.REGULAR,
) -> QuerySet[Evaluation]:
    """Submitted evaluations of ``kind`` in [since, until) within the filters (``agent_ids`` are
    telephony agent ids, ``scorecard_ids`` stand for their whole families)."""
    evaluations = Evaluation.objects.filter(kind=kind, submitted_at__gte=since, submitted_at__lt=until).exclude(
        status=EvaluationStatus.DRAFT
    )
    if agent_ids:
        evaluations = evaluations.filter(call__agent_id__in=list(agent_ids))
    if queue_ids:
        evaluations = evaluations.filter(call__queue_id__in=list(queue_ids))
    if team_ids:
        members = User.objects.filter(teams__in=list(team_ids)).values("pk")
        evaluations = evaluations.filter(agent_id__in=members)
    if scorecard_ids:
        families = Scorecard.objects.filter(pk__in=list(scorecard_ids)).values("family")
        evaluations = evaluations.filter(scorecard__family__in=families)
    return evaluations


def period_of(value: dt.datetime | dt.date, zone: ZoneInfo) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.astimezone(zone).date()
    return value


def period_label(start: dt.date, grain: str) -> str:
    """How a period reads in a table and a chart: the first day, or the month for months."""
    return f"{start:%Y-%m}" if grain == "month" else start.isoformat()


def periods_between(since: dt.datetime, until: dt.datetime, grain: str, zone: ZoneInfo) -> list[dt.date]:
    """The first day of every period the range touches (charts show empty periods too)."""
    first = since.astimezone(zone).date()
    last = (until.astimezone(zone) - dt.timedelta(microseconds=1)).date()
    if grain == "week":
        first -= dt.timedelta(days=first.weekday())
    elif grain == "month":
        first = first.replace(day=1)
    starts = []
    day = first
    while day <= last:
        starts.append(day)
        if grain == "day":
            day += dt.timedelta(days=1)
        elif grain == "week":
            day += dt.timedelta(days=7)
        else:
            day = (day.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    return starts


def _round(value: Any) -> float | None:
    return None if value is None else float(Decimal(value).quantize(Decimal("0.01")))


def _ratio(part: Any, whole: Any) -> float | None:
    """part ÷ whole × 100 with 2 decimals; empty (None) when whole is 0, never 0."""
    if not whole:
        return None
    return _round(Decimal(part or 0) / Decimal(whole) * 100)


def user_names(ids: Iterable[int]) -> dict[int, str]:
    return {user.pk: user.name or user.email for user in User.objects.filter(pk__in=list(ids))}


# --- scores by agent, team or queue ------------------------------------------------------------

GROUP_FIELDS = {"agent": "agent_id", "team": "agent__teams", "queue": "call__queue_id"}


def score_rows(
    evaluations: QuerySet[Evaluation], *, by: str, grain: str, zone: ZoneInfo, team_ids: Iterable[int] | None = None
) -> list[dict[str, Any]]:
    """One row per period and agent (team, queue): evaluations, mean / lowest / highest score,
    evaluations with a failed critical question. ``key`` None is the group of evaluations without
    one (an agent in no team, a call outside any queue)."""
    group = GROUP_FIELDS[by]
    rows = (
        evaluations.annotate(period=TRUNC[grain]("submitted_at", tzinfo=zone))
        .values("period", group)
        .annotate(
            evaluations=Count("id"),
            score_mean=Avg("score"),
            score_min=Min("score"),
            score_max=Max("score"),
            failed=Count("id", filter=Q(critical_failed=True)),
        )
        .order_by("period", group)
    )
    wanted = set(team_ids) if by == "team" and team_ids else None
    out = []
    for row in rows:
        key = row[group]
        if wanted is not None and key not in wanted:
            continue  # the agent's other teams, outside the filter
        out.append(
            {
                "period_start": period_of(row["period"], zone),
                "key": key,
                "evaluations": row["evaluations"],
                "score_mean": _round(row["score_mean"]),
                "score_min": _round(row["score_min"]),
                "score_max": _round(row["score_max"]),
                "critical_failed": row["failed"],
                "critical_failed_percent": _ratio(row["failed"], row["evaluations"]),
            }
        )
    return out


def score_totals(evaluations: QuerySet[Evaluation]) -> dict[str, Any]:
    totals = evaluations.aggregate(
        evaluations=Count("id"),
        score_mean=Avg("score"),
        score_min=Min("score"),
        score_max=Max("score"),
        failed=Count("id", filter=Q(critical_failed=True)),
    )
    return {
        "evaluations": totals["evaluations"],
        "score_mean": _round(totals["score_mean"]),
        "score_min": _round(totals["score_min"]),
        "score_max": _round(totals["score_max"]),
        "critical_failed": totals["failed"],
        "critical_failed_percent": _ratio(totals["failed"], totals["evaluations"]),
    }


def team_names() -> dict[int, str]:
    return dict(Team.objects.order_by("name").values_list("id", "name"))


# --- questions ----------------------------------------------------------------------------------

QUESTION_GROUP = ("question__section__scorecard__name", "question__section__title", "question__text")


def question_rows(evaluations: QuerySet[Evaluation], *, grain: str | None, zone: ZoneInfo) -> list[dict[str, Any]]:
    """Per question (and period when ``grain`` is given): answered (not N/A), N/A, missed (earned
    less than the question's points), the share of points earned and the miss rate. A question is
    one text in one section of one scorecard, across the form's versions."""
    answers = Answer.objects.filter(evaluation__in=evaluations.values("pk"))
    fields: list[str] = list(QUESTION_GROUP)
    if grain:
        answers = answers.annotate(period=TRUNC[grain]("evaluation__submitted_at", tzinfo=zone))
        fields = ["period", *fields]
    rows = (
        answers.values(*fields)
        .annotate(
            answered=Count("id", filter=Q(na=False)),
            not_applicable=Count("id", filter=Q(na=True)),
            missed=Count("id", filter=Q(na=False, earned__lt=F("question__points"))),
            earned=Sum("earned", filter=Q(na=False)),
            possible=Sum("question__points", filter=Q(na=False)),
            critical=Max("question__critical"),
            position=Min("question__position"),
            section_position=Min("question__section__position"),
        )
        .order_by(*fields)
    )
    out = []
    for row in rows:
        out.append(
            {
                "period_start": period_of(row["period"], zone) if grain else None,
                "scorecard": row["question__section__scorecard__name"],
                "section": row["question__section__title"],
                "question": row["question__text"],
                "critical": row["critical"] if row["critical"] != Critical.NONE else "",
                "answered": row["answered"],
                "not_applicable": row["not_applicable"],
                "missed": row["missed"],
                "points_percent": _ratio(row["earned"], row["possible"]),
                "miss_rate": _ratio(row["missed"], row["answered"]),
                "order": (row["section_position"], row["position"]),
            }
        )
    return out


# --- critical failures, disputes ------------------------------------------------------------------


def _by_period(evaluations: QuerySet[Evaluation], grain: str | None, zone: ZoneInfo) -> QuerySet:
    if grain is None:
        return evaluations
    return evaluations.annotate(period=TRUNC[grain]("submitted_at", tzinfo=zone))


def critical_rows(evaluations: QuerySet[Evaluation], *, grain: str | None, zone: ZoneInfo) -> list[dict[str, Any]]:
    """Per period (or, with ``grain`` None, one row for the whole range): evaluations, those with a
    failed critical question, of which a form-critical one (score 0) or a section-critical one."""
    failed = Q(answers__na=False, answers__earned=0)
    aggregates = {
        "n_evaluations": Count("id", distinct=True),
        "n_critical_failed": Count("id", distinct=True, filter=Q(critical_failed=True)),
        "n_form_failed": Count("id", distinct=True, filter=failed & Q(answers__question__critical=Critical.FORM)),
        "n_section_failed": Count("id", distinct=True, filter=failed & Q(answers__question__critical=Critical.SECTION)),
    }
    if grain is None:
        rows: list[dict[str, Any]] = [evaluations.aggregate(**aggregates)]
    else:
        rows = list(_by_period(evaluations, grain, zone).values("period").annotate(**aggregates).order_by("period"))
    return [
        {
            "period_start": period_of(row["period"], zone) if grain else None,
            "evaluations": row["n_evaluations"],
            "critical_failed": row["n_critical_failed"],
            "critical_failed_percent": _ratio(row["n_critical_failed"], row["n_evaluations"]),
            "form_failed": row["n_form_failed"],
            "section_failed": row["n_section_failed"],
        }
        for row in rows
    ]


def dispute_rows(evaluations: QuerySet[Evaluation], *, grain: str | None, zone: ZoneInfo) -> list[dict[str, Any]]:
    """Per period of the evaluations' submission: evaluations, disputes raised against them,
    disputed evaluations, the dispute rate (disputes ÷ evaluations), and of the decided disputes
    the accepted share."""
    aggregates = {
        "n_evaluations": Count("id", distinct=True),
        "n_disputed": Count("id", distinct=True, filter=Q(disputes__isnull=False)),
        "n_disputes": Count("disputes", distinct=True),
        "n_accepted": Count("disputes", distinct=True, filter=Q(disputes__status=DisputeStatus.ACCEPTED)),
        "n_rejected": Count("disputes", distinct=True, filter=Q(disputes__status=DisputeStatus.REJECTED)),
        "n_open": Count("disputes", distinct=True, filter=Q(disputes__status=DisputeStatus.OPEN)),
    }
    if grain is None:
        rows: list[dict[str, Any]] = [evaluations.aggregate(**aggregates)]
    else:
        rows = list(_by_period(evaluations, grain, zone).values("period").annotate(**aggregates).order_by("period"))
    return [
        {
            "period_start": period_of(row["period"], zone) if grain else None,
            "evaluations": row["n_evaluations"],
            "disputes": row["n_disputes"],
            "disputed": row["n_disputed"],
            "dispute_rate": _ratio(row["n_disputes"], row["n_evaluations"]),
            "accepted": row["n_accepted"],
            "rejected": row["n_rejected"],
            "open": row["n_open"],
            "accepted_percent": _ratio(row["n_accepted"], (row["n_accepted"] or 0) + (row["n_rejected"] or 0)),
        }
        for row in rows
    ]


# --- evaluators -------------------------------------------------------------------------------------


def throughput_rows(
    evaluations: QuerySet[Evaluation], calibrations: QuerySet[Evaluation], *, grain: str, zone: ZoneInfo
) -> list[dict[str, Any]]:
    """Per period and evaluator: regular evaluations submitted, the mean time from an
    evaluation's first save to its submission, the mean score given, and calibration evaluations
    submitted (work too, though never in a score)."""
    took = ExpressionWrapper(F("submitted_at") - F("created_at"), output_field=DurationField())
    rows = (
        _by_period(evaluations, grain, zone)
        .values("period", "evaluator_id")
        .annotate(evaluations=Count("id"), seconds=Avg(took), score_mean=Avg("score"))
        .order_by("period", "evaluator_id")
    )
    calibrated: dict[tuple[Any, Any], int] = {
        (row["period"], row["evaluator_id"]): row["count"]
        for row in _by_period(calibrations, grain, zone).values("period", "evaluator_id").annotate(count=Count("id"))
    }
    out: dict[tuple[Any, Any], dict[str, Any]] = {}
    for row in rows:
        seconds = row["seconds"]
        out[(row["period"], row["evaluator_id"])] = {
            "period_start": period_of(row["period"], zone),
            "key": row["evaluator_id"],
            "evaluations": row["evaluations"],
            "seconds_mean": round(seconds.total_seconds(), 1) if seconds is not None else None,
            "score_mean": _round(row["score_mean"]),
            "calibrations": calibrated.get((row["period"], row["evaluator_id"]), 0),
        }
    for (period, evaluator_id), count in calibrated.items():
        if (period, evaluator_id) not in out:
            out[(period, evaluator_id)] = {
                "period_start": period_of(period, zone),
                "key": evaluator_id,
                "evaluations": 0,
                "seconds_mean": None,
                "score_mean": None,
                "calibrations": count,
            }
    return sorted(out.values(), key=lambda row: (row["period_start"], row["key"] or 0))


def alignment_rows(
    *,
    since: dt.datetime,
    until: dt.datetime,
    grain: str,
    zone: ZoneInfo,
    scorecard_ids: Iterable[int] | None = None,
) -> list[dict[str, Any]]:
    """Per period (of the sessions' closing) and evaluator: calibration sessions closed and the
    mean of the evaluator's alignment in them (percent)."""
    families = (
        set(Scorecard.objects.filter(pk__in=list(scorecard_ids)).values_list("family", flat=True))
        if scorecard_ids
        else None
    )
    grouped: dict[tuple[dt.date, int], list[Decimal]] = defaultdict(list)
    starts = periods_between(since, until, grain, zone)
    for session, alignments in closed_alignments(since=since, until=until):
        if families is not None and session.scorecard.family not in families:
            continue
        closed = session.closed_at.astimezone(zone).date() if session.closed_at else None
        if closed is None:
            continue
        start = max((s for s in starts if s <= closed), default=closed)
        for user_id, alignment in alignments.items():
            grouped[(start, user_id)].append(alignment)
    rows = []
    for (start, user_id), values in sorted(grouped.items()):
        rows.append(
            {
                "period_start": start,
                "key": user_id,
                "sessions": len(values),
                "alignment_percent": float(percent(sum(values, Decimal(0)) / len(values)) or 0),
            }
        )
    return rows
