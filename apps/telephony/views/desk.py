"""The agent desktop (the supervisor wallboard is in views/wallboard.py). The page is drawn by
static/js/desktop.js from the websocket; every action goes through the REST API, so the page
itself only reads."""

from __future__ import annotations

from typing import Any, cast

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from apps.accounts.choices import Role
from apps.accounts.models import User
from apps.accounts.views import role_required
from apps.telephony.choices import AgentState, CallStatus
from apps.telephony.desk_links import desk_call_links
from apps.telephony.models import Agent, Disposition, PauseReason, Queue, Seat
from apps.telephony.selectors.softphone import sip_plane_configured


def _state_labels() -> dict[str, str]:
    return {value: str(label) for value, label in AgentState.choices}


def _common_labels() -> dict[str, Any]:
    return {
        "states": _state_labels(),
        "call_statuses": {value: str(label) for value, label in CallStatus.choices},
        "connected": _("Live"),
        "disconnected": _("Reconnecting…"),
        "none": "—",
        "error": _("Something went wrong."),
        "reasons": {reason.code: reason.name for reason in PauseReason.objects.all()},
    }


def softphone_available() -> bool:
    """Whether the desk offers the browser softphone: only where a SIP plane answers, by the rule
    the wallboard's listen feedback uses too (selectors/softphone.py). With the simulated switch
    the engine delivers calls to the desk itself, and a softphone dialling a server that is not
    there would only show errors."""
    return sip_plane_configured()


def _desk_seats(agent: Agent | None) -> QuerySet[Seat]:
    """The seats the desk offers: the agent's allowed seats, or every seat when none are set
    (the login service refuses the others anyway, with ``seat_not_allowed``)."""
    seats = Seat.objects.select_related("agent__user").order_by("extension")
    if agent is None:
        return seats
    allowed = agent.allowed_seats.all()
    return seats.filter(pk__in=allowed.values("pk")) if allowed.exists() else seats


@role_required(Role.AGENT)
def desk(request: HttpRequest) -> HttpResponse:
    """The agent desktop: seat login, Ready/Not ready, offers with screen pop, call controls, wrap-up."""
    # Reading only: a first-time agent has no Agent row yet. The desk's websocket and its first
    # action (seat login) create it, both through agent_ensure; a GET must not write.
    agent = Agent.objects.filter(user=cast(User, request.user)).first()
    labels = {
        **_common_labels(),
        "offer": _("Incoming call"),
        "outbound": pgettext("desk", "Outbound call"),
        "call_ended": _("Call ended"),
        "vip": _("VIP"),
        "unknown_caller": _("Unknown caller"),
        "no_history": _("No earlier calls."),
        "rings_for": _("Rings for %(seconds)s s"),
        "on_hold": _("On hold"),
        "talking_to": _("Talking to"),
        "wrap_up": _("Wrap-up"),
        "logged_out": _("Log into a seat to take calls."),
        "dialing": _("Dialling…"),
        "choose_target": _("Choose a queue or an agent."),
        "choose_transfer_target": _("Choose a queue, an agent or a number."),
        "choose_consult_target": _("Choose a queue, an agent or a number to consult."),
        "seat": _("Seat"),
        "queue": _("Queue"),
        "minutes": _("min"),
        "transfer_failed": _("The transfer did not go through: the call is still yours."),
        # Attended transfer (consultation).
        "consult_from": _("Consultation from %(name)s"),
        "consult_ringing": _("Consulting %(name)s: ringing…"),
        "consult_talking": _("Consulting %(name)s. The caller is on hold."),
        "consult_target": _("Consultation from %(name)s. The caller is on hold and cannot hear you."),
        "consult_started": _("Consultation started"),
        "consult_failed": _("The consultation did not go through: the caller is still yours, on hold."),
        "consult_ended": _("The consultation has ended: the caller is on hold."),
        "consult_done": _("Transfer completed."),
        "consult_yours": _("The transferred call is yours now."),
        "consult_reasons": {
            "rona": _("no answer"),
            "rejected": _("declined"),
            "declined": _("declined"),
            "agent_unavailable": _("the colleague is not ready"),
            "no_agent_available": _("nobody in that queue is ready"),
            "unreachable": _("the colleague's phone is not reachable"),
            "busy": _("the colleague's phone is busy"),
            "withdrawn": _("the colleague logged out"),
            "not_supported": _("not possible on this phone system"),
            "not_answered": _("the colleague has not answered yet"),
            "target_hung_up": _("the colleague hung up"),
            "caller": _("the caller hung up"),
            "in_conference": _("not during a conference"),
            "no_answer": _("the number did not answer"),
            "blocked": _("no free line on the trunk"),
            "error": _("the call to the number failed"),
            "number_hung_up": _("the number hung up"),
        },
        # Three-way conference (grown from an answered consultation).
        "conference_host": _("Conference: you, the caller and %(name)s."),
        "conference_member": _("Conference: you, the caller and %(name)s (who has the call)."),
        "conference_started": _("Conference started"),
        "conference_failed": _("No conference"),
        "conference_ended": _("The conference has ended."),
        "conference_yours": _("The caller is yours now."),
        "conference_caller": _("Caller"),
        "conference_drop_colleague": _("Drop the colleague"),
        "conference_drop_number": _("Drop the number"),
        "conference_reasons": {
            "no_consultation": _("consult a colleague first"),
            "not_answered": _("the colleague has not answered yet"),
            "already_in_conference": _("already in a conference"),
            "not_supported": _("not possible on this phone system"),
            "not_in_conference": _("only the agent who started it can do this"),
            "left": _("a colleague left"),
            "hung_up": _("a colleague hung up"),
            "dropped": _("the colleague was dropped"),
            "ended": _("ended for everyone"),
            "caller_hung_up": _("the caller hung up"),
            "host_left": _("the first agent left"),
        },
        "monitor": {
            "whisper": _("A supervisor is whispering to you; the caller cannot hear them."),
            "barge": _("A supervisor has joined the call."),
        },
    }
    context = {
        "agent": agent,
        "seats": _desk_seats(agent),
        "reasons": PauseReason.objects.filter(is_active=True, is_system=False).order_by("id"),  # as set up: Break first
        "dispositions": Disposition.objects.filter(is_active=True).order_by("name"),
        "queues": Queue.objects.filter(is_scratch=False).order_by("-priority", "name"),
        "colleagues": Agent.objects.select_related("user")
        .exclude(user=cast(User, request.user))
        .filter(is_virtual=False),
        "labels": labels,
        "config": {"agent_id": agent.pk if agent is not None else None, "ws": "/ws/agent/", "api": "/api/v1/"},
        "softphone_enabled": softphone_available(),
        "call_links": desk_call_links(request.user),
    }
    return render(request, "telephony/agents/desk.html", context)
