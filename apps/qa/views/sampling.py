"""Sampling pages for QA leads and administrators (/qa/sampling/ and /qa/assignments/): the rules,
a rule's editor, the preview of what a rule would pick for a period (and the button that creates
those assignments), and the assignments board with each analyst's workload and reassigning.
Thin: apps/qa/services/sampling.py validates, draws and assigns; GET never writes (the preview is
a dry run)."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.accounts.models import User
from apps.accounts.views import role_required
from apps.core.errors import ApplicationError
from apps.core.forms import apply_error
from apps.qa.choices import SampleReason
from apps.qa.forms.sampling import BoardFilter, PeriodForm, SamplingRuleForm
from apps.qa.models import Assignment, SamplingRule
from apps.qa.selectors.sampling import (
    MANAGER_ROLES,
    OPEN_STATUSES,
    analysis_flag_choices,
    assignment_list,
    rule_list,
    unassigned_open_count,
    workload,
)
from apps.qa.services.sampling import (
    assignment_reassign,
    assignment_skip,
    sampling_rule_create,
    sampling_rule_delete,
    sampling_rule_update,
    sampling_run,
)

managers = role_required(*MANAGER_ROLES)
PREVIEW_ROWS = 200
BOARD_ROWS = 300


@managers
def rules(request):
    labels = dict(analysis_flag_choices())
    rows = list(rule_list())
    for rule in rows:
        rule.flag_labels = [labels.get(code, code) for code in rule.include_analysis_flags or []]  # type: ignore[attr-defined]
    return render(request, "qa/sampling_rules.html", {"rules": rows})


def _save(request, rule: SamplingRule | None):
    form = SamplingRuleForm(request.POST or None, rule=rule)
    if request.method == "POST" and form.is_valid():
        try:
            if rule is None:
                rule = sampling_rule_create(data=form.cleaned_data, actor=request.user)
                messages.success(request, _("Sampling rule “%(name)s” created.") % {"name": rule.name})
            else:
                rule = sampling_rule_update(rule=rule, data=form.cleaned_data, actor=request.user)
                messages.success(request, _("Sampling rule “%(name)s” saved.") % {"name": rule.name})
        except ApplicationError as error:
            apply_error(form, error)
        else:
            return redirect("qa:sampling_preview", rule.pk)
    return render(request, "qa/sampling_edit.html", {"form": form, "rule": rule})


@managers
def rule_new(request):
    return _save(request, None)


@managers
def rule_edit(request, pk: int):
    return _save(request, get_object_or_404(SamplingRule, pk=pk))


@require_POST
@managers
def rule_delete(request, pk: int):
    rule = get_object_or_404(SamplingRule, pk=pk)
    sampling_rule_delete(rule=rule, actor=request.user)
    messages.success(request, _("Sampling rule “%(name)s” deleted.") % {"name": rule.name})
    return redirect("qa:sampling_rules")


@managers
def rule_preview(request, pk: int):
    """What the rule picks for a period (the last ended one unless chosen), and who would get
    each call; nothing is written."""
    rule = get_object_or_404(SamplingRule.objects.select_related("scorecard"), pk=pk)
    period = PeriodForm(request.GET or None)
    result = None
    if not period.is_bound or period.is_valid():
        start = period.cleaned_data.get("period_start") if period.is_bound else None
        try:
            result = sampling_run(rule=rule, period_start=start, dry_run=True)
        except ApplicationError as error:
            apply_error(period, error)
    people = {}
    if result is not None:
        ids = {p.agent_user_id for p in result.picks} | {p.assignee_id for p in result.picks}
        people = {user.pk: user for user in User.objects.filter(pk__in=[i for i in ids if i])}
    reasons = dict(SampleReason.choices)
    rows = [
        {
            "pick": pick,
            "reason_label": reasons.get(pick.reason, pick.reason),
            "agent": people.get(pick.agent_user_id) if pick.agent_user_id else None,
            "assignee": people.get(pick.assignee_id) if pick.assignee_id else None,
        }
        for pick in (result.picks[:PREVIEW_ROWS] if result else [])
    ]
    context = {
        "rule": rule,
        "period": period,
        "result": result,
        "rows": rows,
        "more": len(result.picks) - len(rows) if result else 0,
        "already": len(result.picks) - len(result.new) if result else 0,
        "by_reason": [(reasons.get(code, code), n) for code, n in sorted(result.by_reason.items())] if result else [],
    }
    return render(request, "qa/sampling_preview.html", context)


@require_POST
@managers
def rule_run(request, pk: int):
    rule = get_object_or_404(SamplingRule, pk=pk)
    period = PeriodForm(request.POST)
    start = period.cleaned_data.get("period_start") if period.is_valid() else None
    try:
        result = sampling_run(rule=rule, period_start=start, actor=request.user)
    except ApplicationError as error:
        messages.error(request, str(error.message))
        return redirect("qa:sampling_preview", rule.pk)
    if result.created:
        messages.success(
            request,
            _("%(n)s calls assigned for the period from %(start)s.")
            % {"n": result.created, "start": result.period_start.isoformat()},
        )
    else:
        messages.info(request, _("Nothing new to assign: this period's sample is already on the board."))
    return redirect(f"{_board_url()}?rule={rule.pk}")


def _board_url() -> str:
    return reverse("qa:assignments")


@managers
def board(request):
    """Every assignment (filtered), each analyst's workload, and reassigning."""
    filters = BoardFilter(request.GET or None)
    wanted = filters.cleaned_data if filters.is_valid() else {}
    rows = assignment_list(
        user=request.user,
        filters={
            "assignee": wanted.get("assignee") or "",
            "status": {"": "open", "all": ""}.get(wanted.get("status") or "", wanted.get("status")),
            "rule": wanted["rule"].pk if wanted.get("rule") else "",
        },
    )
    total = rows.count()
    context = {
        "filter_form": filters,
        "assignments": list(rows[:BOARD_ROWS]),
        "total": total,
        "more": max(0, total - BOARD_ROWS),
        "workload": workload(),
        "unassigned": unassigned_open_count(),
        "evaluators": filters.fields["assignee"].choices,
        "open_statuses": OPEN_STATUSES,
    }
    return render(request, "qa/sampling_board.html", context)


def _back(request):
    target = request.POST.get("next") or ""
    board = _board_url()
    return redirect(target if target.startswith(board) else board)


@require_POST
@managers
def assignment_reassign_view(request, pk: int):
    assignment = get_object_or_404(Assignment, pk=pk)
    raw = request.POST.get("assignee") or ""
    assignee = User.objects.filter(pk=raw).first() if raw.isdigit() else None
    if raw and assignee is None:
        messages.error(request, _("Choose a quality analyst or a QA lead."))
        return _back(request)
    try:
        assignment_reassign(assignment=assignment, assignee=assignee, actor=request.user)
    except ApplicationError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("Assignment reassigned."))
    return _back(request)


@require_POST
@managers
def assignment_skip_view(request, pk: int):
    assignment = get_object_or_404(Assignment, pk=pk)
    try:
        assignment_skip(assignment=assignment, actor=request.user)
    except ApplicationError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("Assignment skipped."))
    return _back(request)
