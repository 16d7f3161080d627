"""The public site: landing page and sign-up form (same service as the API)."""

from __future__ import annotations

from csp.decorators import csp_update
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from apps.core.errors import ApplicationError
from apps.core.forms import apply_error
from apps.tenants.domains import tenant_domain
from apps.tenants.forms import SignupForm
from apps.tenants.models import Domain, Plan
from apps.tenants.services.provisioning import tenant_provision
from apps.tenants.services.ratelimit import signup_rate_limit_check

# The landing page's login entry and the sign-up form answer with a redirect to the company's own
# host; browsers hold a form's redirects to the page's form-action (CSP, 'self' by default), so
# without this the browser stops on the public host and the new company never sees its address.
tenant_form_action = csp_update({"form-action": [f"*.{settings.PLATFORM_DOMAIN}:*"]})


def _tenant_url(request: HttpRequest, domain: str, path: str) -> str:
    """``path`` on a tenant's host, with this request's scheme and port (a development server
    answers every host on one port)."""
    port = request.get_port()
    suffix = "" if port in ("80", "443") else f":{port}"
    return f"{request.scheme}://{domain}{suffix}{path}"


def address_slug(address: str) -> str:
    """The slug in what a person typed for their company's address: "acme", "acme.<platform>",
    "https://acme.<platform>/anything" all name acme."""
    value = (address or "").strip().lower()
    for prefix in ("https://", "http://"):
        value = value.removeprefix(prefix)
    value = value.split("/", 1)[0].split(":", 1)[0]
    platform = "." + settings.PLATFORM_DOMAIN.lower()
    if value.endswith(platform):
        value = value[: -len(platform)]
    return value


@tenant_form_action
def landing(request: HttpRequest) -> HttpResponse:
    """The public home: what the product is, sign-up, and the way to one's own contact center
    (a company's people arrive here by habit and need their address's login page)."""
    address = request.GET.get("address")
    address_error = ""
    if address is not None:
        slug = address_slug(address)
        domain = Domain.objects.filter(domain=tenant_domain(slug)).first() if slug else None
        if domain is not None:
            return redirect(_tenant_url(request, domain.domain, "/accounts/login/"))
        address_error = _("No contact center has this address. Check the address your administrator gave you.")
    context = {
        "plans": Plan.objects.filter(is_active=True),
        "address": address or "",
        "address_error": address_error,
    }
    return render(request, "tenants/landing.html", context)


@tenant_form_action
def signup(request: HttpRequest) -> HttpResponse:
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
            # The login page of the new host welcomes the administrator and shows the address.
            return redirect(_tenant_url(request, result.domain, "/accounts/login/?welcome=1"))
    return render(request, "tenants/signup.html", {"form": form})
