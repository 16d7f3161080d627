"""What a locked-out login gets back (django-axes ``AXES_LOCKOUT_CALLABLE``).

Axes' middleware replaces the response of any request that hit a lockout; left to itself
it renders the HTML lockout page, even for the JSON API. API paths keep the one error format.
"""

from __future__ import annotations

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

LOCKED_OUT_STATUS = 429


def lockout_response(request, original_response=None, credentials=None):
    if request.path.startswith("/api/"):
        body = {
            "code": "locked_out",
            "message": _("Too many failed logins; this account is locked for a while."),
            "fields": {},
        }
        return JsonResponse(body, status=LOCKED_OUT_STATUS)
    return render(request, settings.AXES_LOCKOUT_TEMPLATE, status=LOCKED_OUT_STATUS)
