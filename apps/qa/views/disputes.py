"""Arbitration (/qa/disputes/): the queue of disputes (open ones first) and one dispute with the
disputed questions beside the evaluation, where a QA lead or an administrator accepts (with new
answers: a re-score) or rejects (with a note). QA analysts and supervisors read the disputes of
the evaluations they may read; deciding is for those ``may_arbitrate`` allows."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.accounts.choices import Role
from apps.accounts.views import role_required
from apps.core.errors import ApplicationError
from apps.qa.choices import DisputeStatus
from apps.qa.forms.disputes import DisputeFilterForm, accept_body
from apps.qa.models import Dispute, Question
from apps.qa.selectors.disputes import dispute_for, dispute_list, disputed_questions, evaluation_sheet
from apps.qa.services.disputes import dispute_accept, dispute_reject, may_arbitrate
from apps.qa.views.mine import PLAYER_CSP, recording_player

DISPUTE_PAGE_ROLES = (Role.QA_LEAD, Role.TENANT_ADMIN, Role.QA, Role.SUPERVISOR)
PAGE_SIZE = 50


@role_required(*DISPUTE_PAGE_ROLES)
def disputes(request):
    form = DisputeFilterForm(request.GET or None)
    status = form.cleaned_data.get("status") if form.is_valid() else ""
    page = Paginator(dispute_list(user=request.user, status=status or None), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {
        "filter_form": form,
        "page": page,
        "open_count": dispute_list(user=request.user, status=DisputeStatus.OPEN).count(),
        "query": f"status={status}" if status else "",
    }
    return render(request, "qa/disputes.html", context)


def _dispute(request, pk: int) -> Dispute:
    dispute = dispute_for(user=request.user, pk=pk)
    if dispute is None:
        raise Http404
    return dispute


def _page(request, dispute: Dispute, *, errors=None, data=None, status: int = 200):
    evaluation = dispute.evaluation
    reasons = disputed_questions(dispute)
    sheet = evaluation_sheet(evaluation, disputed=set(reasons))
    errors, data = errors or {}, data or {}
    disputed_rows = []
    for block in sheet:
        for item in block["questions"]:
            if not item["disputed"]:
                continue
            pk = item["question"].pk
            item["dispute_reason"] = reasons[pk]
            item["field"] = {"value": data.get(f"answer_{pk}", ""), "errors": errors.get(f"answer_{pk}", [])}
            disputed_rows.append({**item, "section": block["section"]})
    comments = [{"at": c.at_seconds, "text": c.text} for c in evaluation.comments.order_by("at_seconds", "id")]
    context = {
        "dispute": dispute,
        "evaluation": evaluation,
        "call": evaluation.call,
        "sheet": sheet,
        "disputed_rows": disputed_rows,
        "comments": comments,
        "disputes": list(evaluation.disputes.select_related("decided_by").order_by("raised_at")),
        "revisions": list(evaluation.revisions.select_related("changed_by").order_by("changed_at", "id")),
        "can_decide": dispute.status == DisputeStatus.OPEN and may_arbitrate(request.user, evaluation),
        "is_arbitrator_role": request.user.has_role(Role.QA_LEAD, Role.TENANT_ADMIN),
        "errors": errors,
        "note": data.get("note", ""),
        **recording_player(request, evaluation),
    }
    return render(request, "qa/dispute.html", context, status=status)


@PLAYER_CSP
@role_required(*DISPUTE_PAGE_ROLES)
def dispute_detail(request, pk: int):
    return _page(request, _dispute(request, pk))


def _disputed(dispute: Dispute) -> list[Question]:
    ids = set(disputed_questions(dispute))
    return [q for q in Question.objects.filter(pk__in=ids).order_by("section__position", "position", "id")]


@PLAYER_CSP
@role_required(Role.QA_LEAD, Role.TENANT_ADMIN)
@require_POST
def dispute_accept_view(request, pk: int):
    dispute = _dispute(request, pk)
    body = accept_body(request.POST, _disputed(dispute))
    try:
        dispute_accept(dispute=dispute, actor=request.user, answers=body["answers"], note=body["note"])
    except ApplicationError as error:
        if error.code != "invalid":
            messages.error(request, str(error.message))
            return redirect("qa:dispute", pk=pk)
        errors: dict[str, list[str]] = {}
        for name, texts in error.fields.items():
            parts = name.split(".")
            if parts[0] == "answers" and len(parts) > 1 and parts[1].isdigit() and int(parts[1]) < len(body["answers"]):
                errors.setdefault(f"answer_{body['answers'][int(parts[1])]['question']}", []).extend(texts)
            else:
                errors.setdefault(parts[0], []).extend(texts)
        return _page(request, _dispute(request, pk), errors=errors, data=request.POST, status=400)
    messages.success(request, _("Dispute accepted: the evaluation was re-scored and is final."))
    return redirect("qa:dispute", pk=pk)


@PLAYER_CSP
@role_required(Role.QA_LEAD, Role.TENANT_ADMIN)
@require_POST
def dispute_reject_view(request, pk: int):
    dispute = _dispute(request, pk)
    try:
        dispute_reject(dispute=dispute, actor=request.user, note=request.POST.get("note", ""))
    except ApplicationError as error:
        if error.code != "invalid":
            messages.error(request, str(error.message))
            return redirect("qa:dispute", pk=pk)
        return _page(request, dispute, errors={"reject_note": error.fields.get("note", [])}, status=400)
    messages.success(request, _("Dispute rejected: the score stands and the evaluation is final."))
    return redirect("qa:dispute", pk=pk)
