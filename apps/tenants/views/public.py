"""The public site: landing page and sign-up form (same service as the API)."""

from __future__ import annotations

from django.conf import settings
from django.shortcuts import redirect, render

from apps.core.errors import ApplicationError
from apps.core.forms import apply_error
from apps.tenants.forms import SignupForm
from apps.tenants.models import Plan
from apps.tenants.services.provisioning import tenant_provision
from apps.tenants.services.ratelimit import signup_rate_limit_check


def landing(request):
    return render(request, "tenants/landing.html", {"plans": Plan.objects.filter(is_active=True)})


def signup(request):
    form = SignupForm(request.POST or None, platform_domain=settings.PLATFORM_DOMAIN)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            signup_rate_limit_check(request)
            result = tenant_provision(
                company=data["company"],
                slug=data["slug"],
                admin_email=data["admin_email"],
                admin_password=data["admin_password"],
                seats=data["seats"],
                plan=data["plan"],
                language=data["language"],
            )
        except ApplicationError as error:
            apply_error(form, error)
        else:
            port = request.get_port()
            suffix = "" if port in ("80", "443") else f":{port}"
            return redirect(f"{request.scheme}://{result.domain}{suffix}/accounts/login/?welcome=1")
    return render(request, "tenants/signup.html", {"form": form})
