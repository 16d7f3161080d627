from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.template.response import TemplateResponse
from django.utils import translation
from django.views import defaults
from django_tenants.utils import tenant_context

from apps.core.navigation import home_redirect, tools_for
from apps.telephony.models import PhoneNumber, Seat, Trunk

# Hosts a newcomer types for the machine itself: they mean the public site (PLATFORM_DOMAIN),
# whose cookies and links live on that name, so they are sent there rather than told "no tenant".
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "[::1]", "::1"})


@login_required
def home(request):
    """The tenant's start page: who you are, what the company has, what needs attention.

    Agents and supervisors land on their workspace instead (apps/core/navigation.py)."""
    target = home_redirect(request.user)
    if target is not None:
        return redirect(target)
    context = {
        "seat_count": Seat.objects.count(),
        "trunk_count": Trunk.objects.count(),
        "numbers": list(PhoneNumber.objects.values_list("number", flat=True)),
        "number_pending": request.tenant.number_pending,
        "tools": tools_for(request.user),
    }
    return render(request, "core/home.html", context)


def _split_host(request: HttpRequest) -> tuple[str, str]:
    host = request.get_host()
    if host.startswith("["):  # IPv6 literal: [::1]:8000
        name, _, rest = host.partition("]")
        return name + "]", rest.removeprefix(":")
    name, _, port = host.partition(":")
    return name, port


def public_site_url(request: HttpRequest, path: str = "/") -> str:
    """The public site (PLATFORM_DOMAIN) on the port and scheme this request came in on."""
    _, port = _split_host(request)
    default_port = "443" if request.is_secure() else "80"
    netloc = settings.PLATFORM_DOMAIN + (f":{port}" if port and port != default_port else "")
    return f"{request.scheme}://{netloc}{path}"


def unknown_host(request: HttpRequest) -> HttpResponse:
    """django-tenants' DEFAULT_NOT_FOUND_TENANT_VIEW: a host with no contact center behind it.

    Without it the middleware raises Http404, which under DEBUG lists every URL pattern; a
    newcomer who mistyped the company's address should instead learn where they are and how to
    reach the public site. 127.0.0.1 (what ``make run`` users often type) is the public site.
    """
    name, _ = _split_host(request)
    if name in LOOPBACK_HOSTS:
        return HttpResponseRedirect(public_site_url(request, request.get_full_path()))
    # The locale middleware comes after the tenant middleware and has not run: the visitor's
    # own choice (cookie) or browser language, as on the public site.
    translation.activate(translation.get_language_from_request(request, check_path=False))
    context = {
        "host": name,
        "platform_domain": settings.PLATFORM_DOMAIN,
        "home_url": public_site_url(request),
        # WhiteNoise sits after the tenant middleware and never sees this host's requests.
        "static_base": public_site_url(request, "").rstrip("/"),
    }
    response = TemplateResponse(request, "core/unknown_host.html", context, status=404)
    response["Content-Language"] = translation.get_language()
    return response


def _in_request_tenant(request: HttpRequest, render_page: Callable[[], HttpResponse]) -> HttpResponse:
    """Render an error page against the request's tenant schema.

    Under ASGI Django turns an exception into a response with ``sync_to_async(...,
    thread_sensitive=False)``: another thread, whose database connection is still on the public
    schema. The page would then show no company and an anonymous user (``request.user`` is
    loaded lazily, from the wrong schema). The response is rendered here, while the schema is right.
    """
    tenant = getattr(request, "tenant", None)
    if tenant is None:
        return render_page()
    with tenant_context(tenant):
        response = render_page()
        if hasattr(response, "render"):
            response.render()
        return response


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """handler404 of both URL confs: templates/404.html in the page shell of the request's host."""
    return _in_request_tenant(request, lambda: defaults.page_not_found(request, exception))


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    """handler403 of both URL confs: templates/403.html in the page shell of the request's host."""
    return _in_request_tenant(request, lambda: defaults.permission_denied(request, exception))
