"""The evaluation workspace: a call's details, timeline and recording on a waveform player, the
scorecard beside it with a live score, timestamped comments, Save draft and Submit.

One page serves three kinds of work: a call picked by hand (``?scorecard=``), an assignment from
sampling (``?assignment=``: its scorecard) and a calibration session (``?calibration=``: the
session's call and scorecard; the evaluation is of kind ``calibration``, which the agent never
sees). Saving goes through :func:`apps.qa.services.evaluations.evaluation_save`; the live score
through :func:`evaluation_preview` (the page asks the server, never a copy of the rules in
JavaScript). The recording is opened through telephony's signed links, so every play is logged.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, cast

from csp.constants import NONCE
from csp.decorators import csp_update
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.http import urlencode
from django.utils.timezone import localtime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.accounts.choices import Role
from apps.accounts.views import role_required
from apps.core.errors import ApplicationError, NotFoundError, PermissionDeniedError
from apps.qa import scoring
from apps.qa.choices import EvaluationStatus
from apps.qa.forms.evaluations import EvaluationForm, question_field_name, question_na_name, uses_buttons
from apps.qa.models import Assignment, CalibrationSession, Evaluation, Scorecard
from apps.qa.selectors.evaluations import evaluation_detail, evaluation_for
from apps.qa.selectors.scorecards import scorecard_current_version, scorecard_sections, scorecards_to_score_on
from apps.qa.selectors.workspace import assignment_for, calibration_for, existing_evaluation, is_overdue
from apps.qa.services.evaluations import (
    EVALUATOR_ROLES,
    evaluation_preview,
    evaluation_save,
    may_change,
    may_evaluate,
)
from apps.telephony.models import Call
from apps.telephony.selectors.calls import access_call, call_timeline_entries, recording_of, with_parties
from apps.telephony.services.recordings import recording_link, recording_may_access

# Evaluators, and supervisors for their own teams' calls (the service decides call by call).
WORKSPACE_ROLES = (*EVALUATOR_ROLES, Role.SUPERVISOR)
# wavesurfer.js draws its waveform in a shadow root whose <style> needs this page's nonce.
_PLAYER_CSP = cast(Callable[[Callable[..., Any]], Callable[..., Any]], csp_update({"style-src": [NONCE]}))


@dataclass
class Work:
    """What the page is about: the call, the scorecard version, and the evaluation when one exists."""

    call: Call
    scorecard: Scorecard
    evaluation: Evaluation | None = None
    assignment: Assignment | None = None
    calibration: CalibrationSession | None = None
    editable: bool = True


def _call(request, uid: str) -> Call:
    try:
        call = access_call(user=request.user, uid=uid)
    except NotFoundError as error:
        raise Http404(str(error.message)) from error
    with_parties([call])
    return call


def _int_param(request, name: str) -> int | None:
    value = request.GET.get(name, "")
    if not value:
        return None
    if not value.isdigit():
        raise Http404(_("Not found."))
    return int(value)


def _new_work(request, call: Call) -> Work | None:
    """The work a new evaluation is for, from the query; None when the scorecard is still to be chosen."""
    user = request.user
    calibration_id = _int_param(request, "calibration")
    if calibration_id is not None:
        session = calibration_for(user=user, pk=calibration_id, call=call)
        if session is None:
            raise Http404(_("No such calibration session for this call."))
        return Work(call=call, scorecard=session.scorecard, calibration=session)
    assignment_id = _int_param(request, "assignment")
    if assignment_id is not None:
        assignment = assignment_for(user=user, pk=assignment_id, call=call)
        if assignment is None:
            raise Http404(_("No such assignment for this call."))
        return Work(call=call, scorecard=scorecard_current_version(assignment.scorecard), assignment=assignment)
    scorecard_id = _int_param(request, "scorecard")
    choices = scorecards_to_score_on()
    if scorecard_id is None:
        only = list(choices[:2])
        return Work(call=call, scorecard=only[0]) if len(only) == 1 else None
    scorecard = choices.filter(pk=scorecard_id).first()
    if scorecard is None:
        raise Http404(_("No such scorecard to score on."))
    return Work(call=call, scorecard=scorecard)


def _work_query(work: Work) -> str:
    if work.calibration is not None:
        return urlencode({"calibration": work.calibration.pk})
    if work.assignment is not None:
        return urlencode({"assignment": work.assignment.pk})
    return urlencode({"scorecard": work.scorecard.pk})


def _edit_url(evaluation: Evaluation) -> str:
    return reverse("qa:evaluation_edit", args=[evaluation.pk])


@role_required(*WORKSPACE_ROLES)
@_PLAYER_CSP
def evaluate(request, uid: str):
    """A new evaluation of the call ``uid`` (or the user's earlier one of the same work)."""
    call = _call(request, uid)
    if not may_evaluate(request.user, call):
        raise PermissionDenied
    work = _new_work(request, call)
    if work is None:
        return _choose_scorecard(request, call)
    earlier = existing_evaluation(
        user=request.user,
        call=call,
        scorecard=work.scorecard,
        calibration_id=work.calibration.pk if work.calibration else None,
    )
    if earlier is not None:
        return redirect(_edit_url(earlier))
    return _workspace(request, work)


@role_required(*WORKSPACE_ROLES)
@_PLAYER_CSP
def evaluation_edit(request, pk: int):
    """An evaluation on the workspace: editable by whoever may change it now, read-only otherwise."""
    evaluation = evaluation_for(user=request.user, pk=pk)
    if evaluation is None:
        raise Http404(_("No such evaluation."))
    call = _call(request, evaluation.call.uid)
    work = Work(
        call=call,
        scorecard=evaluation.scorecard,
        evaluation=evaluation,
        assignment=evaluation.assignment,
        calibration=evaluation.calibration,
        editable=may_change(request.user, evaluation),
    )
    if request.method == "POST" and not work.editable:
        raise PermissionDenied
    return _workspace(request, work)


def _choose_scorecard(request, call: Call):
    context = {
        **_call_heading(call),
        "call": call,
        "scorecards": list(scorecards_to_score_on()),
        "base_url": reverse("qa:evaluate", args=[call.uid]),
    }
    return render(request, "qa/workspace_choose.html", context)


# --- the form and its errors ----------------------------------------------------------------------


def _form(request, work: Work, sections) -> EvaluationForm:
    with_reason = work.evaluation is not None and work.evaluation.status != EvaluationStatus.DRAFT
    if request.method == "POST":
        return EvaluationForm(request.POST, sections=sections, with_reason=with_reason)
    initial = EvaluationForm.initial_from(work.evaluation) if work.evaluation is not None else None
    form = EvaluationForm(initial=initial, sections=sections, with_reason=with_reason)
    if not work.editable:
        for field in form.fields.values():
            field.disabled = True
    return form


def _apply_service_errors(form: EvaluationForm, answers: list[dict[str, Any]], error: ApplicationError) -> None:
    """Put the service's dotted field errors (``answers.<index>.value``, ``questions.<id>``,
    ``summary``, ``comments.<index>.text``) next to the inputs they are about."""
    placed = False
    for key, field_messages in (error.fields or {}).items():
        parts = str(key).split(".")
        name: str | None = None
        if parts[0] == "answers" and len(parts) > 1 and parts[1].isdigit() and int(parts[1]) < len(answers):
            name = form.field_for_question(answers[int(parts[1])]["question"])
        elif parts[0] == "questions" and len(parts) > 1 and parts[1].isdigit():
            name = form.field_for_question(int(parts[1]))
        elif parts[0] in ("summary", "reason"):
            name = parts[0] if parts[0] in form.fields else None
        elif parts[0] == "comments" and len(parts) > 1 and parts[1].isdigit():
            field_messages = [
                _("Comment %(n)d: %(message)s") % {"n": int(parts[1]) + 1, "message": m} for m in field_messages
            ]
        for message in field_messages:
            form.add_error(name, str(message))
        placed = True
    if not placed or (error.fields and error.message and str(error.message) not in _all_errors(form)):
        form.add_error(None, str(error.message))


def _all_errors(form: EvaluationForm) -> set[str]:
    return {str(m) for messages_ in form.errors.values() for m in messages_}


def _save(request, work: Work, form: EvaluationForm):
    """Save (draft, submit or change) through the service; a redirect, or None with errors on the form."""
    answers = form.answers()
    submit = request.POST.get("action") == "submit"
    try:
        evaluation = evaluation_save(
            actor=request.user,
            call=work.call,
            scorecard=work.scorecard,
            answers=answers,
            comments=form.comments,
            submit=submit,
            evaluation=work.evaluation,
            assignment=work.assignment if work.evaluation is None else None,
            calibration=work.calibration if work.evaluation is None else None,
            summary=form.cleaned_data.get("summary", ""),
            reason=form.cleaned_data.get("reason", "") or "",
        )
    except PermissionDeniedError as error:
        raise PermissionDenied(str(error.message)) from error
    except ApplicationError as error:
        if error.code == "exists":
            earlier = existing_evaluation(
                user=request.user,
                call=work.call,
                scorecard=work.scorecard,
                calibration_id=work.calibration.pk if work.calibration else None,
            )
            if earlier is not None:
                messages.warning(request, str(error.message))
                return redirect(_edit_url(earlier))
        _apply_service_errors(form, answers, error)
        return None
    score = scoring.display(evaluation.score)
    shown = "—" if score is None else str(score)
    if submit and (work.evaluation is None or work.evaluation.status == EvaluationStatus.DRAFT):
        messages.success(request, _("Evaluation submitted. Score: %(score)s.") % {"score": shown})
        return redirect(_edit_url(evaluation) if evaluation.calibration_id else reverse("qa:home"))
    if evaluation.status == EvaluationStatus.DRAFT:
        messages.success(request, _("Draft saved. Score so far: %(score)s.") % {"score": shown})
    else:
        messages.success(request, _("Evaluation changed. Score: %(score)s.") % {"score": shown})
    return redirect(_edit_url(evaluation))


# --- the page ---------------------------------------------------------------------------------------


def _call_heading(call: Call) -> dict[str, str]:
    """Whom the call was with, then its direction, when and who took it (as the call page)."""
    number = getattr(call, "party_number", "") or "—"
    name = getattr(call, "party_name", "")
    heading = f"{name} {number}" if name and name != number else number
    parts = [str(call.get_direction_display()), date_format(localtime(call.arrived_at), "Y-m-d H:i")]
    if call.agent is not None:
        parts.append(call.agent.user.get_full_name() or call.agent.user.email)
    return {"heading": heading, "subheading": " · ".join(parts)}


def _result_for(work: Work, form: EvaluationForm) -> scoring.Result | None:
    """The score the page shows when it opens: of the answers on the form (after a refused save),
    or of the stored evaluation."""
    if form.is_bound:
        if not form.is_valid():
            return None
        try:
            return evaluation_preview(scorecard=work.scorecard, answers=form.answers())
        except ApplicationError:
            return None
    if work.evaluation is not None:
        stored = work.evaluation.section_scores or {}
        return scoring.Result(
            score=work.evaluation.score,
            sections={int(k): (None if v is None else Decimal(v)) for k, v in stored.items()},
            critical_failed=work.evaluation.critical_failed,
        )
    return evaluation_preview(scorecard=work.scorecard, answers=[])


def _sections_view(form: EvaluationForm, sections, result: scoring.Result | None) -> list[dict[str, Any]]:
    failed = set(result.failed_questions) if result else set()
    rows = []
    for section in sections:
        questions = []
        for question in section.questions.all():
            na_name = question_na_name(question)
            questions.append(
                {
                    "question": question,
                    "field": form[question_field_name(question)],
                    "na_field": form[na_name] if na_name in form.fields else None,
                    "buttons": uses_buttons(question),
                    "failed": question.pk in failed,
                }
            )
        score = result.sections.get(section.pk) if result else None
        rows.append({"section": section, "score": scoring.display(score), "questions": questions})
    return rows


def _comments(work: Work, form: EvaluationForm) -> list[dict[str, Any]]:
    if form.is_bound:
        return [
            {"at": _seconds(row["at"]), "text": row["text"]} for row in form.comment_rows if row["text"] or row["at"]
        ]
    if work.evaluation is None:
        return []
    return [
        {"at": c.at_seconds, "text": c.text, "author": c.author} for c in evaluation_detail(work.evaluation)["comments"]
    ]


def _seconds(text: str) -> float | None:
    try:
        return float(text) if text else None
    except ValueError:
        return None


def _player(request, call: Call) -> dict[str, Any]:
    recording = recording_of(call)
    link = None
    if recording is not None and recording_may_access(user=request.user, recording=recording, action="play"):
        link = recording_link(recording=recording, user=request.user, action="play")
    return {
        "recording": recording,
        "play_link": link,
        "player_available": settings.WAVESURFER_DIR.is_dir(),
    }


def _workspace(request, work: Work):
    sections = scorecard_sections(work.scorecard)
    form = _form(request, work, sections)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            response = _save(request, work, form)
            if response is not None:
                return response
        status = 400
    result = _result_for(work, form)
    context = {
        **_call_heading(work.call),
        **_player(request, work.call),
        "work": work,
        "call": work.call,
        "evaluation": work.evaluation,
        "scorecard": work.scorecard,
        "form": form,
        "sections": _sections_view(form, sections, result),
        "result": result,
        "score": scoring.display(result.score) if result else None,
        "comments": _comments(work, form),
        "events": call_timeline_entries(call=work.call),
        "assignment_overdue": work.assignment is not None and is_overdue(work.assignment),
        "action_url": (
            f"{reverse('qa:evaluate', args=[work.call.uid])}?{_work_query(work)}"
            if work.evaluation is None
            else _edit_url(work.evaluation)
        ),
    }
    return render(request, "qa/workspace.html", context, status=status)


# --- the live score -----------------------------------------------------------------------------------


@role_required(*WORKSPACE_ROLES)
@require_POST
def evaluation_preview_json(request):
    """The score of the answers on the page, as the service computes it (JSON for qa-workspace.js).

    400 with ``fields`` named like the page's inputs (``q_<id>``) when an answer is not valid."""
    raw = request.POST.get("scorecard", "")
    scorecard = Scorecard.objects.filter(pk=int(raw)).first() if raw.isdigit() else None
    if scorecard is None:
        return JsonResponse({"code": "not_found", "message": _("No such scorecard."), "fields": {}}, status=404)
    form = EvaluationForm(request.POST, sections=scorecard_sections(scorecard))
    if form.is_valid():
        answers = form.answers()
        try:
            result = evaluation_preview(scorecard=scorecard, answers=answers)
        except ApplicationError as error:
            _apply_service_errors(form, answers, error)
        else:
            return JsonResponse(_result_json(result))
    fields = {name: [str(m) for m in errors] for name, errors in form.errors.items() if name != "__all__"}
    message = next(iter(form.non_field_errors()), None) or _("Some answers are not valid.")
    return JsonResponse({"code": "invalid", "message": str(message), "fields": fields}, status=400)


def _shown(value) -> str | None:
    shown = scoring.display(value)
    return None if shown is None else str(shown)


def _result_json(result: scoring.Result) -> dict[str, Any]:
    return {
        "score": _shown(result.score),
        "sections": [{"id": sid, "score": _shown(value)} for sid, value in result.sections.items()],
        "critical_failed": result.critical_failed,
        "failed_questions": list(result.failed_questions),
    }
