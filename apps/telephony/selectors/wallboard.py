"""Reads behind the realtime snapshots: the wallboard (every agent, queue and live call) and the
agent desktop (the agent's own state and current call). Message shapes: docs/realtime.md."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Count, Min
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.models import User
from apps.core.tenancy import current_tenant
from apps.crm.selectors import screen_pop
from apps.sip.selectors import seat_registrations
from apps.telephony import agent_states
from apps.telephony.choices import AgentState, CallStatus
from apps.telephony.models import Agent, Call, CallEvent, Queue, Seat
from apps.telephony.selectors.kpis import queue_kpis
from apps.telephony.selectors.queue_scripts import call_ivr_variables, call_script
from apps.telephony.selectors.softphone import sip_plane_configured
from apps.telephony.services.agent_state import agent_state_payload, iso_ms

KPI_COUNTS = ("offered", "answered", "abandoned", "handled")
# Percentages (0–100, the display of apps/telephony/kpis.py's fractions) and means: null while
# there is nothing to compute them from. The wallboard computes none itself: selectors/kpis.py does.
KPI_RATES = ("sl_percent", "asa_seconds", "abandon_rate", "aht_seconds")
KPI_KEYS = KPI_COUNTS + KPI_RATES  # the fields of a queue.kpi message
LIVE_STATUSES = (CallStatus.OFFERED, CallStatus.TALKING, CallStatus.HOLD, CallStatus.WRAP_UP)


def today_start(tenant, now: datetime) -> datetime:
    """Midnight today in the tenant's time zone: "today" on the wallboard."""
    zone = ZoneInfo(getattr(tenant, "time_zone", None) or "Asia/Shanghai")
    local = now.astimezone(zone)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def queue_kpis_today(tenant, queue_ids: list[int], now: datetime) -> dict[int, dict[str, Any]]:
    """Today's KPIs per queue: the API's figures (selectors/kpis.py) over today so far."""
    return queue_kpis(since=today_start(tenant, now), until=now, queue_ids=queue_ids)


def wallboard_agents() -> list[dict[str, Any]]:
    agents = list(Agent.objects.select_related("user", "seat", "reason").order_by("user__name", "id"))
    # One query for the whole board: which seats have a phone registered with the SIP plane.
    tenant = current_tenant()  # public's FakeTenant has no slug and no seats
    registered = seat_registrations(tenant) if tenant is not None and getattr(tenant, "slug", None) else {}
    return [
        {
            **agent_state_payload(agent),
            "name": agent.user.get_full_name(),
            "extension": agent.seat.extension if agent.seat is not None else None,
            "is_virtual": agent.is_virtual,
            "phone_registered": agent.seat is not None and agent.seat.extension in registered,
        }
        for agent in agents
    ]


def wallboard_queues(tenant, now: datetime | None = None) -> list[dict[str, Any]]:
    now = now or timezone.now()
    queues = list(Queue.objects.filter(is_scratch=False).order_by("-priority", "name", "id"))
    waiting = {
        row["queue_id"]: row
        for row in Call.objects.filter(status=CallStatus.QUEUED, queue__in=queues)
        .values("queue_id")
        .annotate(waiting=Count("id"), oldest=Min(Coalesce("queued_at", "arrived_at")))
    }
    kpis = queue_kpis_today(tenant, [queue.pk for queue in queues], now)
    out = []
    for queue in queues:
        row = waiting.get(queue.pk)
        longest = max(0.0, (now - row["oldest"]).total_seconds()) if row and row["oldest"] else 0.0
        kpi = kpis.get(queue.pk) or {}
        out.append(
            {
                "queue_id": queue.pk,
                "name": queue.name,
                "sl_threshold_seconds": queue.sl_threshold_seconds,
                "sl_target_percent": queue.sl_target_percent,
                "waiting": row["waiting"] if row else 0,
                "longest_wait_seconds": round(longest, 1),
                **{key: kpi.get(key) or 0 for key in KPI_COUNTS},
                **{key: kpi.get(key) for key in KPI_RATES},
            }
        )
    return out


def call_summary(call: Call) -> dict[str, Any]:
    since = call.answered_at or call.offered_at or call.arrived_at
    return {
        "call_uid": call.uid,
        "status": call.status,
        "direction": call.direction,
        "caller": call.caller,
        "callee": call.callee,
        "queue_id": call.queue_id,
        "queue_name": call.queue.name if call.queue is not None else None,
        "agent_id": call.agent_id,
        "since": iso_ms(since) if since else None,
    }


def wallboard_calls() -> list[dict[str, Any]]:
    calls = Call.objects.filter(status__in=LIVE_STATUSES).select_related("queue").order_by("arrived_at")[:500]
    return [call_summary(call) for call in calls]


def wallboard_snapshot(tenant, now: datetime | None = None) -> dict[str, Any]:
    return {
        "agents": wallboard_agents(),
        "queues": wallboard_queues(tenant, now),
        "calls": wallboard_calls(),
    }


def _screen_pop(caller: str, call_uid: str, user=None) -> dict[str, Any] | None:
    return screen_pop(caller, exclude_uid=call_uid, user=user) if caller else None


def agent_desktop_snapshot(agent: Agent) -> dict[str, Any]:
    """The agent's state and, during a call, the call with its screen pop."""
    agent = Agent.objects.select_related("user", "seat", "reason", "current_call__queue").get(pk=agent.pk)
    call = agent.current_call
    current = None
    if call is not None and (call.status != CallStatus.ENDED or agent.state == AgentState.WRAP_UP):
        current = {**call_summary(call), "customer": _screen_pop(call.caller, call.uid, agent.user)}
        script = call_script(call, current["customer"])
        if script is not None:
            current["script"] = script
        variables = call_ivr_variables(call)
        if variables:
            current["ivr_variables"] = variables  # what the caller gave the IVR, as on the offer
        if agent.state == AgentState.RESERVED and call.queue is not None:
            current["ring_timeout_seconds"] = call.queue.ring_timeout_seconds
        if call.status != CallStatus.ENDED:
            current["consult"] = _consult_in_progress(call, agent)
            current["conference"] = conference_in_progress(call, agent)
    return {
        "agent": {**agent_state_payload(agent), "name": agent.user.get_full_name()},
        "call": current,
    }


CONSULT_KINDS = ("consult_started", "consult_answered", "consult_cancelled", "consult_failed", "consult_ended")


def _consult_in_progress(call, agent: Agent) -> dict[str, Any] | None:
    """An attended transfer under way on ``call``, as the desk shows it (``role``: ``first`` for the
    agent who consults, ``target`` for the colleague; ``name``: the other one): read back from the
    call's timeline, so a desk reloaded mid-consultation finds its panel again. The engine keeps
    the live state; the timeline is written as it changes."""
    events = list(
        CallEvent.objects.filter(call=call, kind__in=(*CONSULT_KINDS, "transferred", "conference_started"))
        .order_by("-at", "-id")
        .values("kind", "agent_id", "data")[:2]
    )
    if not events or events[0]["kind"] not in ("consult_started", "consult_answered"):
        return None
    answered = events[0]["kind"] == "consult_answered"
    number = (events[0]["data"] or {}).get("number")
    if isinstance(number, str) and number:
        return {"role": "first", "name": number, "answered": answered} if agent.pk == events[0]["agent_id"] else None
    started = events[1] if answered and len(events) > 1 else events[0]
    if started["kind"] != "consult_started":
        return None
    first_id, target_id = started["agent_id"], (started["data"] or {}).get("target_agent_id")
    if agent.pk == first_id:
        role, other = "first", target_id
    elif agent.pk == target_id:
        role, other = "target", first_id
    else:
        return None
    name = ""
    if other is not None:
        found = Agent.objects.select_related("user").filter(pk=other).first()
        name = found.user.get_full_name() if found is not None else ""
    return {"role": role, "name": name, "answered": answered}


def number_consult_in_progress(call) -> dict[str, Any] | None:
    """An outside number consulted on ``call`` (``number``, ``answered``, ``agent_id``: the agent
    consulting), read back from the timeline; None if the last consultation is not one in progress."""
    events = list(
        CallEvent.objects.filter(call=call, kind__in=(*CONSULT_KINDS, "transferred", "conference_started"))
        .order_by("-at", "-id")
        .values("kind", "agent_id", "data")[:1]
    )
    if not events or events[0]["kind"] not in ("consult_started", "consult_answered"):
        return None
    number = (events[0]["data"] or {}).get("number")
    if not isinstance(number, str) or not number:
        return None
    return {"number": number, "answered": events[0]["kind"] == "consult_answered", "agent_id": events[0]["agent_id"]}


def conference_in_progress(call, agent: Agent) -> dict[str, Any] | None:
    """A three-way conference under way on ``call`` with ``agent`` in it (``role``: ``host`` or
    ``member``; ``parties``: both agents), read back from the timeline like a consultation."""
    event = (
        CallEvent.objects.filter(call=call, kind__in=("conference_started", "conference_ended"))
        .order_by("-at", "-id")
        .values("kind", "agent_id", "data")
        .first()
    )
    if event is None or event["kind"] != "conference_started":
        return None
    host_id, member_id = event["agent_id"], (event["data"] or {}).get("target_agent_id")
    number = (event["data"] or {}).get("number")
    if isinstance(number, str) and number and agent.pk == host_id:
        return {
            "role": "host",
            "parties": [
                {"agent_id": host_id, "name": agent.user.get_full_name(), "role": "host"},
                {"agent_id": None, "name": number, "role": "member", "number": number},
            ],
        }
    if not isinstance(member_id, int) or host_id is None or agent.pk not in (host_id, member_id):
        return None
    names = {
        found.pk: found.user.get_full_name()
        for found in Agent.objects.select_related("user").filter(pk__in=(host_id, member_id))
    }
    return {
        "role": "host" if agent.pk == host_id else "member",
        "parties": [
            {"agent_id": host_id, "name": names.get(host_id, ""), "role": "host"},
            {"agent_id": member_id, "name": names.get(member_id, ""), "role": "member"},
        ],
    }


# --- the room's view: counts by state, thresholds, monitor feedback ---------------------------------

# The header's counts group the states of the one definition (apps/telephony/agent_states.py);
# every state is in exactly one group (tests/telephony/test_wallboard.py checks it). Ringing
# (reserved) is shown apart from Talking: an offer is not yet a conversation.
STATE_GROUPS: dict[str, tuple[str, ...]] = {
    "ready": (agent_states.READY,),
    "ringing": (agent_states.RESERVED,),
    "talking": (agent_states.TALKING, agent_states.HOLD),
    "wrap_up": (agent_states.WRAP_UP,),
    "not_ready": (agent_states.NOT_READY,),
    "offline": (agent_states.OFFLINE,),
}
# Service level below the queue's target by less than this many points: amber; by more: red.
SL_AMBER_POINTS = 10
# Longest wait: amber from the queue's SL threshold (that caller already misses the service
# level), red from this many seconds (or the SL threshold, when that is higher). Queues have no
# field of their own for it; this default is documented in docs/user-guide.md ("Wallboard").
WAIT_RED_SECONDS = 120
OK, AMBER, RED, NONE = "ok", "amber", "red", "none"


def wallboard_thresholds() -> dict[str, Any]:
    """The rules the page colours by (static/js/wallboard.js applies them as figures change)."""
    return {"sl_amber_points": SL_AMBER_POINTS, "wait_red_seconds": WAIT_RED_SECONDS, "groups": STATE_GROUPS}


def state_counts(agents: list[dict[str, Any]]) -> dict[str, Any]:
    """Agents per group of :data:`STATE_GROUPS`, and Not ready per reason code."""
    group_of = {state: group for group, states in STATE_GROUPS.items() for state in states}
    counts: dict[str, Any] = dict.fromkeys(STATE_GROUPS, 0)
    reasons: dict[str, int] = {}
    for agent in agents:
        group = group_of.get(agent["state"])
        if group is None:
            continue
        counts[group] += 1
        if agent["state"] == agent_states.NOT_READY:
            code = agent.get("reason") or ""
            reasons[code] = reasons.get(code, 0) + 1
    counts["not_ready_reasons"] = reasons
    return counts


def sl_level(sl_percent: float | None, target_percent: float | None) -> str:
    if sl_percent is None or not target_percent:
        return NONE
    if sl_percent >= target_percent:
        return OK
    return AMBER if sl_percent >= target_percent - SL_AMBER_POINTS else RED


def wait_level(longest_wait_seconds: float, sl_threshold_seconds: float | None, waiting: int) -> str:
    if not waiting:
        return OK
    amber = sl_threshold_seconds or WAIT_RED_SECONDS
    if longest_wait_seconds >= max(amber, WAIT_RED_SECONDS):
        return RED
    return AMBER if longest_wait_seconds >= amber else OK


def queue_alerts(row: dict[str, Any]) -> dict[str, str]:
    """The colours of one queue row of the snapshot: ``sl`` and ``wait``, each ok, amber, red (or none)."""
    return {
        "sl": sl_level(row.get("sl_percent"), row.get("sl_target_percent")),
        "wait": wait_level(
            row.get("longest_wait_seconds") or 0.0, row.get("sl_threshold_seconds"), row.get("waiting") or 0
        ),
    }


def monitor_feedback(supervisor: User) -> dict[str, Any]:
    """What the supervisor will hear after asking to listen, whisper or barge, said plainly.

    The engine takes the request asynchronously, so the API cannot wait for the phone to ring;
    it can say whether anything can ring at all. Without a SIP plane (``make run``'s simulated
    switch) there is no audio anywhere — by the same rule as the desk's softphone
    (selectors/softphone.py), so the two never disagree; with one, the supervisor's phone is the
    one on the seat they are logged into (engine/drivers/sip/monitor.py).
    """
    if not sip_plane_configured():
        return {
            "audio": False,
            "notice": _(
                "The simulated switch carries no audio: the request was accepted, but there is nothing to hear."
            ),
        }
    seat = Seat.objects.filter(agent__user=supervisor).values_list("extension", flat=True).first()
    if seat is None:
        return {
            "audio": False,
            "notice": _(
                "You are not logged into a seat: log into one on the desk, its phone is where you will hear the call."
            ),
        }
    return {"audio": True, "notice": _("Your phone on seat %(seat)s rings: answer it to listen.") % {"seat": seat}}


# What a wall screen may not carry: the parties' numbers are blanked (the fields stay, as strings,
# so the TV's messages keep the supervisors' shapes, docs/realtime.md), and names of customers or
# contacts are dropped wherever a future message would carry them. Agents' names stay: the room
# sees its colleagues on the board anyway.
SCREEN_BLANKED_FIELDS = ("caller", "callee")
SCREEN_DROPPED_FIELDS = ("customer", "contact", "customer_name", "contact_name")


def _screen_safe_record(record: dict[str, Any]) -> dict[str, Any]:
    safe = {key: value for key, value in record.items() if key not in SCREEN_DROPPED_FIELDS}
    for key in SCREEN_BLANKED_FIELDS:
        if key in safe:
            safe[key] = ""
    return safe


def screen_safe(message: dict[str, Any]) -> dict[str, Any]:
    """A wallboard snapshot or event as a wall screen may receive it: no personal data.

    A wall screen hangs where visitors and cameras see it and is opened by a token in its
    address, not by a person; the supervisors' board shows callers' numbers, the wall does not
    (static/js/wallboard.js draws no calls there), so its socket does not carry them either
    (consumers.py WallboardScreenConsumer applies this to everything it sends).
    """
    safe = _screen_safe_record(message)
    calls = safe.get("calls")
    if isinstance(calls, list):
        safe["calls"] = [_screen_safe_record(call) if isinstance(call, dict) else call for call in calls]
    return safe


# The engine's store imported the first, private name; both stay.
_kpis_today = queue_kpis_today

__all__ = [
    "KPI_KEYS",
    "agent_desktop_snapshot",
    "call_summary",
    "monitor_feedback",
    "queue_alerts",
    "screen_safe",
    "state_counts",
    "wallboard_thresholds",
    "queue_kpis_today",
    "today_start",
    "wallboard_agents",
    "wallboard_calls",
    "wallboard_queues",
    "wallboard_snapshot",
]
