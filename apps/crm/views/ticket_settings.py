"""Administrators' ticket settings: categories with their SLA targets, and departments."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from apps.accounts.views import role_required
from apps.core.errors import ApplicationError
from apps.core.forms import apply_error
from apps.crm.forms.tickets import PRIORITIES, CategoryForm, DepartmentForm, target_field
from apps.crm.models import Department, TicketCategory
from apps.crm.roles import TICKET_ADMIN_ROLES
from apps.crm.selectors.tickets import category_list, department_list
from apps.crm.services import department_create, department_update, ticket_category_create, ticket_category_update
from apps.crm.services.ticket_sla import DEFAULT_TARGETS


def _category_initial(category: TicketCategory | None) -> dict:
    targets = dict(DEFAULT_TARGETS)
    initial: dict = {"active": True}
    if category is not None:
        initial = {"name": category.name, "active": category.active, "business_hours": category.business_hours_id}
        for row in category.targets.all():
            targets[row.priority] = (row.first_response_minutes, row.resolution_minutes)
    for priority in PRIORITIES:
        first, resolution = targets[priority]
        initial[target_field(priority, "first")] = first
        initial[target_field(priority, "resolution")] = resolution
    return initial


def _save_category(request, form: CategoryForm, category: TicketCategory | None) -> TicketCategory | None:
    values = {
        "name": form.cleaned_data["name"],
        "active": form.cleaned_data["active"],
        "business_hours": form.cleaned_data["business_hours"],
        "targets": form.targets(),
    }
    try:
        if category is None:
            return ticket_category_create(actor=request.user, **values)
        return ticket_category_update(category=category, actor=request.user, **values)
    except ApplicationError as error:
        apply_error(form, error)
        for name, problems in error.fields.items():  # targets.2.resolution_minutes → the table's field
            if name.startswith("targets."):
                index, _dot, field = name.removeprefix("targets.").partition(".")
                if index.isdigit() and int(index) < len(PRIORITIES):
                    kind = "first" if field.startswith("first") else "resolution"
                    for problem in problems:
                        form.add_error(target_field(PRIORITIES[int(index)], kind), problem)
        return None


@role_required(*TICKET_ADMIN_ROLES)
def categories(request):
    form = CategoryForm(request.POST or None, initial=_category_initial(None))
    if request.method == "POST" and form.is_valid() and _save_category(request, form, None) is not None:
        messages.success(request, _("Category added."))
        return redirect("tickets:categories")
    context = {"categories": category_list(), "form": form, "priorities": PRIORITIES}
    return render(request, "crm/tickets/categories.html", context, status=400 if form.errors else 200)


@role_required(*TICKET_ADMIN_ROLES)
def category_edit(request, pk: int):
    category = get_object_or_404(TicketCategory, pk=pk)
    form = CategoryForm(request.POST or None, initial=_category_initial(category))
    if request.method == "POST" and form.is_valid() and _save_category(request, form, category) is not None:
        messages.success(request, _("Saved. Tickets received from now on get these targets."))
        return redirect("tickets:categories")
    context = {"category": category, "form": form}
    return render(request, "crm/tickets/category_edit.html", context, status=400 if form.errors else 200)


def _save_department(request, form: DepartmentForm, department: Department | None) -> Department | None:
    values = {
        "name": form.cleaned_data["name"],
        "team": form.cleaned_data["team"].pk if form.cleaned_data["team"] else None,
        "active": form.cleaned_data["active"],
    }
    try:
        if department is None:
            return department_create(actor=request.user, **values)
        return department_update(department=department, actor=request.user, **values)
    except ApplicationError as error:
        apply_error(form, error)
        return None


@role_required(*TICKET_ADMIN_ROLES)
def departments(request):
    form = DepartmentForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and _save_department(request, form, None) is not None:
        messages.success(request, _("Department added."))
        return redirect("tickets:departments")
    context = {"departments": department_list(), "form": form}
    return render(request, "crm/tickets/departments.html", context, status=400 if form.errors else 200)


@role_required(*TICKET_ADMIN_ROLES)
def department_edit(request, pk: int):
    department = get_object_or_404(Department, pk=pk)
    initial = {"name": department.name, "team": department.team_id, "active": department.active}
    form = DepartmentForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid() and _save_department(request, form, department) is not None:
        messages.success(request, _("Saved."))
        return redirect("tickets:departments")
    context = {"department": department, "form": form}
    return render(request, "crm/tickets/department_edit.html", context, status=400 if form.errors else 200)
