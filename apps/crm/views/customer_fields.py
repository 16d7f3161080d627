"""The administrator's page of customer custom fields: list, add, change, delete."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.accounts.views import role_required
from apps.core.errors import ApplicationError
from apps.core.forms import apply_error
from apps.crm.forms.customers import CustomFieldForm
from apps.crm.models import CustomField
from apps.crm.roles import CUSTOMER_FIELD_ADMIN_ROLES
from apps.crm.services.custom_fields import custom_field_create, custom_field_delete, custom_field_update


@role_required(*CUSTOMER_FIELD_ADMIN_ROLES)
def custom_field_list_view(request):
    return render(request, "crm/fields.html", {"fields": CustomField.objects.order_by("position", "id")})


def _form_page(request, field: CustomField | None):
    form = CustomFieldForm(request.POST or None, field=field)
    if request.method == "POST" and form.is_valid():
        data = form.service_data()
        try:
            if field is None:
                custom_field_create(actor=request.user, **data)
            else:
                data.pop("key", None)
                data.pop("field_type", None)
                custom_field_update(field=field, actor=request.user, **data)
        except ApplicationError as error:
            apply_error(form, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("crm:fields")
    return render(request, "crm/field_form.html", {"form": form, "field": field})


@role_required(*CUSTOMER_FIELD_ADMIN_ROLES)
def custom_field_new(request):
    return _form_page(request, None)


@role_required(*CUSTOMER_FIELD_ADMIN_ROLES)
def custom_field_edit(request, pk: int):
    return _form_page(request, get_object_or_404(CustomField, pk=pk))


@require_POST
@role_required(*CUSTOMER_FIELD_ADMIN_ROLES)
def custom_field_delete_view(request, pk: int):
    count = custom_field_delete(field=get_object_or_404(CustomField, pk=pk), actor=request.user)
    messages.success(request, _("Field deleted; %(n)d customers' values removed.") % {"n": count})
    return redirect("crm:fields")
