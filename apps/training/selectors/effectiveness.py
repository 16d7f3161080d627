"""Training effectiveness (issue 16 item 5): each course's effect on its trainees' QA scores.

For each trainee who completed the course: the mean of their last ``n`` QA scores before the
completion and of their first ``n`` after it (regular, submitted evaluations, read through QA's
selectors), with how many evaluations each mean rests on. A course's row pools its trainees'
evaluations: mean before, mean after, the change (after − before), the counts and the number of
trainees on each side. A trainee with no evaluation on one side adds nothing to that side's mean
(the counts say so) and is left out of the change's pairs. The arithmetic is :func:`before_after`
and :func:`pooled`, plain functions over numbers, tested on hand-made data.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils import timezone

from apps.qa.selectors.reports import regular_evaluations
from apps.training.models import Course, CourseAssignment

DEFAULT_N = 5
# How far around a completion the evaluations are looked for.
LOOK_DAYS = 365


@dataclass(frozen=True)
class Side:
    mean: float | None
    count: int


def _mean(values: Sequence[float]) -> float | None:
    return round(sum(values) / len(values), 2) if values else None


def before_after(
    scores: Iterable[tuple[dt.datetime, float]], completed_at: dt.datetime, n: int
) -> tuple[list[float], list[float]]:
    """The last ``n`` scores strictly before ``completed_at`` and the first ``n`` at or after it."""
    ordered = sorted(scores, key=lambda row: row[0])
    before = [score for at, score in ordered if at < completed_at][-n:] if n > 0 else []
    after = [score for at, score in ordered if at >= completed_at][:n] if n > 0 else []
    return before, after


def pooled(pairs: Iterable[tuple[list[float], list[float]]]) -> dict[str, Any]:
    """A course's figures from its trainees' (before, after) score lists."""
    before: list[float] = []
    after: list[float] = []
    trainees_before = trainees_after = 0
    for b, a in pairs:
        before += b
        after += a
        trainees_before += bool(b)
        trainees_after += bool(a)
    mean_before, mean_after = _mean(before), _mean(after)
    change = round(mean_after - mean_before, 2) if mean_before is not None and mean_after is not None else None
    return {
        "mean_before": mean_before,
        "evaluations_before": len(before),
        "trainees_before": trainees_before,
        "mean_after": mean_after,
        "evaluations_after": len(after),
        "trainees_after": trainees_after,
        "change": change,
    }


def _scores_of(
    user_ids: set[int], since: dt.datetime, until: dt.datetime
) -> dict[int, list[tuple[dt.datetime, float]]]:
    out: dict[int, list[tuple[dt.datetime, float]]] = {pk: [] for pk in user_ids}
    rows = (
        regular_evaluations(since=since, until=until)
        .filter(agent_id__in=list(user_ids), score__isnull=False)
        .values_list("agent_id", "submitted_at", "score")
    )
    for agent_id, at, score in rows:
        if at is not None and score is not None:
            out[agent_id].append((at, float(Decimal(score))))
    return out


def course_effectiveness(
    *, n: int = DEFAULT_N, since: dt.datetime | None = None, until: dt.datetime | None = None, course_ids=None
) -> list[dict[str, Any]]:
    """One row per course with completions in [since, until): trainees and the pooled figures."""
    completions = CourseAssignment.objects.filter(completed_at__isnull=False).select_related("course")
    if since is not None:
        completions = completions.filter(completed_at__gte=since)
    if until is not None:
        completions = completions.filter(completed_at__lt=until)
    if course_ids:
        completions = completions.filter(course_id__in=list(course_ids))
    by_course: dict[int, list[tuple[int, dt.datetime]]] = {}
    for course_id, user_id, completed_at in completions.order_by("completed_at").values_list(
        "course_id", "user_id", "completed_at"
    ):
        if completed_at is not None:
            by_course.setdefault(course_id, []).append((user_id, completed_at))
    if not by_course:
        return []
    users = {user_id for rows in by_course.values() for user_id, _at in rows}
    first = min(at for rows in by_course.values() for _user, at in rows)
    last = max(at for rows in by_course.values() for _user, at in rows)
    scores = _scores_of(
        users, first - dt.timedelta(days=LOOK_DAYS), max(last + dt.timedelta(days=LOOK_DAYS), timezone.now())
    )
    courses = {c.pk: c for c in Course.objects.filter(pk__in=list(by_course))}
    out = []
    for course_id, rows in by_course.items():
        pairs = [before_after(scores.get(user_id, []), at, n) for user_id, at in rows]
        out.append(
            {
                "course": courses[course_id],
                "course_title": courses[course_id].title,
                "trainees": len(rows),
                "n": n,
                **pooled(pairs),
            }
        )
    out.sort(key=lambda row: row["course_title"].lower())
    return out


def trainee_effectiveness(course: Course, *, n: int = DEFAULT_N) -> list[dict[str, Any]]:
    """Per trainee of ``course``: their before/after means and counts (the course page's detail)."""
    rows = [
        (a, a.completed_at)
        for a in CourseAssignment.objects.filter(course=course, completed_at__isnull=False).select_related("user")
        if a.completed_at is not None
    ]
    if not rows:
        return []
    first = min(at for _a, at in rows)
    scores = _scores_of(
        {a.user_id for a, _at in rows}, first - dt.timedelta(days=LOOK_DAYS), timezone.now() + dt.timedelta(days=1)
    )
    out = []
    for assignment, at in rows:
        before, after = before_after(scores.get(assignment.user_id, []), at, n)
        out.append({"user": assignment.user, "completed_at": at, **pooled([(before, after)])})
    return out
