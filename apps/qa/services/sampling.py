"""Sampling: run one rule over one period, and hand the samples to the QA analysts.

Why in SQL: a large center has a million calls in a month; pulling them into Python to draw
would take a minute. The draw (apps/qa/sampling.py states it in Python) runs in PostgreSQL
(apps/qa/selectors/sampling_draw.py): each eligible call has the key ``md5(uid || "|seed|period")``,
and the first ``quota(n)`` calls of each group (agent and/or strata) in key order are the random
sample. Only the picks (a few per cent) come back.

What is eligible: calls that arrived in the period (local to the tenant) and were handled by an
agent, with at least ``min_talk_seconds`` of talk ("too short" is excluded, whatever else the
call matches), in the rule's queues, campaigns and directions when it names some; with
``exclude_evaluated``, not a call already evaluated (a regular evaluation, draft or not) nor one
another rule has sampled and nobody skipped. Always-include tests (low CSAT, the named
dispositions, transfers, long holds, analysis flags) add the eligible calls they match whatever
the draw, with the first matching test as the sample's reason; the random draw takes its quota
from the other calls. With ``require_recording`` (the default) a call without a recording is
never picked — the draw passes over it to the next call — though the quota still counts it.

Idempotent: the picks are recomputed from the same data, and calls this rule already sampled stay
eligible (its own assignments are not "evaluated elsewhere"), so a second run finds the same
calls and the unique (rule, call) constraint keeps them once: nothing new is created. Runs of one
rule are serialised by an advisory lock.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.models import User
from apps.audit.choices import AuditAction
from apps.audit.services import audit_record
from apps.core.errors import ApplicationError
from apps.qa import sampling as rules
from apps.qa.choices import AssignmentStatus, SamplingPeriod, ScorecardStatus
from apps.qa.models import Assignment, SamplingRule, Scorecard
from apps.qa.selectors.sampling import (
    EVALUATOR_ROLES,
    OPEN_STATUSES,
    analysis_flag_choices,
    open_assignment_counts,
)
from apps.qa.selectors.sampling_draw import Drawn, draw
from apps.reports.periods import tenant_zone
from apps.telephony.choices import CallDirection
from apps.telephony.models import Agent, Campaign, Disposition, Queue

logger = logging.getLogger(__name__)

WORK_MEM = "128MB"  # the window's sort of a million keys stays in memory
MAX_DUE_DAYS = 90
LOCK_CLASS = 0x5A4D  # pg_advisory_xact_lock(class, rule id): one run of a rule at a time
MAX_PER_AGENT = 1000

RULE_FIELDS = (
    "name",
    "is_active",
    "scorecard",
    "period",
    "per_agent",
    "percent",
    "strata",
    "queues",
    "campaigns",
    "directions",
    "min_talk_seconds",
    "include_csat_at_most",
    "include_dispositions",
    "include_transfers",
    "include_hold_seconds_over",
    "include_analysis_flags",
    "exclude_evaluated",
    "require_recording",
    "evaluators",
    "due_days",
    "seed",
)
M2M_FIELDS = {"queues": Queue, "campaigns": Campaign, "include_dispositions": Disposition, "evaluators": User}


# --- rules: create, change, delete ---------------------------------------------------------------


def _int(value: Any, name: str, errors: dict, *, low: int, high: int, allow_none: bool = True) -> int | None:
    if value in (None, ""):
        if not allow_none:
            errors[name] = [_("This field is required.")]
        return None
    try:
        number = int(value) if not isinstance(value, bool) and str(value).strip().lstrip("-").isdigit() else None
    except (TypeError, ValueError):
        number = None
    if number is None or not low <= number <= high:
        errors[name] = [_("Enter a whole number from %(low)s to %(high)s.") % {"low": low, "high": high}]
        return None
    return number


def _bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "on", "yes")
    return bool(value)


def _list(value: Any) -> list:
    """A JSON list, a form's list or queryset, or one value alone."""
    if value is None or value == "":
        return []
    if isinstance(value, (str, bytes, int, dict)) or not hasattr(value, "__iter__"):
        return [value]
    return list(value)


def _ids(value: Any, name: str, errors: dict, model: Any, *, extra: Mapping[str, Any] | None = None) -> list:
    """Rows of ``model`` named by ids (or instances); a missing one is a field error."""
    wanted: list[int] = []
    for item in _list(value):
        pk = getattr(item, "pk", item)
        try:
            wanted.append(int(pk))
        except (TypeError, ValueError):
            errors[name] = [_("Unknown choice: %(value)s.") % {"value": item}]
            return []
    rows = model.objects.filter(pk__in=wanted, **(extra or {}))
    found = {row.pk: row for row in rows}
    missing = [pk for pk in wanted if pk not in found]
    if missing:
        errors[name] = [_("Unknown choice: %(value)s.") % {"value": ", ".join(map(str, missing))}]
        return []
    return [found[pk] for pk in dict.fromkeys(wanted)]


def _choices(value: Any, name: str, errors: dict, allowed: tuple[str, ...] | list[str]) -> list[str]:
    items = [str(item) for item in _list(value)]
    bad = [item for item in items if item not in allowed]
    if bad:
        errors[name] = [_("Unknown choice: %(value)s.") % {"value": ", ".join(bad)}]
        return []
    return list(dict.fromkeys(items))


def rule_clean(data: Mapping[str, Any], *, instance: SamplingRule | None = None) -> dict[str, Any]:
    """The rule's fields from ``data`` (the API's JSON or a form's cleaned data), checked; a
    partial update (``instance`` given) keeps the fields ``data`` leaves out. Bad input raises
    ``ApplicationError("invalid", fields={...})`` naming every bad field."""
    errors: dict[str, list[str]] = {}
    current = rule_values(instance) if instance is not None else {}
    merged = {**current, **{key: value for key, value in data.items() if key in RULE_FIELDS}}
    out: dict[str, Any] = {}

    name = str(merged.get("name") or "").strip()
    if not name:
        errors["name"] = [_("This field is required.")]
    elif len(name) > 150:
        errors["name"] = [_("At most 150 characters.")]
    out["name"] = name
    out["is_active"] = _bool(merged.get("is_active", True))

    scorecard = merged.get("scorecard")
    scorecard_id = getattr(scorecard, "pk", scorecard)
    found = None
    if scorecard_id in (None, ""):
        errors["scorecard"] = [_("This field is required.")]
    else:
        try:
            found = Scorecard.objects.filter(pk=int(scorecard_id)).first()
        except (TypeError, ValueError):
            found = None
        if found is None:
            errors["scorecard"] = [_("Unknown scorecard.")]
        elif not found.is_current or found.status != ScorecardStatus.PUBLISHED:
            errors["scorecard"] = [_("Choose the current version of a published scorecard.")]
    out["scorecard"] = found

    period = str(merged.get("period") or SamplingPeriod.WEEK)
    if period not in SamplingPeriod.values:
        errors["period"] = [_("Choose day, week or month.")]
    out["period"] = period
    out["per_agent"] = _int(merged.get("per_agent"), "per_agent", errors, low=1, high=MAX_PER_AGENT)
    percent = merged.get("percent")
    if percent in (None, ""):
        out["percent"] = None
    else:
        try:
            out["percent"] = Decimal(str(percent)).quantize(Decimal("0.01"))
        except (InvalidOperation, ValueError):
            out["percent"] = None
            errors["percent"] = [_("Enter a number greater than 0 and at most 100.")]
        else:
            if not Decimal(0) < out["percent"] <= Decimal(100):
                errors["percent"] = [_("Enter a number greater than 0 and at most 100.")]
    out["strata"] = _choices(merged.get("strata"), "strata", errors, rules.STRATA)
    out["directions"] = _choices(merged.get("directions"), "directions", errors, CallDirection.values)
    out["min_talk_seconds"] = _int(
        merged.get("min_talk_seconds", 30), "min_talk_seconds", errors, low=0, high=86_400, allow_none=False
    )
    out["include_csat_at_most"] = _int(
        merged.get("include_csat_at_most"), "include_csat_at_most", errors, low=0, high=10
    )
    out["include_transfers"] = _bool(merged.get("include_transfers", False))
    out["include_hold_seconds_over"] = _int(
        merged.get("include_hold_seconds_over"), "include_hold_seconds_over", errors, low=0, high=86_400
    )
    out["include_analysis_flags"] = _choices(
        merged.get("include_analysis_flags"),
        "include_analysis_flags",
        errors,
        [code for code, _label in analysis_flag_choices()],
    )
    out["exclude_evaluated"] = _bool(merged.get("exclude_evaluated", True))
    out["require_recording"] = _bool(merged.get("require_recording", True))
    out["due_days"] = _int(merged.get("due_days", 5), "due_days", errors, low=0, high=MAX_DUE_DAYS, allow_none=False)
    seed = merged.get("seed")
    out["seed"] = (
        secrets.randbelow(2**31)
        if seed in (None, "")
        else _int(seed, "seed", errors, low=-(2**63), high=2**63 - 1, allow_none=False)
    )
    out["queues"] = _ids(merged.get("queues"), "queues", errors, Queue)
    out["campaigns"] = _ids(merged.get("campaigns"), "campaigns", errors, Campaign)
    out["include_dispositions"] = _ids(merged.get("include_dispositions"), "include_dispositions", errors, Disposition)
    evaluators = _ids(merged.get("evaluators"), "evaluators", errors, User, extra={"is_active": True})
    if any(not user.has_role(*EVALUATOR_ROLES) for user in evaluators):
        errors["evaluators"] = [_("Evaluators must be quality analysts or QA leads.")]
    out["evaluators"] = evaluators

    picks_something = (
        out["per_agent"]
        or out["percent"]
        or out["include_csat_at_most"] is not None
        or out["include_dispositions"]
        or out["include_transfers"]
        or out["include_hold_seconds_over"] is not None
        or out["include_analysis_flags"]
    )
    if not errors and not picks_something:
        errors["per_agent"] = [_("Give calls per agent, a percentage, or at least one always-include test.")]
    if errors:
        raise ApplicationError("invalid", _("The sampling rule is not valid."), fields=errors)
    return out


def rule_values(rule: SamplingRule) -> dict[str, Any]:
    """The rule as plain values (ids for relations): what the audit log keeps and a form starts from."""
    return {
        "name": rule.name,
        "is_active": rule.is_active,
        "scorecard": rule.scorecard_id,
        "period": rule.period,
        "per_agent": rule.per_agent,
        "percent": str(rule.percent) if rule.percent is not None else None,
        "strata": list(rule.strata or []),
        "queues": sorted(rule.queues.values_list("pk", flat=True)) if rule.pk else [],
        "campaigns": sorted(rule.campaigns.values_list("pk", flat=True)) if rule.pk else [],
        "directions": list(rule.directions or []),
        "min_talk_seconds": rule.min_talk_seconds,
        "include_csat_at_most": rule.include_csat_at_most,
        "include_dispositions": sorted(rule.include_dispositions.values_list("pk", flat=True)) if rule.pk else [],
        "include_transfers": rule.include_transfers,
        "include_hold_seconds_over": rule.include_hold_seconds_over,
        "include_analysis_flags": list(rule.include_analysis_flags or []),
        "exclude_evaluated": rule.exclude_evaluated,
        "require_recording": rule.require_recording,
        "evaluators": sorted(rule.evaluators.values_list("pk", flat=True)) if rule.pk else [],
        "due_days": rule.due_days,
        "seed": rule.seed,
    }


def _apply(rule: SamplingRule, values: dict[str, Any]) -> None:
    for name, value in values.items():
        if name not in M2M_FIELDS:
            setattr(rule, name, value)
    rule.save()
    for name in M2M_FIELDS:
        getattr(rule, name).set(values[name])


@transaction.atomic
def sampling_rule_create(*, data: Mapping[str, Any], actor: User | None = None) -> SamplingRule:
    """A new rule (a random seed unless ``data`` gives one)."""
    values = rule_clean(data)
    rule = SamplingRule()
    _apply(rule, values)
    audit_record(action=AuditAction.SAMPLING_RULE_CREATED, actor=actor, target=rule, after=rule_values(rule))
    return rule


@transaction.atomic
def sampling_rule_update(*, rule: SamplingRule, data: Mapping[str, Any], actor: User | None = None) -> SamplingRule:
    """Change the fields ``data`` names; the samples it made already stay as they are."""
    rule = SamplingRule.objects.select_for_update().get(pk=rule.pk)
    before = rule_values(rule)
    values = rule_clean(data, instance=rule)
    _apply(rule, values)
    after = rule_values(rule)
    changed = {key for key in after if after[key] != before[key]}
    if changed:
        audit_record(
            action=AuditAction.SAMPLING_RULE_CHANGED,
            actor=actor,
            target=rule,
            before={key: before[key] for key in sorted(changed)},
            after={key: after[key] for key in sorted(changed)},
        )
    return rule


@transaction.atomic
def sampling_rule_delete(*, rule: SamplingRule, actor: User | None = None) -> None:
    """Delete the rule; its assignments stay (without a rule) so no work in hand disappears."""
    before = rule_values(rule)
    audit_record(action=AuditAction.SAMPLING_RULE_DELETED, actor=actor, target=rule, before=before)
    rule.delete()


# --- running a rule ------------------------------------------------------------------------------


Pick = Drawn  # one picked call (apps/qa/selectors/sampling_draw.py)


@dataclass
class SamplingResult:
    rule_id: int
    period_start: date
    since: datetime
    until: datetime
    due_at: datetime
    eligible: int
    picks: list[Pick] = field(default_factory=list)
    created: int = 0
    dry_run: bool = False
    seconds: float = 0.0

    @property
    def by_reason(self) -> dict[str, int]:
        return dict(Counter(pick.reason for pick in self.picks))

    @property
    def new(self) -> list[Pick]:
        return [pick for pick in self.picks if not pick.existing]


def _table(model: Any) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _period_start(rule: SamplingRule, period_start: date | None, today: date) -> date:
    if period_start is None:
        return rules.last_complete_period(rule.period, today)
    start = rules.period_floor(rule.period, period_start)
    if start > today:
        raise ApplicationError(
            "invalid",
            _("That period has not started yet."),
            fields={"period_start": [_("That period has not started yet.")]},
        )
    return start


def _due_at(rule: SamplingRule, until: datetime) -> datetime:
    zone = tenant_zone()
    end = until.astimezone(zone).date() + timedelta(days=rule.due_days)
    return rules.local_midnight(end, zone)


def sampling_run(
    *,
    rule: SamplingRule,
    period_start: date | None = None,
    dry_run: bool = False,
    actor: User | None = None,
    today: date | None = None,
) -> SamplingResult:
    """Draw ``rule``'s sample for the period starting on (or holding) ``period_start`` — by
    default the last period that has ended — and, unless ``dry_run``, create the assignments
    it does not have yet. Returns the picks (those already assigned marked ``existing``) with
    the evaluator each new one goes to."""
    started = time.perf_counter()
    zone = tenant_zone()
    today = today or timezone.now().astimezone(zone).date()
    start = _period_start(rule, period_start, today)
    since, until = rules.period_bounds(rule.period, start, zone)
    result = SamplingResult(
        rule_id=rule.pk, period_start=start, since=since, until=until, due_at=_due_at(rule, until), eligible=0
    )
    result.dry_run = dry_run
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [LOCK_CLASS, rule.pk])
            cursor.execute(f"SET LOCAL work_mem = '{WORK_MEM}'")
            # A crash right after the commit could lose these assignments, never corrupt them; the
            # next run (the beat's, or the same button) draws the same calls and makes them again.
            cursor.execute("SET LOCAL synchronous_commit = off")
            # Row counts of filtered calls are guesses; a merge join would sort every call of the
            # period to meet the groups' limits, which a hash join does not.
            cursor.execute("SET LOCAL enable_mergejoin = off")
            result.eligible, result.picks = draw(rule, since=since, until=until, period_start=start)
        new = result.new
        evaluators = list(rule.evaluators.filter(is_active=True).values_list("pk", flat=True))
        chosen = rules.balance(
            [(pick.call_id, pick.agent_user_id) for pick in new], evaluators, open_assignment_counts(evaluators)
        )
        for pick, assignee in zip(new, chosen, strict=True):
            pick.assignee_id = assignee
        if not dry_run and new:
            result.created = _insert(rule, new, period_start=start, due_at=result.due_at)
            if result.created:
                audit_record(
                    action=AuditAction.SAMPLING_RUN,
                    actor=actor,
                    target=rule,
                    extra={
                        "period_start": start.isoformat(),
                        "created": result.created,
                        "reasons": dict(Counter(pick.reason for pick in new)),
                    },
                )
    result.seconds = time.perf_counter() - started
    return result


def _insert(rule: SamplingRule, picks: list[Pick], *, period_start: date, due_at: datetime) -> int:
    """Insert the new assignments in one statement; a call another run added meanwhile is skipped
    by the unique (rule, call) constraint."""
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
INSERT INTO {_table(Assignment)}
    (rule_id, call_id, scorecard_id, assignee_id, period_start, reason, status, due_at, created_at)
SELECT %s, x.call_id, %s, x.assignee_id, %s, x.reason, %s, %s, %s
FROM unnest(%s::bigint[], %s::bigint[], %s::text[]) AS x(call_id, assignee_id, reason)
ON CONFLICT (rule_id, call_id) DO NOTHING
""",  # noqa: S608 - the table name only
            [
                rule.pk,
                rule.scorecard_id,
                period_start,
                AssignmentStatus.PENDING,
                due_at,
                now,
                [pick.call_id for pick in picks],
                [pick.assignee_id for pick in picks],
                [pick.reason for pick in picks],
            ],
        )
        return cursor.rowcount


def sampling_run_due(*, today: date | None = None) -> dict[str, int]:
    """The beat's work in one tenant: each active rule's sample of its last ended period, once.
    A rule that has samples for that period already is left alone (running it again would
    create nothing, but costs a query over the period's calls)."""
    zone = tenant_zone()
    today = today or timezone.now().astimezone(zone).date()
    totals = {"rules": 0, "created": 0}
    for rule in SamplingRule.objects.filter(is_active=True).order_by("pk"):
        start = rules.last_complete_period(rule.period, today)
        if Assignment.objects.filter(rule=rule, period_start=start).exists():
            continue
        result = sampling_run(rule=rule, period_start=start, today=today)
        totals["rules"] += 1
        totals["created"] += result.created
    return totals


# --- assignments ---------------------------------------------------------------------------------


@transaction.atomic
def assignment_reassign(*, assignment: Assignment, assignee: User | None, actor: User | None = None) -> Assignment:
    """Give an open assignment to another analyst (or back to the pool with None)."""
    assignment = Assignment.objects.select_for_update().get(pk=assignment.pk)
    if assignment.status not in OPEN_STATUSES:
        raise ApplicationError("invalid_state", _("Only an assignment still to do or in progress can be reassigned."))
    if assignee is not None and (not assignee.is_active or not assignee.has_role(*EVALUATOR_ROLES)):
        raise ApplicationError(
            "invalid",
            _("Choose a quality analyst or a QA lead."),
            fields={"assignee": [_("Choose a quality analyst or a QA lead.")]},
        )
    handled_by = assignment.call.agent_id
    if assignee is not None and handled_by is not None and Agent.objects.filter(pk=handled_by, user=assignee).exists():
        raise ApplicationError(
            "invalid",
            _("Nobody evaluates a call they handled themselves."),
            fields={"assignee": [_("Nobody evaluates a call they handled themselves.")]},
        )
    before = assignment.assignee_id
    if before == (assignee.pk if assignee else None):
        return assignment
    assignment.assignee = assignee
    assignment.save(update_fields=["assignee"])
    audit_record(
        action=AuditAction.ASSIGNMENT_REASSIGNED,
        actor=actor,
        target=assignment,
        before={"assignee": before},
        after={"assignee": assignment.assignee_id},
    )
    return assignment


@transaction.atomic
def assignment_skip(*, assignment: Assignment, actor: User | None = None) -> Assignment:
    """Take an open assignment off the board (the call is not worth evaluating): it stays
    recorded, and the rule will not sample the call again."""
    assignment = Assignment.objects.select_for_update().get(pk=assignment.pk)
    if assignment.status not in OPEN_STATUSES:
        raise ApplicationError("invalid_state", _("Only an assignment still to do or in progress can be skipped."))
    assignment.status = AssignmentStatus.SKIPPED
    assignment.save(update_fields=["status"])
    audit_record(action=AuditAction.ASSIGNMENT_SKIPPED, actor=actor, target=assignment)
    return assignment
