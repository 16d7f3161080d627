"""Per-request tenant behaviour: language and time zone defaults, suspension."""

from __future__ import annotations

import json
import zoneinfo

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone, translation
from django.utils.deprecation import MiddlewareMixin
from django.utils.translation import gettext as _


class TenantLocaleMiddleware(MiddlewareMixin):
    """Language: the switch in the page (cookie), else the user's own setting, else the company's
    default; a browser's Accept-Language only decides on the public site, where there is no
    company yet. Time zone: the company's."""

    def process_request(self, request):
        tenant = getattr(request, "tenant", None)
        is_public = tenant is None or tenant.schema_name == "public"
        default = settings.LANGUAGE_CODE if is_public else (tenant.default_language or settings.LANGUAGE_CODE)
        supported = dict(settings.LANGUAGES)
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        user = getattr(request, "user", None)
        if not chosen and user is not None and user.is_authenticated:
            chosen = getattr(user, "language", "") or None
        if not chosen and is_public and request.META.get("HTTP_ACCEPT_LANGUAGE"):
            chosen = translation.get_language_from_request(request, check_path=False)
        language = chosen if chosen in supported else default
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        tz_name = getattr(tenant, "time_zone", None) or settings.TIME_ZONE
        try:
            timezone.activate(zoneinfo.ZoneInfo(tz_name))
        except zoneinfo.ZoneInfoNotFoundError:
            timezone.activate(zoneinfo.ZoneInfo(settings.TIME_ZONE))

    def process_response(self, request, response):
        response.headers.setdefault("Content-Language", translation.get_language())
        return response


class TenantStatusMiddleware(MiddlewareMixin):
    """A suspended tenant's host answers 403 everywhere (API and pages) until resumed."""

    def process_request(self, request):
        tenant = getattr(request, "tenant", None)
        if tenant is None or tenant.schema_name == "public" or tenant.is_active:
            return None
        if request.path.startswith("/api/"):
            body = json.dumps(
                {"code": "tenant_suspended", "message": _("This contact center is suspended."), "fields": {}}
            )
            return HttpResponse(body, status=403, content_type="application/json")
        return render(request, "tenants/suspended.html", status=403)
