"""The agent's side of QA (/qa/mine/): their own evaluations — never a draft, never a calibration
one, never a colleague's — with the answers, section scores, comments (a click plays the recording
from there), the recording itself, and Acknowledge / Dispute (apps/qa/services/disputes.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from csp.constants import NONCE
from csp.decorators import csp_update
from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.accounts.choices import Role
from apps.accounts.views import role_required
from apps.core.errors import ApplicationError
from apps.qa.forms.disputes import MineFilterForm, dispute_body
from apps.qa.models import Evaluation, Question
from apps.qa.selectors.disputes import disputed_questions, evaluation_sheet, my_evaluation, my_evaluations
from apps.qa.services.disputes import agent_actions, dispute_raise, evaluation_acknowledge
from apps.telephony.selectors.calls import recording_of
from apps.telephony.services.recordings import recording_link, recording_may_access

PAGE_SIZE = 50
# The workspace's waveform (wavesurfer.js) styles its shadow root with this page's nonce, as on
# the workspace (apps/qa/views/workspace.py): every page that shows the player allows it.
PLAYER_CSP = cast(Callable[[Callable[..., Any]], Callable[..., Any]], csp_update({"style-src": [NONCE]}))


@role_required(Role.AGENT)
def mine(request):
    form = MineFilterForm(request.GET or None)
    status = form.cleaned_data.get("status") if form.is_valid() else ""
    rows = my_evaluations(request.user)
    if status:
        rows = rows.filter(status=status)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    for evaluation in page:
        evaluation.agent_can = agent_actions(evaluation, request.user)  # type: ignore[attr-defined]
    to_answer = my_evaluations(request.user).filter(status="submitted").count()
    context = {"filter_form": form, "page": page, "to_answer": to_answer, "query": f"status={status}" if status else ""}
    return render(request, "qa/mine.html", context)


def _own(request, pk: int) -> Evaluation:
    evaluation = my_evaluation(request.user, pk)
    if evaluation is None:
        raise Http404
    return evaluation


def recording_player(request, evaluation: Evaluation) -> dict:
    """The recording through telephony's signed link (the agent may play their own call's; every
    play is logged), in engineer 2's player partial (templates/qa/_workspace_player.html)."""
    recording = recording_of(evaluation.call)
    link = None
    if recording is not None and recording_may_access(user=request.user, recording=recording, action="play"):
        link = recording_link(recording=recording, user=request.user, action="play")
    wavesurfer = getattr(settings, "WAVESURFER_DIR", None)
    return {"recording": recording, "play_link": link, "player_available": bool(wavesurfer and wavesurfer.is_dir())}


def _questions(evaluation: Evaluation) -> list[Question]:
    return list(
        Question.objects.filter(section__scorecard_id=evaluation.scorecard_id).order_by(
            "section__position", "section_id", "position", "id"
        )
    )


def _page(request, evaluation: Evaluation, *, dispute_errors=None, dispute_data=None, status: int = 200):
    disputes = list(evaluation.disputes.select_related("decided_by").prefetch_related("items").order_by("raised_at"))
    disputed: dict[int, str] = {}
    for dispute in disputes:
        disputed.update(disputed_questions(dispute))
    comments = [{"at": c.at_seconds, "text": c.text} for c in evaluation.comments.order_by("at_seconds", "id")]
    sheet = evaluation_sheet(evaluation, disputed=set(disputed))
    errors, data = dispute_errors or {}, dispute_data or {}
    for block in sheet:
        for item in block["questions"]:
            pk = item["question"].pk
            item["dispute_reason"] = disputed.get(pk, "")
            item["pick"] = {
                "checked": bool(data.get(f"q_{pk}")),
                "reason": data.get(f"reason_{pk}", ""),
                "errors": errors.get(f"reason_{pk}", []),
            }
    context = {
        "evaluation": evaluation,
        "call": evaluation.call,
        "sheet": sheet,
        "comments": comments,
        "disputes": disputes,
        "revisions": list(evaluation.revisions.select_related("changed_by").order_by("changed_at", "id")),
        "agent_can": agent_actions(evaluation, request.user),
        "dispute_errors": errors,
        "dispute_item_errors": errors.get("items", []),
        "dispute_reason": data.get("reason", ""),
        **recording_player(request, evaluation),
    }
    return render(request, "qa/my_evaluation.html", context, status=status)


@PLAYER_CSP
@role_required(Role.AGENT)
def my_evaluation_detail(request, pk: int):
    return _page(request, _own(request, pk))


@role_required(Role.AGENT)
@require_POST
def my_evaluation_acknowledge(request, pk: int):
    evaluation = _own(request, pk)
    try:
        evaluation_acknowledge(evaluation=evaluation, actor=request.user)
    except ApplicationError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("Evaluation acknowledged."))
    return redirect("qa:my_evaluation", pk=pk)


@PLAYER_CSP
@role_required(Role.AGENT)
@require_POST
def my_evaluation_dispute(request, pk: int):
    evaluation = _own(request, pk)
    questions = _questions(evaluation)
    body = dispute_body(request.POST, questions)
    try:
        dispute_raise(evaluation=evaluation, actor=request.user, reason=body["reason"], items=body["items"])
    except ApplicationError as error:
        if error.code != "invalid":
            messages.error(request, str(error.message))
            return redirect("qa:my_evaluation", pk=pk)
        # Field names of the service (items.<i>.reason) back to the page's inputs (reason_<question id>).
        errors: dict[str, list[str]] = {}
        for name, texts in error.fields.items():
            parts = name.split(".")
            if parts[0] == "items" and len(parts) > 1 and parts[1].isdigit() and int(parts[1]) < len(body["items"]):
                errors.setdefault(f"reason_{body['items'][int(parts[1])]['question']}", []).extend(texts)
            else:
                errors.setdefault(parts[0], []).extend(texts)
        return _page(request, _own(request, pk), dispute_errors=errors, dispute_data=request.POST, status=400)
    messages.success(request, _("Dispute sent: a QA lead will decide, and you will be told."))
    return redirect("qa:my_evaluation", pk=pk)
