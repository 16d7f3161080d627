"""Calibration sessions: open one on a call, close it once the evaluators have scored.

QA leads and administrators run sessions. In ``lead`` mode the benchmark is the lead's own
calibration evaluation of the call — the lead is the session's creator — (or, at close, another
submitted evaluation of the session the lead names); in ``consensus`` mode it is the median
answer of the participants (apps/qa/calibration.py). The participants score the call on the
evaluation workspace with ``?calibration=<id>`` (apps/qa/services/evaluations.py saves those as
evaluations of kind ``calibration``: never shown to the agent, never in QA scores).

Closing freezes the session: the figures are computed from the submitted evaluations at read
time, and apps/qa/selectors/calibration.py ``calibration_scoring_error`` tells the evaluation service that nobody may score a
closed session any more.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from apps.accounts.models import User
from apps.audit.choices import AuditAction
from apps.audit.services import audit_record
from apps.core.errors import ApplicationError, PermissionDeniedError
from apps.qa import calibration as figures
from apps.qa.choices import BenchmarkMode, CalibrationStatus, ScorecardStatus
from apps.qa.models import CalibrationSession, Evaluation, Scorecard
from apps.qa.selectors.calibration import (
    EVALUATOR_ROLES,
    calibration_results,
    can_manage,
    submitted_by_evaluator,
)
from apps.telephony.selectors.calls import calls_visible_to

TITLE_MAX = 150
MIN_CONSENSUS_PARTICIPANTS = 2


def _check_manager(actor) -> None:
    if not can_manage(actor):
        raise PermissionDeniedError("forbidden", _("Only QA leads and administrators run calibration sessions."))


def _ids(value: Any) -> list[int] | None:
    if not isinstance(value, list | tuple):
        return None
    ids: list[int] = []
    for item in value:
        if isinstance(item, bool) or not isinstance(item, int | str):
            return None
        try:
            ids.append(int(item))
        except ValueError:
            return None
    return ids


def _due(value: Any, errors: dict[str, list[str]]) -> dt.datetime | None:
    if value in (None, ""):
        return None
    moment = value if isinstance(value, dt.datetime) else None
    if moment is None and isinstance(value, str):
        text = value.strip()
        moment = parse_datetime(text.replace(" ", "T", 1)) if len(text) > 10 else None
        if moment is None and len(text) == 10:
            try:
                # A day alone: due by the end of that day, the tenant's time.
                day = dt.date.fromisoformat(text)
                moment = dt.datetime.combine(day, dt.time(23, 59, 59))
            except ValueError:
                moment = None
    if moment is None:
        errors["due_at"] = [_("Enter a date and time (ISO 8601).")]
        return None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    if moment <= timezone.now():
        errors["due_at"] = [_("The due time must be in the future.")]
        return None
    return moment


def calibration_create(
    *,
    actor,
    title: Any,
    call: Any,
    scorecard: Any,
    participants: Any,
    benchmark_mode: Any = BenchmarkMode.LEAD,
    due_at: Any = None,
) -> CalibrationSession:
    """Open a session on ``call`` (a call uid) and ``scorecard`` (an id of a current, published
    version) for ``participants`` (user ids of QA analysts or leads). Bad input raises
    ``ApplicationError`` naming each field and creates nothing."""
    _check_manager(actor)
    errors: dict[str, list[str]] = {}

    title_text = title.strip() if isinstance(title, str) else ""
    if not title_text:
        errors["title"] = [_("Give the session a title.")]
    elif len(title_text) > TITLE_MAX:
        errors["title"] = [_("At most %(count)s characters.") % {"count": TITLE_MAX}]

    call_row = None
    if not isinstance(call, str) or not call.strip():
        errors["call"] = [_("Give the call's ID.")]
    else:
        call_row = calls_visible_to(actor).filter(uid=call.strip()).first()
        if call_row is None:
            errors["call"] = [_("No such call.")]

    scorecard_row = None
    try:
        scorecard_id = int(scorecard) if not isinstance(scorecard, bool) else None
    except (TypeError, ValueError):
        scorecard_id = None
    if scorecard_id is None:
        errors["scorecard"] = [_("Choose a scorecard by id.")]
    else:
        scorecard_row = Scorecard.objects.filter(pk=scorecard_id).first()
        if scorecard_row is None:
            errors["scorecard"] = [_("No such scorecard.")]
        elif not scorecard_row.is_current or scorecard_row.status != ScorecardStatus.PUBLISHED:
            errors["scorecard"] = [_("Choose the current, published version of a scorecard.")]
            scorecard_row = None

    mode = benchmark_mode if benchmark_mode not in (None, "") else BenchmarkMode.LEAD
    if mode not in BenchmarkMode.values:
        errors["benchmark_mode"] = [_("Choose lead or consensus.")]

    ids = _ids(participants)
    users: list[User] = []
    if ids is None:
        errors["participants"] = [_("Give the evaluators as a list of user ids.")]
    elif not ids:
        errors["participants"] = [_("Choose at least one evaluator.")]
    else:
        unique = sorted(set(ids))
        found = {user.pk: user for user in User.objects.filter(pk__in=unique, is_active=True)}
        unknown = [pk for pk in unique if pk not in found]
        not_evaluators = [pk for pk in unique if pk in found and not found[pk].has_role(*EVALUATOR_ROLES)]
        if unknown:
            errors["participants"] = [_("Unknown user: %(ids)s.") % {"ids": ", ".join(map(str, unknown))}]
        elif not_evaluators:
            errors["participants"] = [
                _("Not a QA analyst or QA lead: %(ids)s.") % {"ids": ", ".join(map(str, not_evaluators))}
            ]
        elif mode == BenchmarkMode.LEAD and actor.pk in found:
            errors["participants"] = [_("In lead mode you score the benchmark: you are not among the evaluators.")]
        elif mode == BenchmarkMode.CONSENSUS and len(unique) < MIN_CONSENSUS_PARTICIPANTS:
            errors["participants"] = [_("A consensus needs at least two evaluators.")]
        users = [found[pk] for pk in unique if pk in found]

    due = _due(due_at, errors)
    if errors:
        raise ApplicationError("invalid", _("The calibration session has invalid fields."), fields=errors)

    assert call_row is not None and scorecard_row is not None  # noqa: S101 -- no errors means both were found
    with transaction.atomic():
        session = CalibrationSession.objects.create(
            title=title_text,
            call=call_row,
            scorecard=scorecard_row,
            benchmark_mode=mode,
            due_at=due,
            created_by=actor,
        )
        session.participants.set(users)
        audit_record(
            action=AuditAction.CALIBRATION_CREATED,
            actor=actor,
            target=session,
            after={
                "title": session.title,
                "call": session.call.uid,
                "scorecard": session.scorecard_id,
                "benchmark_mode": session.benchmark_mode,
                "participants": [user.pk for user in users],
                "due_at": due.isoformat() if due else None,
            },
        )
    return session


def calibration_close(*, actor, session: CalibrationSession, benchmark_evaluation: Any = None) -> CalibrationSession:
    """Close ``session``. Lead mode needs a benchmark — ``benchmark_evaluation`` (an id of a
    submitted evaluation of this session), else the one already set, else the lead's own — and at
    least one other submitted evaluation; consensus mode needs two submitted evaluations."""
    _check_manager(actor)
    with transaction.atomic():
        session = CalibrationSession.objects.select_for_update().get(pk=session.pk)
        if session.status != CalibrationStatus.OPEN:
            raise ApplicationError("calibration_closed", _("This calibration session is already closed."))
        submitted = submitted_by_evaluator(session)
        participant_ids = set(session.participants.values_list("pk", flat=True))
        errors: dict[str, list[str]] = {}
        benchmark: Evaluation | None = None
        if session.benchmark_mode == BenchmarkMode.LEAD:
            if benchmark_evaluation not in (None, ""):
                try:
                    wanted = int(benchmark_evaluation)
                except (TypeError, ValueError):
                    wanted = -1
                benchmark = next((e for e in submitted.values() if e.pk == wanted), None)
                if benchmark is None:
                    errors["benchmark_evaluation"] = [_("Choose a submitted evaluation of this session.")]
            elif session.benchmark_evaluation_id is not None:
                benchmark = next((e for e in submitted.values() if e.pk == session.benchmark_evaluation_id), None)
            elif session.created_by_id is not None:
                benchmark = submitted.get(session.created_by_id)
            if benchmark is None and not errors:
                errors["benchmark_evaluation"] = [_("The lead has not submitted their evaluation of this call yet.")]
            compared = [
                e
                for user_id, e in submitted.items()
                if user_id in participant_ids and (benchmark is None or e != benchmark)
            ]
            if not compared:
                errors["participants"] = [_("No evaluator has submitted an evaluation yet.")]
        else:
            if benchmark_evaluation not in (None, ""):
                errors["benchmark_evaluation"] = [_("A consensus session has no benchmark evaluation.")]
            compared = [e for user_id, e in submitted.items() if user_id in participant_ids]
            if len(compared) < MIN_CONSENSUS_PARTICIPANTS:
                errors["participants"] = [_("A consensus needs at least two submitted evaluations.")]
        if errors:
            raise ApplicationError("invalid", _("The session cannot be closed yet."), fields=errors)

        session.status = CalibrationStatus.CLOSED
        session.closed_at = timezone.now()
        session.benchmark_evaluation = benchmark
        session.save(update_fields=["status", "closed_at", "benchmark_evaluation"])
        results = calibration_results(session)
        audit_record(
            action=AuditAction.CALIBRATION_CLOSED,
            actor=actor,
            target=session,
            after={
                "benchmark_evaluation": benchmark.pk if benchmark else None,
                "evaluations": sorted(e.pk for e in compared),
                "alignment_percent": str(figures.percent(results.alignment)) if results else None,
            },
        )
    return session
