"""Login lockout (django-axes): what a locked-out login gets back (``AXES_LOCKOUT_CALLABLE``)
and how failures are counted (``AXES_HANDLER``: per account and address, and per address).

Axes' middleware replaces the response of any request that hit a lockout; left to itself
it renders the HTML lockout page, even for the JSON API. API paths keep the one error format.
"""

from __future__ import annotations

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_parameters, get_client_username, get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

LOCKED_OUT_STATUS = 429


def lockout_response(request, original_response=None, credentials=None):
    if request.path.startswith("/api/"):
        body = {
            "code": "locked_out",
            "message": _("Too many failed logins for this account or from this address; try again later."),
            "fields": {},
        }
        return JsonResponse(body, status=LOCKED_OUT_STATUS)
    return render(request, settings.AXES_LOCKOUT_TEMPLATE, status=LOCKED_OUT_STATUS)


class AccountAndAddressHandler(AxesDatabaseHandler):
    """django-axes' database handler with two limits instead of one.

    ``AXES_LOCKOUT_PARAMETERS`` counts failures per (email, address) and per address alone.
    Axes compares the larger of the two counts with one limit; a contact center's agents
    often share one office address, so the address gets its own, higher limit
    (``AXES_ADDRESS_FAILURE_LIMIT``): N failures from one address across any accounts lock
    the address, while one mistyped password does not lock the office. A successful login
    clears only its own account's failures, so an attacker holding one valid login cannot
    wipe the address's count between guesses.
    """

    def _counts(self, request, credentials) -> tuple[int, int]:
        username = get_client_username(request, credentials)
        account = address = 0
        for filters in get_client_parameters(
            username, request.axes_ip_address, request.axes_user_agent, request, credentials
        ):
            attempts = AccessAttempt.objects.filter(**filters)
            if settings.AXES_COOLOFF_TIME is not None:
                attempts = attempts.filter(attempt_time__gte=get_cool_off_threshold(request))
            failures = attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0
            if "username" in filters:
                account = max(account, failures)
            else:
                address = max(address, failures)
        return account, address

    def get_failures(self, request, credentials=None) -> int:
        account, address = self._counts(request, credentials)
        limit = get_failure_limit(request, credentials)
        address_limit = max(int(settings.AXES_ADDRESS_FAILURE_LIMIT), 1)
        # On axes' one scale: reaches ``limit`` exactly when the address reaches its own limit.
        return max(account, address * limit // address_limit)

    def reset_user_attempts(self, request, credentials=None) -> int:
        username = get_client_username(request, credentials)
        if not username:
            return 0
        count, _ = AccessAttempt.objects.filter(username=username, ip_address=request.axes_ip_address).delete()
        return count
