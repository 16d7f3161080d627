"""Warning letters and dismissal-review flags (DOMAIN.md §4).

The system flags; a person decides. A flag keeps its evidence as counted (warning ids and
dates, absent dates), so the review sees the case as it stood. A rule flags again only when
there is evidence newer than that of the person's last flag for the same rule: a review that
kept the employee is not re-opened by the same absences.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.accounts.models import User
from apps.audit.services import audit_record
from apps.core.errors import ApplicationError
from apps.notifications.services import notify
from apps.workforce import rules
from apps.workforce.choices import DismissalRule, ReviewDecision
from apps.workforce.models import DisciplineWarning, DismissalReviewFlag
from apps.workforce.selectors.attendance import attendance_people
from apps.workforce.selectors.people import hr_people
from apps.workforce.selectors.policy import policy_on

KIND_WARNING = "workforce.warning"
KIND_REVIEW_FLAG = "workforce.review_flag"


@transaction.atomic
def warning_issue(*, user: User, reason: str, actor: User, evidence: str = "", evidence_file=None) -> DisciplineWarning:
    if not (reason or "").strip():
        raise ApplicationError("invalid", _("Give a reason."), fields={"reason": [_("Required.")]})
    warning = DisciplineWarning(user=user, reason=reason.strip(), evidence=(evidence or "").strip(), issued_by=actor)
    if evidence_file is not None:
        warning.evidence_file = evidence_file
    warning.save()
    audit_record(
        action="workforce.warning_issued",
        actor=actor,
        target=warning,
        after={"user": user.email, "reason": warning.reason},
    )
    notify(
        users=[user],
        kind=KIND_WARNING,
        title=_("You received a warning letter: %(reason)s"),
        params={"reason": warning.reason},
        url="/workforce/",
    )
    discipline_check(user=user, on=timezone.localdate())
    return warning


def _newer_than_last_flag(user: User, rule: str, dates: list[str]) -> bool:
    last = DismissalReviewFlag.objects.filter(user=user, rule=rule).order_by("-created_at").first()
    if last is None:
        return True
    seen = max((str(d) for d in last.evidence.get("dates", [])), default="")
    return max(dates) > seen


def _flag(user: User, rule: str, evidence: dict) -> DismissalReviewFlag | None:
    if DismissalReviewFlag.objects.filter(user=user, rule=rule, reviewed_at__isnull=True).exists():
        return None
    if not _newer_than_last_flag(user, rule, evidence["dates"]):
        return None
    flag = DismissalReviewFlag.objects.create(user=user, rule=rule, evidence=evidence)
    audit_record(action="workforce.review_flagged", target=flag, after={"user": user.email, "rule": rule, **evidence})
    notify(
        users=hr_people(),
        kind=KIND_REVIEW_FLAG,
        title=_("%(name)s is flagged for dismissal review: %(rule)s"),
        params={"name": user.get_full_name(), "rule": flag.get_rule_display()},
        url="/workforce/",
    )
    return flag


@transaction.atomic
def discipline_check(*, user: User, on: dt.date, now: dt.datetime | None = None) -> list[DismissalReviewFlag]:
    """Apply the thresholds of the policy in effect ``on`` to ``user`` and flag what they reach."""
    policy = rules.Policy.of(policy_on(on))
    flags: list[DismissalReviewFlag] = []
    warnings = list(DisciplineWarning.objects.filter(user=user, issued_at__date__lte=on).values_list("pk", "issued_at"))
    dates = {pk: timezone.localdate(at) for pk, at in warnings}
    reached = rules.warnings_reaching_threshold(list(dates.values()), on=on, policy=policy)
    if reached:
        evidence = {
            "dates": [d.isoformat() for d in reached],
            "warning_ids": sorted(pk for pk, day in dates.items() if day in reached),
            "window_months": policy.warning_window_months,
        }
        flag = _flag(user, DismissalRule.WARNINGS, evidence)
        if flag:
            flags.append(flag)
    person = attendance_people(on - dt.timedelta(days=365), on, user_ids=[user.pk], now=now).get(user.pk)
    scheduled = [(day.date, day.judgement.absent) for day in person.days] if person else []
    run = rules.consecutive_absences(scheduled, policy=policy)
    if run:
        flag = _flag(
            user,
            DismissalRule.ABSENCE_CONSECUTIVE,
            {"dates": [d.isoformat() for d in run], "threshold": policy.absence_consecutive_days},
        )
        if flag:
            flags.append(flag)
    in_year = rules.absences_in_year([d for d, absent in scheduled if absent], on=on, policy=policy)
    if in_year:
        flag = _flag(
            user,
            DismissalRule.ABSENCE_YEAR,
            {"dates": [d.isoformat() for d in in_year], "threshold": policy.absence_days_per_year},
        )
        if flag:
            flags.append(flag)
    return flags


def discipline_check_all(*, on: dt.date | None = None) -> int:
    """Every person with a shift or a warning in the last year (the daily task). Returns flags made."""
    on = on or timezone.localdate()
    people = attendance_people(on - dt.timedelta(days=365), on)
    ids = set(people) | set(
        DisciplineWarning.objects.filter(issued_at__date__gt=on - dt.timedelta(days=400)).values_list(
            "user_id", flat=True
        )
    )
    made = 0
    for user in User.objects.filter(pk__in=ids, is_active=True):
        made += len(discipline_check(user=user, on=on))
    return made


@transaction.atomic
def review_decide(*, flag: DismissalReviewFlag, decision: str, actor: User, note: str = "") -> DismissalReviewFlag:
    if decision not in (ReviewDecision.DISMISS, ReviewDecision.KEEP):
        raise ApplicationError("invalid", _("Decide: dismiss or keep."), fields={"decision": [_("dismiss or keep.")]})
    locked = DismissalReviewFlag.objects.select_for_update().select_related("user").get(pk=flag.pk)
    if locked.reviewed_at is not None:
        raise ApplicationError("workforce_not_pending", _("This flag is already reviewed."))
    locked.decision = decision
    locked.reviewed_by = actor
    locked.reviewed_at = timezone.now()
    locked.note = (note or "").strip()
    locked.save(update_fields=["decision", "reviewed_by", "reviewed_at", "note"])
    audit_record(
        action="workforce.review_decided",
        actor=actor,
        target=locked,
        after={"user": locked.user.email, "rule": locked.rule, "decision": decision, "note": locked.note},
    )
    return locked
