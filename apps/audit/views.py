"""The audit log page (/console/audit/): filter, page through, export, set retention.

Tenant administrators only: the log names everyone's actions, addresses and devices. Platform
staff read a tenant's log, read-only and without exports, from the platform console
(/platform/tenants/<slug>/audit/); each such visit is itself written into that tenant's log."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django_tenants.utils import tenant_context

from apps.accounts.choices import Role
from apps.accounts.views import role_required
from apps.audit.choices import AuditAction
from apps.audit.files import FORMATS, XLSX_MAX_ROWS, export_response
from apps.audit.filtersets import AuditEntryFilterSet
from apps.audit.forms import AuditRetentionForm
from apps.audit.selectors import audit_entries
from apps.audit.services import audit_record_platform, audit_retention_days, audit_retention_set
from apps.audit.services.retention import retention_bounds
from apps.core.errors import ApplicationError
from apps.core.forms import apply_error
from apps.tenants.choices import TenantStatus
from apps.tenants.models import Tenant
from apps.tenants.views.platform import staff_required

PAGE_SIZE = 50


def _query_without_page(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def _retention_context(form=None) -> dict:
    low, high = retention_bounds()
    days = audit_retention_days()
    return {
        "retention_form": form or AuditRetentionForm(initial={"retention_days": days}),
        "retention_days": days,
        "retention_low": low,
        "retention_high": high,
    }


def _log_context(request, audit_url: str) -> dict:
    filterset = AuditEntryFilterSet(request.GET or None, queryset=audit_entries())
    # Bad filters (a malformed date) show their error and no rows, never the whole log.
    rows = filterset.qs if not filterset.is_bound or filterset.is_valid() else audit_entries().none()
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return {"filter": filterset, "page": page, "query": _query_without_page(request), "audit_url": audit_url}


@role_required(Role.TENANT_ADMIN)
@require_GET
def audit_log(request):
    context = {**_log_context(request, reverse("console:audit")), "formats": FORMATS, **_retention_context()}
    if request.htmx:
        return render(request, "audit/_entries.html", context)
    return render(request, "audit/log.html", context)


@staff_required
@require_GET
def platform_audit_log(request, slug: str):
    """A tenant's log for platform staff: read-only, no exports, no retention form."""
    tenant = get_object_or_404(
        Tenant.objects.exclude(schema_name="public").exclude(status=TenantStatus.DELETED), slug=slug
    )
    with tenant_context(tenant):
        context = _log_context(request, reverse("platform:tenant_audit", args=[slug]))
        context["page"].object_list = list(context["page"].object_list)  # read inside the tenant's schema
        if not request.htmx:
            audit_record_platform(
                tenant=tenant, action=AuditAction.PLATFORM_AUDIT_VIEWED, extra={"filters": request.GET.dict()}
            )
    context["platform_tenant"] = tenant
    if request.htmx:
        return render(request, "audit/_entries.html", context)
    return render(request, "audit/log.html", context)


@role_required(Role.TENANT_ADMIN)
@require_GET
def audit_export(request, file_format: str):
    filterset = AuditEntryFilterSet(request.GET or None, queryset=audit_entries())
    if file_format not in FORMATS or (filterset.is_bound and not filterset.is_valid()):
        messages.error(request, _("Check the filters before exporting."))
        return redirect("console:audit")
    rows = filterset.qs if filterset.is_bound else audit_entries()
    if file_format == "xlsx" and rows.count() > XLSX_MAX_ROWS:
        messages.error(request, _("Too many entries for one XLSX sheet; narrow the dates or export CSV."))
        return redirect("console:audit")
    return export_response(request, rows, file_format, filters=request.GET.dict())


@role_required(Role.TENANT_ADMIN)
@require_POST
def audit_settings(request):
    form = AuditRetentionForm(request.POST)
    if form.is_valid():
        try:
            audit_retention_set(days=form.cleaned_data["retention_days"], actor=request.user)
        except ApplicationError as error:
            apply_error(form, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("console:audit")
    context = {
        "filter": AuditEntryFilterSet(None, queryset=audit_entries()),
        "page": Paginator(audit_entries(), PAGE_SIZE).get_page(1),
        "query": "",
        "audit_url": reverse("console:audit"),
        "formats": FORMATS,
        **_retention_context(form),
    }
    return render(request, "audit/log.html", context, status=400)
