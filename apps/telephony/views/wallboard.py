"""The supervisor wallboard, drawn by static/js/wallboard.js from the websocket; every action goes
through the REST API, so the page itself only reads."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from apps.accounts.choices import Role
from apps.accounts.views import role_required
from apps.telephony.models import PauseReason
from apps.telephony.views.desk import _common_labels


@role_required(Role.SUPERVISOR, Role.TENANT_ADMIN)
def wallboard(request: HttpRequest) -> HttpResponse:
    """Agents, queues and live calls as they change; force states; listen, whisper, barge, release."""
    labels = {
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
        "release": _("Release"),
        "confirm_release": _("Release this call? The caller will be disconnected."),
        "no_agents": _("No agents yet."),
        "no_calls": _("No calls in progress."),
        "no_queues": _("No queues yet."),
        "seats": _("Seats"),
        "seconds_short": _("%(n)s s"),
        "consulting": _("Consulting %(name)s"),
        "consulted_by": _("Consultation from %(name)s"),
    }
    context = {
        "reasons": PauseReason.objects.filter(is_active=True, is_system=False).order_by("name"),
        "labels": labels,
        "config": {"ws": "/ws/wallboard/", "api": "/api/v1/"},
    }
    return render(request, "telephony/agents/wallboard.html", context)
