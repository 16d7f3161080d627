"""Scorecard pages (/qa/scorecards/): the list, one version, the editor, the version history,
publish and retire. QA leads and administrators design forms; analysts and supervisors read
them (they score on them). Thin: the editor's rows are read by apps/qa/forms/scorecards.py and
saved by apps/qa/services/scorecards.py, whose field messages come back on the rows."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from apps.accounts.choices import Role
from apps.accounts.views import role_required
from apps.core.errors import ApplicationError
from apps.core.forms import apply_error
from apps.qa.choices import ScorecardStatus
from apps.qa.forms.scorecards import (
    CRITICAL_CHOICES,
    KIND_CHOICES,
    NewScorecardForm,
    ScorecardForm,
    apply_op,
    attach_errors,
    blank_question,
    blank_section,
    rows_from_post,
    rows_from_spec,
    rows_to_spec,
)
from apps.qa.models import Scorecard
from apps.qa.selectors.scorecards import scorecard_sections, scorecard_versions, scorecards_current
from apps.qa.services.scorecards import (
    SCORECARD_ADMIN_ROLES,
    clean_spec,
    scorecard_create,
    scorecard_is_scored,
    scorecard_publish,
    scorecard_retire,
    scorecard_spec,
    scorecard_update,
)

READ_ROLES = (*SCORECARD_ADMIN_ROLES, Role.QA, Role.SUPERVISOR)
designers = role_required(*SCORECARD_ADMIN_ROLES)
readers = role_required(*READ_ROLES)


class StatusFilter(forms.Form):
    status = forms.ChoiceField(
        label=gettext_lazy("Status"),
        required=False,
        choices=[("", gettext_lazy("Any status")), *ScorecardStatus.choices],
    )


def _scorecard(pk: int) -> Scorecard:
    scorecard = Scorecard.objects.select_related("created_by").filter(pk=pk).first()
    if scorecard is None:
        raise Http404
    return scorecard


@readers
def scorecard_list(request):
    status_filter = StatusFilter(request.GET or None)
    scorecards = scorecards_current().select_related("created_by")
    if status_filter.is_valid() and status_filter.cleaned_data["status"]:
        scorecards = scorecards.filter(status=status_filter.cleaned_data["status"])
    return render(
        request,
        "qa/scorecards_list.html",
        {
            "scorecards": list(scorecards),
            "filter_form": status_filter,
            "can_design": request.user.has_role(*SCORECARD_ADMIN_ROLES),
        },
    )


@readers
def scorecard_detail(request, pk: int):
    scorecard = _scorecard(pk)
    return render(
        request,
        "qa/scorecards_detail.html",
        {
            "scorecard": scorecard,
            "sections": scorecard_sections(scorecard),
            "scored": scorecard_is_scored(scorecard),
            "can_design": request.user.has_role(*SCORECARD_ADMIN_ROLES),
        },
    )


@readers
def scorecard_version_list(request, pk: int):
    scorecard = _scorecard(pk)
    return render(
        request,
        "qa/scorecards_versions.html",
        {"scorecard": scorecard, "versions": list(scorecard_versions(scorecard.family))},
    )


def _editor(request, *, scorecard: Scorecard | None, form: forms.Form, rows: list[dict], loose: list[str]):
    return render(
        request,
        "qa/scorecards_edit.html",
        {
            "scorecard": scorecard,
            "form": form,
            "rows": rows,
            "loose_errors": loose,
            "scored": scorecard is not None and scorecard_is_scored(scorecard),
            "kinds": KIND_CHOICES,
            "criticals": CRITICAL_CHOICES,
            "blank_section": blank_section(),
            "blank_question": blank_question(),
        },
    )


def _save(request, *, scorecard: Scorecard | None):
    """One POST of the editor: an ``op`` (add/remove/move a row) shows the rows again unsaved;
    otherwise the rows are saved through the service, or shown with every field message."""
    form_class = NewScorecardForm if scorecard is None else ScorecardForm
    rows = rows_from_post(request.POST)
    op = request.POST.get("op")
    if op:
        apply_op(rows, op)
        typed = {name: request.POST.get(name, "") for name in form_class.base_fields}
        return _editor(request, scorecard=scorecard, form=form_class(initial=typed), rows=rows, loose=[])
    form = form_class(request.POST)
    try:
        if not form.is_valid():
            # The rows are checked too, so that every message shows at once.
            clean_spec(name="-", description="", sections=rows_to_spec(rows))
            return _editor(request, scorecard=scorecard, form=form, rows=rows, loose=[])
        data = form.cleaned_data
        if scorecard is None:
            saved = scorecard_create(
                actor=request.user,
                name=data["name"],
                description=data["description"],
                sections=rows_to_spec(rows),
                status=data["status"],
            )
            messages.success(request, _("Scorecard created."))
        else:
            saved = scorecard_update(
                actor=request.user,
                scorecard=scorecard,
                name=data["name"],
                description=data["description"],
                sections=rows_to_spec(rows),
            )
            if saved.pk != scorecard.pk:
                messages.success(
                    request,
                    _("Saved as version %(version)d; evaluations made on version %(old)d keep it.")
                    % {"version": saved.version, "old": scorecard.version},
                )
            else:
                messages.success(request, _("Scorecard saved."))
    except ApplicationError as error:
        loose = attach_errors(rows, error.fields)
        top = {key: value for key, value in error.fields.items() if not key.startswith("sections")}
        if top:
            apply_error(form, ApplicationError(error.code, error.message, fields=top))
        if not error.fields:
            loose.append(str(error.message))
        return _editor(request, scorecard=scorecard, form=form, rows=rows, loose=loose)
    return redirect("qa:scorecard_detail", pk=saved.pk)


@designers
def scorecard_new(request):
    if request.method == "POST":
        return _save(request, scorecard=None)
    form = NewScorecardForm()
    return _editor(request, scorecard=None, form=form, rows=[blank_section()], loose=[])


@designers
def scorecard_edit(request, pk: int):
    scorecard = _scorecard(pk)
    if not scorecard.is_current:
        messages.warning(request, _("This is an earlier version; you are editing the current one."))
        current = Scorecard.objects.filter(family=scorecard.family, is_current=True).first()
        if current is None:
            raise Http404
        return redirect("qa:scorecard_edit", pk=current.pk)
    if request.method == "POST":
        return _save(request, scorecard=scorecard)
    spec = scorecard_spec(scorecard)
    form = ScorecardForm(initial={"name": spec["name"], "description": spec["description"]})
    return _editor(request, scorecard=scorecard, form=form, rows=rows_from_spec(spec), loose=[])


@designers
@require_POST
def scorecard_set_status(request, pk: int, action: str):
    scorecard = _scorecard(pk)
    try:
        if action == "publish":
            scorecard_publish(actor=request.user, scorecard=scorecard)
            messages.success(request, _("Scorecard published: evaluators can score on it."))
        else:
            scorecard_retire(actor=request.user, scorecard=scorecard)
            messages.success(request, _("Scorecard retired: no new evaluations on it."))
    except ApplicationError as error:
        messages.error(request, str(error.message))
    return redirect("qa:scorecard_detail", pk=scorecard.pk)
