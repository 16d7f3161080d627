"""Customer import pages: upload a file, map its columns, follow the import, retry or cancel it,
download the rejected rows."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.accounts.views import role_required
from apps.core.errors import ApplicationError
from apps.core.forms import apply_error
from apps.crm.choices import CustomerImportStatus
from apps.crm.forms.customers import CustomerImportMappingForm, CustomerImportUploadForm
from apps.crm.models import CustomerImport
from apps.crm.roles import CUSTOMER_WRITE_ROLES
from apps.crm.selectors.customers import custom_field_list
from apps.crm.services.customer_import_jobs import (
    customer_import_cancel,
    customer_import_refresh,
    customer_import_retry,
)
from apps.crm.services.customer_imports import customer_import_start, customer_import_upload
from apps.telephony.api.imports import error_report_response

RECENT = 20


@role_required(*CUSTOMER_WRITE_ROLES)
def customer_import_list(request):
    form = CustomerImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = customer_import_upload(upload=form.cleaned_data["file"], user=request.user)
        except ApplicationError as error:
            apply_error(form, error)
        else:
            return redirect("crm:import", pk=job.pk)
    jobs = [customer_import_refresh(job) for job in CustomerImport.objects.order_by("-created_at", "-id")[:RECENT]]
    return render(request, "crm/imports.html", {"form": form, "jobs": jobs})


@role_required(*CUSTOMER_WRITE_ROLES)
def customer_import_detail(request, pk: int):
    job = customer_import_refresh(get_object_or_404(CustomerImport, pk=pk))
    fields = custom_field_list()
    form = None
    if job.status in (CustomerImportStatus.UPLOADED, CustomerImportStatus.FAILED):
        form = CustomerImportMappingForm(request.POST or None, columns=job.columns, mapping=job.mapping, fields=fields)
        if request.method == "POST" and form.is_valid():
            try:
                customer_import_start(job=job, mapping=form.mapping(), user=request.user)
            except ApplicationError as error:
                for message in error.fields.get("mapping", [error.message]):
                    form.add_error(None, message)
            else:
                messages.success(request, _("The import is queued."))
                return redirect("crm:import", pk=pk)
    context = {
        "job": job,
        "form": form,
        "running": job.status in (CustomerImportStatus.QUEUED, CustomerImportStatus.IMPORTING),
        "can_retry": job.status in (CustomerImportStatus.STALLED, CustomerImportStatus.FAILED),
        "can_cancel": job.status
        in (CustomerImportStatus.QUEUED, CustomerImportStatus.IMPORTING, CustomerImportStatus.STALLED),
    }
    return render(request, "crm/import.html", context)


@require_POST
@role_required(*CUSTOMER_WRITE_ROLES)
def customer_import_action(request, pk: int, verb: str):
    if verb not in ("retry", "cancel"):
        raise Http404
    job = get_object_or_404(CustomerImport, pk=pk)
    try:
        if verb == "retry":
            customer_import_retry(job=job)
        else:
            customer_import_cancel(job=job)
    except ApplicationError as error:
        messages.error(request, str(error.message))
    return redirect("crm:import", pk=pk)


@role_required(*CUSTOMER_WRITE_ROLES)
def customer_import_errors(request, pk: int):
    """The rejected rows (CSV); the download is audited."""
    job = get_object_or_404(CustomerImport, pk=pk)
    return error_report_response(request, job, job.error_report, f"customer-import-{pk}-errors.csv")
