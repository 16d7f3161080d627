"""The platform operator console (public host, platform staff only)."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.core.errors import ApplicationError
from apps.tenants.choices import PoolNumberStatus
from apps.tenants.models import PoolNumber, Tenant
from apps.tenants.services.caller_id import tenant_caller_id_set
from apps.tenants.services.deletion import tenant_deletion_cancel, tenant_deletion_schedule
from apps.tenants.services.platform import pool_numbers_add, tenant_number_assign, tenant_resume, tenant_suspend

# A view function: what the platform's views are, and what the staff check returns wrapped.
ViewFunction = Callable[..., HttpResponseBase]

staff_required: Callable[[ViewFunction], ViewFunction] = staff_member_required(login_url="accounts:login")


@staff_required
def tenants(request):
    rows = (
        Tenant.objects.exclude(schema_name="public")
        .select_related("plan")
        .prefetch_related("domains")
        .order_by("-created")
    )
    query = request.GET.get("q", "").strip()
    if query:
        rows = rows.filter(Q(slug__icontains=query) | Q(name__icontains=query))
    pool = PoolNumber.objects.aggregate(
        available=Count("id", filter=Q(status=PoolNumberStatus.AVAILABLE)),
        assigned=Count("id", filter=Q(status=PoolNumberStatus.ASSIGNED)),
    )
    context = {
        "tenants": rows[:500],
        "query": query,
        "pool": pool,
        "pending": Tenant.objects.filter(number_pending=True).count(),
    }
    return render(request, "tenants/platform_tenants.html", context)


def _back(request: HttpRequest, slug: str) -> HttpResponseBase:
    """Back to the page the form was on: the tenant's own page or the list."""
    if request.POST.get("back") == "tenant":
        return redirect("platform:tenant", slug=slug)
    return redirect("platform:tenants")


@require_POST
@staff_required
def tenant_status(request, slug: str):
    tenant = get_object_or_404(Tenant.objects.exclude(schema_name="public"), slug=slug)
    action = request.POST.get("action")
    try:
        if action == "suspend":
            tenant_suspend(tenant=tenant, reason=request.POST.get("reason", ""))
            messages.success(request, _("%(slug)s suspended.") % {"slug": slug})
        elif action == "delete":
            if request.POST.get("confirm", "").strip() != slug:
                messages.error(request, _("Type the tenant's slug to confirm its deletion."))
                return _back(request, slug)
            tenant = tenant_deletion_schedule(tenant=tenant, reason=request.POST.get("reason", ""))
            messages.success(
                request,
                _("%(slug)s is suspended and will be deleted after %(when)s.")
                % {"slug": slug, "when": date_format(localtime(tenant.delete_after), "DATETIME_FORMAT")},
            )
        elif action == "cancel_delete":
            tenant_deletion_cancel(tenant=tenant)
            messages.success(request, _("The deletion of %(slug)s is cancelled; it stays suspended.") % {"slug": slug})
        else:
            tenant_resume(tenant=tenant)
            messages.success(request, _("%(slug)s resumed.") % {"slug": slug})
    except ApplicationError as error:
        messages.error(request, str(error.message))
    return _back(request, slug)


@require_POST
@staff_required
def tenant_number(request, slug: str):
    """Assign the next free pool number (or the one typed) to a tenant."""
    tenant = get_object_or_404(Tenant.objects.exclude(schema_name="public"), slug=slug)
    try:
        pool = tenant_number_assign(tenant=tenant, number=request.POST.get("number", ""))
    except ApplicationError as error:
        detail = "; ".join(str(m) for messages_ in (error.fields or {}).values() for m in messages_)
        messages.error(request, f"{error.message} {detail}".strip())
    else:
        messages.success(request, _("%(number)s assigned to %(slug)s.") % {"number": pool.number, "slug": slug})
    return redirect("platform:tenants")


@require_POST
@staff_required
def tenant_caller_id(request, slug: str):
    """Let a tenant present any caller ID, or only its own numbers (the default)."""
    tenant = get_object_or_404(Tenant.objects.exclude(schema_name="public"), slug=slug)
    unrestricted = request.POST.get("unrestricted") == "on"
    tenant_caller_id_set(tenant=tenant, unrestricted=unrestricted)
    if unrestricted:
        messages.success(request, _("%(slug)s may now present any caller ID.") % {"slug": slug})
    else:
        messages.success(request, _("%(slug)s presents only its own numbers as caller ID.") % {"slug": slug})
    return redirect("platform:tenants")


@require_POST
@staff_required
def pool_add(request):
    """Add numbers bought from a carrier to the pool (list or ranges)."""
    try:
        added = pool_numbers_add(text=request.POST.get("numbers", ""), carrier=request.POST.get("carrier") or "sim")
    except ApplicationError as error:
        detail = "; ".join(str(m) for messages_ in (error.fields or {}).values() for m in messages_)
        messages.error(request, f"{error.message} {detail}".strip())
    else:
        messages.success(request, _("%(n)d numbers added to the pool.") % {"n": added})
    return redirect("platform:tenants")
