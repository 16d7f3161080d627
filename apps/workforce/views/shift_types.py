"""Shift types (/workforce/shift-types/): the list and a form to add or change one. HR and
administrators manage them; a change applies to shifts assigned from then on (rostered shifts
keep their times, services/roster.py)."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from apps.accounts.views import role_required
from apps.core.errors import ApplicationError
from apps.core.forms import apply_error
from apps.workforce.forms.shift_types import ShiftTypeForm
from apps.workforce.models import ShiftType
from apps.workforce.selectors.people import MANAGER_ROLES
from apps.workforce.services.roster import shift_type_create, shift_type_update


def _render(request, form: ShiftTypeForm, shift_type: ShiftType | None, status: int = 200):
    context = {"form": form, "shift_type": shift_type, "shift_types": ShiftType.objects.all()}
    return render(request, "workforce/shift_types.html", context, status=status)


@role_required(*MANAGER_ROLES)
def shift_types(request):
    form = ShiftTypeForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                created = shift_type_create(**form.cleaned_data_for_create())
            except ApplicationError as error:
                apply_error(form, error)
            else:
                messages.success(request, _("Shift type %(code)s added.") % {"code": created.code})
                return redirect("workforce:shift_types")
        return _render(request, form, None, status=400)
    return _render(request, form, None)


@role_required(*MANAGER_ROLES)
def shift_type_edit(request, pk: int):
    shift_type = get_object_or_404(ShiftType, pk=pk)
    initial = {name: getattr(shift_type, name) for name in ("code", "name", "start", "end", "break_minutes", "colour")}
    initial["is_active"] = shift_type.is_active
    form = ShiftTypeForm(request.POST or None, initial=initial)
    if request.method == "POST":
        if form.is_valid():
            try:
                shift_type_update(shift_type=shift_type, **form.cleaned_data)
            except ApplicationError as error:
                apply_error(form, error)
            else:
                messages.success(request, _("Shift type %(code)s saved.") % {"code": shift_type.code})
                return redirect("workforce:shift_types")
        shift_type.refresh_from_db()
        return _render(request, form, shift_type, status=400)
    return _render(request, form, shift_type)
