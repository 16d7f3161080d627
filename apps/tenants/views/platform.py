"""The platform operator console (public host, platform staff only)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.tenants.choices import PoolNumberStatus
from apps.tenants.models import PoolNumber, Tenant
from apps.tenants.services import tenant_resume, tenant_suspend

staff_required = staff_member_required(login_url="accounts:login")


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


@require_POST
@staff_required
def tenant_status(request, slug: str):
    tenant = get_object_or_404(Tenant.objects.exclude(schema_name="public"), slug=slug)
    if request.POST.get("action") == "suspend":
        tenant_suspend(tenant=tenant, reason=request.POST.get("reason", ""))
        messages.success(request, _("%(slug)s suspended.") % {"slug": slug})
    else:
        tenant_resume(tenant=tenant)
        messages.success(request, _("%(slug)s resumed.") % {"slug": slug})
    return redirect("platform:tenants")
