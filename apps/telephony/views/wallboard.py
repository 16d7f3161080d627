"""The supervisor wallboard, drawn by static/js/wallboard.js from the websocket; every action goes
through the REST API, so the page itself only reads.

Its TV mode (``/wallboard/tv/?token=…``) is the same board for a screen on the wall: no login, a
wall-screen token instead (apps/telephony/services/wallboard_tokens.py), no buttons. Supervisors
make and revoke those tokens on ``/wallboard/screens/``.
"""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_http_methods

from apps.accounts.choices import Role
from apps.accounts.models import User
from apps.accounts.views import role_required
from apps.core.errors import ApplicationError
from apps.telephony.choices import AgentState
from apps.telephony.models import PauseReason, WallboardToken
from apps.telephony.selectors.wallboard import STATE_GROUPS, wallboard_thresholds
from apps.telephony.services.wallboard_tokens import (
    DEFAULT_DAYS,
    MAX_DAYS,
    wallboard_token_check,
    wallboard_token_issue,
    wallboard_token_revoke,
)
from apps.telephony.views.desk import _common_labels

# Each group of the header is named after its first state (the choices' labels: one wording).
STATE_LABELS = dict(AgentState.choices)


def _board_labels() -> dict[str, Any]:
    return {
        **_common_labels(),
        "waiting": _("Waiting"),
        "longest": _("Longest wait"),
        "service_level": _("Service level"),
        "asa": _("ASA"),
        "abandon": _("Abandon rate"),
        "handled": _("Handled"),
        "offered": pgettext("queue statistic", "Offered"),
        "ready": _("Ready"),
        "not_ready": _("Not ready"),
        "offline": pgettext("seat", "Log out"),
        "listen": _("Listen"),
        "whisper": _("Whisper"),
        "barge": _("Barge"),
        "release": pgettext("call", "Release"),
        "confirm_release": _("Release this call? The caller will be disconnected."),
        "no_agents": _("No agents yet."),
        "no_calls": _("No calls in progress."),
        "no_queues": _("No queues yet."),
        "seats": _("Seats"),
        "seconds_short": _("%(n)s s"),
        "consulting": _("Consulting %(name)s"),
        "consulted_by": _("Consultation from %(name)s"),
        # The header's counts (selectors/wallboard.py STATE_GROUPS).
        "groups": {group: str(STATE_LABELS[states[0]]) for group, states in STATE_GROUPS.items()},
        "no_reason": _("no reason"),
        # Workforce's live adherence (message adherence.update, docs/realtime.md).
        "out_of_adherence": _("Out of adherence: scheduled %(scheduled)s"),
        "activities": {
            "on_queue": _("On queue"),
            "break": _("Break"),
            "meal": _("Meal"),
            "training": _("Training"),
            "meeting": _("Meeting"),
        },
        "sl_below": _("Service level below the target of %(target)s%%"),
        "wait_over": _("A caller has waited longer than %(seconds)s s"),
        # Monitoring feedback (API POST calls/<uid>/monitor answers with ``notice``).
        "monitor_sending": {
            "listen": _("Listening…"),
            "whisper": _("Whispering…"),
            "barge": _("Joining the call…"),
        },
        "monitor_failed": _("Could not start: %(message)s"),
    }


@role_required(Role.SUPERVISOR, Role.TENANT_ADMIN)
def wallboard(request: HttpRequest) -> HttpResponse:
    """Agents, queues and live calls as they change; force states; listen, whisper, barge, release."""
    context = {
        "reasons": PauseReason.objects.filter(is_active=True, is_system=False).order_by("id"),  # as set up: Break first
        "labels": _board_labels(),
        "config": {"ws": "/ws/wallboard/", "api": "/api/v1/", "thresholds": wallboard_thresholds(), "tv": False},
    }
    return render(request, "telephony/agents/wallboard.html", context)


def _no_leak(response: HttpResponse) -> HttpResponse:
    """The token is in the address: keep it out of caches and other sites' Referer."""
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex"
    return response


def wallboard_tv(request: HttpRequest) -> HttpResponse:
    """The wallboard for a wall screen: the token in the address is its only credential.

    Read-only and reading only: a GET never writes (the socket notes the token's use).
    """
    raw = request.GET.get("token", "")
    token = wallboard_token_check(raw)
    if token is None:
        response = render(request, "telephony/agents/wallboard_tv_refused.html", status=403)
        return _no_leak(response)
    context = {
        "screen": token,
        "labels": _board_labels(),
        "config": {
            "ws": "/ws/wallboard/tv/?token=" + raw,
            "api": None,
            "thresholds": wallboard_thresholds(),
            "tv": True,
        },
    }
    return _no_leak(render(request, "telephony/agents/wallboard_tv.html", context))


@role_required(Role.SUPERVISOR, Role.TENANT_ADMIN)
@require_http_methods(["GET", "POST"])
def wallboard_screens(request: HttpRequest) -> HttpResponse:
    """Wall screens: make a token (shown once, as the TV address), see and revoke the others."""
    issued = None
    if request.method == "POST":
        actor = cast(User, request.user)
        try:
            if "revoke" in request.POST:
                revoke = request.POST.get("revoke", "")
                token = get_object_or_404(WallboardToken, pk=int(revoke) if revoke.isdigit() else 0)
                wallboard_token_revoke(token=token, actor=actor)
                messages.success(request, _("The screen's token is revoked: it shows nothing from now on."))
                return redirect("agents:wallboard_screens")
            try:
                days = int(request.POST.get("days") or DEFAULT_DAYS)
            except ValueError:
                days = 0
            issued = wallboard_token_issue(actor=actor, name=request.POST.get("name", ""), days=days)
        except ApplicationError as error:
            fields = getattr(error, "fields", None) or {}
            detail = " ".join(str(m) for msgs in fields.values() for m in msgs)
            messages.error(request, detail or str(error.message))
    tv_url = request.build_absolute_uri("/wallboard/tv/?token=" + issued.raw) if issued is not None else None
    context = {
        "tokens": WallboardToken.objects.select_related("created_by").order_by("-created_at")[:200],
        "tv_url": tv_url,
        "default_days": DEFAULT_DAYS,
        "max_days": MAX_DAYS,
    }
    response = render(request, "telephony/agents/wallboard_screens.html", context)
    return _no_leak(response) if tv_url else response
