"""Per-request tenant behaviour: language and time zone defaults, suspension."""

from __future__ import annotations

import zoneinfo

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone, translation
from django.utils.deprecation import MiddlewareMixin
from django.utils.translation import gettext as _


class TenantLocaleMiddleware(MiddlewareMixin):
    """Language: the user's choice (cookie) first, else the tenant's default; time zone: the tenant's."""

    def process_request(self, request):
        tenant = getattr(request, "tenant", None)
        default = getattr(tenant, "default_language", None) or settings.LANGUAGE_CODE
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if not chosen:
            header = translation.get_language_from_request(request, check_path=False)
            chosen = header if request.META.get("HTTP_ACCEPT_LANGUAGE") else default
        language = chosen if chosen in dict(settings.LANGUAGES) else default
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
            import json

            body = json.dumps(
                {"code": "tenant_suspended", "message": _("This contact center is suspended."), "fields": {}}
            )
            return HttpResponse(body, status=403, content_type="application/json")
        return render(request, "tenants/suspended.html", status=403)
