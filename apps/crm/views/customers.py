"""Customer pages: list and search (with exports), the customer page (details, custom fields as the
viewer may see them, timeline, notes, merge), create, edit, delete."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.accounts.views import role_required
from apps.core.errors import ApplicationError
from apps.core.exports import XLSX_MAX_ROWS, export_response
from apps.core.forms import apply_error
from apps.crm.custom_fields import visible_values
from apps.crm.filtersets import CustomerFilterSet
from apps.crm.forms.customers import CustomerForm, CustomerMergeForm, CustomerNoteForm
from apps.crm.models import Customer
from apps.crm.roles import CUSTOMER_FIELD_ADMIN_ROLES, CUSTOMER_WRITE_ROLES, READ_ROLES, TICKET_CREATE_ROLES
from apps.crm.selectors.customer_export import customer_export_rows, customers_export_audit
from apps.crm.selectors.customer_timeline import customer_timeline
from apps.crm.selectors.customers import custom_field_list, custom_values_for
from apps.crm.services import customer_create, customer_delete, customer_update
from apps.crm.services.customer_merge import customer_merge
from apps.crm.services.customers import customer_note_add

PAGE_SIZE = 50
LIST_CUSTOM_COLUMNS = 3


@role_required(*READ_ROLES)
def customer_list(request):
    filterset = CustomerFilterSet(request.GET or None, queryset=Customer.objects.order_by("name", "id"))
    query = request.GET.copy()
    query.pop("page", None)
    roles = request.user.roles
    fields = [row for row in custom_field_list() if not row.visible_roles or set(row.visible_roles) & set(roles)]
    columns = fields[:LIST_CUSTOM_COLUMNS]
    page = Paginator(filterset.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    for customer in page:
        customer.shown_custom = visible_values(columns, customer.custom, roles)
    context = {
        "filter": filterset,
        "page": page,
        "query": query.urlencode(),
        "custom_columns": columns,
        "can_edit": request.user.has_role(*CUSTOMER_WRITE_ROLES),
        "can_define_fields": request.user.has_role(*CUSTOMER_FIELD_ADMIN_ROLES),
    }
    return render(request, "crm/list.html", context)


@role_required(*CUSTOMER_WRITE_ROLES)
def customer_export(request, file_format: str):
    """The filtered list as CSV or XLSX, custom values as this user may see them; audited."""
    if file_format not in ("csv", "xlsx"):
        raise Http404
    customers = CustomerFilterSet(request.GET or None, queryset=Customer.objects.all()).qs
    count = customers.count()
    if file_format == "xlsx" and count > XLSX_MAX_ROWS:
        messages.error(request, _("Too many rows for XLSX: export CSV."))
        return redirect("crm:list")
    customers_export_audit(user=request.user, file_format=file_format, filters=dict(request.GET.items()), count=count)
    rows = customer_export_rows(customers, roles=request.user.roles)
    return export_response(request, rows, file_format=file_format, filename=f"customers.{file_format}")


@role_required(*READ_ROLES)
def customer_detail(request, pk: int):
    customer = get_object_or_404(Customer.objects.select_related("owner_user", "owner_team"), pk=pk)
    user = request.user
    context = {
        "customer": customer,
        "custom_values": custom_values_for(customer, user.roles),
        "timeline": customer_timeline(customer=customer, user=user),
        "note_form": CustomerNoteForm(),
        "merge_form": CustomerMergeForm(),
        "can_edit": user.has_role(*CUSTOMER_WRITE_ROLES),
        "can_create_ticket": user.has_role(*TICKET_CREATE_ROLES),
    }
    return render(request, "crm/detail.html", context)


def _form_page(request, *, customer: Customer | None):
    form = CustomerForm(request.POST or None, fields=custom_field_list(), roles=request.user.roles, customer=customer)
    if request.method == "POST" and form.is_valid():
        data = form.service_data()
        try:
            if customer is None:
                customer = customer_create(name=data.pop("name"), **data)
            else:
                customer = customer_update(customer=customer, **data)
        except ApplicationError as error:
            # custom.<key> errors belong to the custom_<key> inputs
            error.fields = {name.replace("custom.", "custom_", 1): value for name, value in error.fields.items()}
            apply_error(form, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("crm:detail", pk=customer.pk)
    return render(request, "crm/form.html", {"form": form, "customer": customer})


@role_required(*CUSTOMER_WRITE_ROLES)
def customer_new(request):
    return _form_page(request, customer=None)


@role_required(*CUSTOMER_WRITE_ROLES)
def customer_edit(request, pk: int):
    return _form_page(request, customer=get_object_or_404(Customer, pk=pk))


@require_POST
@role_required(*CUSTOMER_WRITE_ROLES)
def customer_delete_view(request, pk: int):
    customer_delete(customer=get_object_or_404(Customer, pk=pk), actor=request.user)
    messages.success(request, _("Customer deleted."))
    return redirect("crm:list")


@require_POST
@role_required(*READ_ROLES)
def customer_note_view(request, pk: int):
    customer = get_object_or_404(Customer, pk=pk)
    form = CustomerNoteForm(request.POST)
    if form.is_valid():
        customer_note_add(customer=customer, body=form.cleaned_data["body"], author=request.user)
        messages.success(request, _("Note added."))
    else:
        messages.error(request, _("Write the note first."))
    return redirect("crm:detail", pk=pk)


@require_POST
@role_required(*CUSTOMER_WRITE_ROLES)
def customer_merge_view(request, pk: int):
    """Merge the customer named in the form into this one (this one survives)."""
    survivor = get_object_or_404(Customer, pk=pk)
    form = CustomerMergeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the number of the customer to merge."))
        return redirect("crm:detail", pk=pk)
    other = Customer.objects.filter(pk=form.cleaned_data["other"]).first()
    if other is None:
        messages.error(request, _("There is no customer %(n)d.") % {"n": form.cleaned_data["other"]})
        return redirect("crm:detail", pk=pk)
    try:
        result = customer_merge(survivor=survivor, other=other, actor=request.user)
    except ApplicationError as error:
        messages.error(request, str(error.message))
    else:
        moved = sum(result["moved"].values())
        messages.success(request, _("Merged: %(n)d related records moved here.") % {"n": moved})
    return redirect("crm:detail", pk=pk)
