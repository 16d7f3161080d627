"""From QA to training (issue 16 item 5): a coaching session that names a course assigns it, and
QA training rules assign a course to whoever missed a scorecard question often enough.

QA never imports training: :func:`register` (called from TrainingConfig.ready) fills QA's seam
``apps/qa/hooks.py`` with :func:`assign_from_coaching` and the list of courses a coach may choose.
Training reads QA only through its selectors (``regular_evaluations``).

A rule ("the question *Q* missed in *N* evaluations within a calendar month assigns course *C*")
runs from the beat (``training-qa-rules``): for the current month in the company's time zone, each
agent with at least N submitted regular evaluations in which *Q* (by its text, across the form's
versions) earned fewer than its points is assigned *C* — once per rule and month: a person who was
assigned the course since the month began (by this rule or otherwise) is left alone, so the run
is idempotent.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import Count, F
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.models import User
from apps.audit.choices import AuditAction
from apps.audit.services import audit_record
from apps.core.errors import ApplicationError
from apps.qa import hooks
from apps.qa.selectors.reports import regular_evaluations
from apps.reports.periods import tenant_zone
from apps.training.choices import AssignmentSource, CourseStatus
from apps.training.models import Course, CourseAssignment, QaTrainingRule
from apps.training.services.courses import course_assign


def coaching_courses() -> list[tuple[str, str]]:
    """The courses a coach may name: the published ones."""
    return list(Course.objects.filter(status=CourseStatus.PUBLISHED).order_by("title").values_list("key", "title"))


def assign_from_coaching(*, agent: Any, course_key: str, actor: Any, coaching: Any) -> None:
    """QA's seam: assign the course a coaching session names (due on its follow-up day if later)."""
    course = Course.objects.filter(key=course_key, status=CourseStatus.PUBLISHED).first()
    if course is None:
        raise ApplicationError("invalid", _("No such course."), fields={"course_key": [_("No such course.")]})
    follow = getattr(coaching, "follow_up_on", None)
    due = follow if isinstance(follow, dt.date) and follow >= timezone.localdate() else None
    course_assign(
        actor=actor,
        course=course,
        users=[agent],
        due_date=due,
        source=AssignmentSource.COACHING,
        source_ref=str(getattr(coaching, "pk", "") or ""),
    )


def register() -> None:
    hooks.register_course_assigner(assign_from_coaching, courses=coaching_courses)


# --- rules -----------------------------------------------------------------------------------


@transaction.atomic
def qa_rule_save(*, actor: User, data: Any, rule: QaTrainingRule | None = None) -> QaTrainingRule:
    """``{"name", "question_text", "misses", "course", "due_days", "is_active"}``."""
    if not isinstance(data, dict):
        raise ApplicationError("invalid", _("Send a JSON object."))
    current = (
        {}
        if rule is None
        else {
            "name": rule.name,
            "question_text": rule.question_text,
            "misses": rule.misses,
            "course": rule.course_id,
            "due_days": rule.due_days,
            "is_active": rule.is_active,
        }
    )
    merged = {**current, **data}
    errors: dict[str, list[str]] = {}
    for name, limit in (("name", 150), ("question_text", 500)):
        value = merged.get(name)
        if not isinstance(value, str) or not value.strip() or len(value.strip()) > limit or "\x00" in value:
            errors[name] = [_("Enter text of at most %(n)d characters.") % {"n": limit}]
    if (
        "name" not in errors
        and QaTrainingRule.objects.filter(name__iexact=merged["name"].strip())
        .exclude(pk=(rule.pk or 0) if rule else 0)
        .exists()
    ):
        errors["name"] = [_("A rule with this name exists.")]
    for name, low, high, default in (("misses", 1, 100, 3), ("due_days", 0, 365, 14)):
        value = merged.get(name, default)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            errors[name] = [_("Enter a whole number from %(low)d to %(high)d.") % {"low": low, "high": high}]
    course_id = merged.get("course")
    course = Course.objects.filter(pk=course_id).first() if isinstance(course_id, int) else None
    if course is None:
        errors["course"] = [_("Choose an existing course.")]
    is_active = merged.get("is_active", True)
    if not isinstance(is_active, bool):
        errors["is_active"] = [_("Enter true or false.")]
    if errors or course is None:
        raise ApplicationError("invalid", next(iter(errors.values()))[0], fields=errors)
    if rule is None:
        rule = QaTrainingRule(created_by=actor)
    rule.name, rule.question_text = merged["name"].strip(), merged["question_text"].strip()
    rule.misses, rule.due_days = merged.get("misses", 3), merged.get("due_days", 14)
    rule.course, rule.is_active = course, is_active
    rule.save()
    audit_record(
        action=AuditAction.TRAINING_QA_RULE_CHANGED,
        actor=actor,
        target=rule,
        before=current or None,
        after={
            **{k: getattr(rule, k) for k in ("name", "question_text", "misses", "due_days", "is_active")},
            "course": course.pk,
        },
    )
    return rule


def month_bounds(now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """The calendar month of ``now`` in the company's time zone, as [start, end) instants."""
    zone = tenant_zone()
    local = now.astimezone(zone)
    start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    end = (start + dt.timedelta(days=32)).replace(day=1)
    return start, end


def rule_offenders(rule: QaTrainingRule, *, since: dt.datetime, until: dt.datetime) -> dict[int, int]:
    """Agent user id → evaluations in [since, until) in which the rule's question was missed, for
    those with at least ``rule.misses`` of them."""
    missed = (
        regular_evaluations(since=since, until=until)
        .filter(
            agent__isnull=False,
            answers__question__text=rule.question_text,
            answers__na=False,
            answers__earned__lt=F("answers__question__points"),
        )
        .values("agent")
        .annotate(n=Count("id", distinct=True))
        .filter(n__gte=rule.misses)
    )
    return {row["agent"]: row["n"] for row in missed}


def qa_rules_run(*, now: dt.datetime | None = None) -> int:
    """Apply every active rule for the current month; returns the assignments made."""
    moment = now or timezone.now()
    since, until = month_bounds(moment)
    made = 0
    for rule in QaTrainingRule.objects.filter(is_active=True).select_related("course"):
        if rule.course.status != CourseStatus.PUBLISHED:
            continue
        offenders = rule_offenders(rule, since=since, until=min(until, moment + dt.timedelta(seconds=1)))
        if not offenders:
            continue
        already = set(
            CourseAssignment.objects.filter(
                course=rule.course, user_id__in=list(offenders), assigned_at__gte=since
            ).values_list("user_id", flat=True)
        )
        open_now = set(
            CourseAssignment.objects.filter(
                course=rule.course, user_id__in=list(offenders), completed_at__isnull=True
            ).values_list("user_id", flat=True)
        )
        users = list(User.objects.filter(pk__in=set(offenders) - already - open_now, is_active=True))
        if not users:
            continue
        with transaction.atomic():
            course_assign(
                actor=None,
                course=rule.course,
                users=users,
                due_date=timezone.localdate() + dt.timedelta(days=rule.due_days) if rule.due_days else None,
                source=AssignmentSource.QA_RULE,
                source_ref=f"{rule.pk}:{since:%Y-%m}",
            )
        made += len(users)
    return made
