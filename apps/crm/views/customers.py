"""Customer pages: list and search, detail with call history, create, edit, delete."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from apps.accounts.views import role_required
from apps.core.errors import ApplicationError
from apps.core.forms import apply_error
from apps.crm.filtersets import CustomerFilterSet
from apps.crm.models import Customer
from apps.crm.roles import READ_ROLES, TICKET_CREATE_ROLES, WRITE_ROLES
from apps.crm.selectors import customer_history
from apps.crm.selectors.tickets import ticket_list
from apps.crm.services import customer_create, customer_delete, customer_update
from apps.telephony.selectors.calls import ALL_CALLS_ROLES

PAGE_SIZE = 50
HISTORY_SIZE = 50
TICKETS_SHOWN = 10


class CustomerForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200)
    phones = forms.CharField(
        label=gettext_lazy("Phone numbers"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("One per line (or separated by commas)."),
    )
    is_vip = forms.BooleanField(label=gettext_lazy("VIP"), required=False)
    notes = forms.CharField(label=gettext_lazy("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 4}))

    def clean_phones(self) -> list[str]:
        raw = self.cleaned_data["phones"].replace(",", "\n").replace("，", "\n")
        return [line.strip() for line in raw.splitlines() if line.strip()]


@role_required(*READ_ROLES)
def customer_list(request):
    filterset = CustomerFilterSet(request.GET or None, queryset=Customer.objects.order_by("name", "id"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "filter": filterset,
        "page": Paginator(filterset.qs, PAGE_SIZE).get_page(request.GET.get("page")),
        "query": query.urlencode(),
        "can_edit": request.user.has_role(*WRITE_ROLES),
    }
    return render(request, "crm/list.html", context)


@role_required(*READ_ROLES)
def customer_detail(request, pk: int):
    customer = get_object_or_404(Customer, pk=pk)
    user = request.user
    calls = list(customer_history(customer=customer)[:HISTORY_SIZE])
    sees_all = user.has_role(*ALL_CALLS_ROLES)
    for call in calls:  # link only the calls this user may open
        call.linkable = sees_all or (call.agent is not None and call.agent.user_id == user.pk)
    context = {
        "customer": customer,
        "calls": calls,
        "can_edit": user.has_role(*WRITE_ROLES),
        "can_create_ticket": user.has_role(*TICKET_CREATE_ROLES),
        "tickets": list(ticket_list(user=user).filter(customer=customer)[:TICKETS_SHOWN]),
    }
    return render(request, "crm/detail.html", context)


def _form_page(request, *, customer: Customer | None):
    initial = None
    if customer is not None:
        initial = {
            "name": customer.name,
            "phones": "\n".join(customer.phones),
            "is_vip": customer.is_vip,
            "notes": customer.notes,
        }
    form = CustomerForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            if customer is None:
                customer = customer_create(**form.cleaned_data)
            else:
                customer = customer_update(customer=customer, **form.cleaned_data)
        except ApplicationError as error:
            apply_error(form, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("crm:detail", pk=customer.pk)
    return render(request, "crm/form.html", {"form": form, "customer": customer})


@role_required(*WRITE_ROLES)
def customer_new(request):
    return _form_page(request, customer=None)


@role_required(*WRITE_ROLES)
def customer_edit(request, pk: int):
    return _form_page(request, customer=get_object_or_404(Customer, pk=pk))


@require_POST
@role_required(*WRITE_ROLES)
def customer_delete_view(request, pk: int):
    customer_delete(customer=get_object_or_404(Customer, pk=pk))
    messages.success(request, _("Customer deleted."))
    return redirect("crm:list")
