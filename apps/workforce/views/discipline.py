"""Discipline (/workforce/discipline/): warning letters with their evidence, and the dismissal
review flags the thresholds raise (3 warnings within 6 months, absence 3 scheduled days in a row
or 3 in a year, by the policy) with the evidence as it stood and the decision a person takes.
HR and administrators only; the employee reads their own warnings on /workforce/."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.accounts.models import User
from apps.accounts.views import role_required
from apps.core.errors import ApplicationError
from apps.core.forms import apply_error
from apps.workforce.forms.discipline import PersonFilterForm, ReviewForm, WarningForm
from apps.workforce.models import DisciplineWarning, DismissalReviewFlag
from apps.workforce.selectors.people import MANAGER_ROLES, is_manager
from apps.workforce.services.discipline import review_decide, warning_issue


def _people():
    return User.objects.filter(is_active=True).order_by("name", "email")


def _page(request, form: WarningForm, status: int = 200):
    filters = PersonFilterForm(request.GET or None, people=_people())
    person = filters.cleaned_data.get("person") if filters.is_valid() else None
    warnings = DisciplineWarning.objects.select_related("user", "issued_by")
    flags = DismissalReviewFlag.objects.select_related("user", "reviewed_by")
    if person is not None:
        warnings, flags = warnings.filter(user=person), flags.filter(user=person)
    context = {
        "filter_form": filters,
        "form": form,
        "warnings": warnings.order_by("-issued_at")[:200],
        "open_flags": flags.filter(reviewed_at__isnull=True).order_by("created_at"),
        "decided_flags": flags.filter(reviewed_at__isnull=False).order_by("-reviewed_at")[:50],
    }
    return render(request, "workforce/discipline.html", context, status=status)


@role_required(*MANAGER_ROLES)
def discipline(request):
    return _page(request, WarningForm(people=_people()))


@role_required(*MANAGER_ROLES)
@require_POST
def warning_new(request):
    form = WarningForm(request.POST, request.FILES, people=_people())
    if form.is_valid():
        data = form.cleaned_data
        try:
            warning_issue(
                user=data["user"],
                reason=data["reason"],
                evidence=data["evidence"],
                evidence_file=data["evidence_file"],
                actor=request.user,
            )
        except ApplicationError as error:
            apply_error(form, error)
        else:
            messages.success(request, _("Warning letter issued to %(name)s.") % {"name": data["user"].get_full_name()})
            return redirect("workforce:discipline")
    return _page(request, form, status=400)


@role_required(*MANAGER_ROLES)
def flag_detail(request, pk: int):
    flag = get_object_or_404(DismissalReviewFlag.objects.select_related("user", "reviewed_by"), pk=pk)
    warning_ids = flag.evidence.get("warning_ids", []) if isinstance(flag.evidence, dict) else []
    context = {
        "flag": flag,
        "dates": flag.evidence.get("dates", []) if isinstance(flag.evidence, dict) else [],
        "warnings": DisciplineWarning.objects.filter(pk__in=warning_ids).select_related("issued_by"),
        "evidence_items": sorted((k, v) for k, v in (flag.evidence or {}).items() if k not in ("dates", "warning_ids")),
        "form": ReviewForm(),
    }
    return render(request, "workforce/flag.html", context)


@role_required(*MANAGER_ROLES)
@require_POST
def flag_decide(request, pk: int):
    flag = get_object_or_404(DismissalReviewFlag, pk=pk)
    form = ReviewForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Decide: dismiss or keep."))
        return redirect("workforce:flag", pk=pk)
    try:
        review_decide(
            flag=flag, decision=form.cleaned_data["decision"], note=form.cleaned_data["note"], actor=request.user
        )
    except ApplicationError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("Decision recorded."))
    return redirect("workforce:flag", pk=pk)


@login_required
def warning_file(request, pk: int):
    """The evidence file, to HR and administrators and to the employee warned."""
    warning = get_object_or_404(DisciplineWarning, pk=pk)
    if not warning.evidence_file or not (warning.user_id == request.user.pk or is_manager(request.user)):
        raise Http404
    name = (warning.evidence_file.name or "evidence").rsplit("/", 1)[-1]
    return FileResponse(warning.evidence_file.open("rb"), as_attachment=True, filename=name)
