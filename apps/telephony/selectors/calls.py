"""Reads of CDRs with the visibility rule: administrators, supervisors and QA see every call; an
agent sees only the calls they answered; other roles see none."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from apps.accounts.choices import Role
from apps.accounts.models import User
from apps.core.errors import NotFoundError
from apps.telephony.choices import CallDirection, CallEndReason
from apps.telephony.filtersets import CallFilterSet
from apps.telephony.models import (
    Agent,
    Call,
    CallbackRequest,
    CallEvent,
    Contact,
    Disposition,
    Queue,
    Recording,
    Voicemail,
)
from apps.telephony.selectors.campaigns.monitor import CAMPAIGN_DIAL_EVENT

ALL_CALLS_ROLES = (Role.TENANT_ADMIN, Role.SUPERVISOR, Role.QA, Role.QA_LEAD)
CALL_ROLES = (*ALL_CALLS_ROLES, Role.AGENT)
VOICEMAIL_ROLES = (Role.TENANT_ADMIN, Role.SUPERVISOR)


def calls_visible_to(user) -> QuerySet[Call]:
    calls = Call.objects.select_related(
        "queue", "agent__user", "customer", "disposition", "recording", "campaign", "analysis"
    )
    if not (user and user.is_authenticated):
        return calls.none()
    if user.has_role(*ALL_CALLS_ROLES):
        return calls
    if user.has_role(Role.AGENT):
        return calls.filter(agent__user=user)
    return calls.none()


def call_list(*, user, filters: dict | None = None) -> QuerySet[Call]:
    """Visible calls, newest first, narrowed by :class:`apps.telephony.filtersets.CallFilterSet`."""
    calls = calls_visible_to(user).order_by("-arrived_at", "-id")
    if filters:
        calls = CallFilterSet(filters, queryset=calls).qs
    return calls


def access_call(*, user, uid: str) -> Call:
    """The call ``uid`` if ``user`` may see it; otherwise 404 (never reveal that it exists)."""
    call = calls_visible_to(user).select_related("ivr_version").filter(uid=uid).first()
    if call is None:
        raise NotFoundError("not_found", _("No such call."))
    return call


def recording_of(call: Call) -> Recording | None:
    """The call's recording, or None (a missing reverse one-to-one raises otherwise)."""
    try:
        return call.recording
    except ObjectDoesNotExist:
        return None


def call_timeline(*, call: Call) -> QuerySet:
    return call.events.select_related("agent__user").order_by("at", "id")


# --- the other party ---------------------------------------------------------------------------
# An outbound call's ``caller`` is the company's own number: people want whom it reached.


def _campaign_contacts(calls: list[Call]) -> dict[int, Contact]:
    """The contact each campaign call dialled, by call id (from the ``campaign_dial`` event)."""
    campaign_calls = [call.pk for call in calls if call.campaign_id is not None]
    if not campaign_calls:
        return {}
    dialled = {
        call_id: (data or {}).get("contact_id")
        for call_id, data in CallEvent.objects.filter(call_id__in=campaign_calls, kind=CAMPAIGN_DIAL_EVENT)
        .order_by("id")
        .values_list("call_id", "data")
    }
    contacts = Contact.objects.in_bulk([pk for pk in dialled.values() if isinstance(pk, int)])
    return {call_id: contacts[pk] for call_id, pk in dialled.items() if pk in contacts}


def with_parties(calls: Iterable[Call]) -> list[Call]:
    """Set ``party_number`` (the number at the other end), ``party_name`` (the CRM customer's or the
    campaign contact's name, else "") and ``contact`` (the campaign contact or None) on each call."""
    rows = list(calls)
    contacts = _campaign_contacts(rows)
    for call in rows:
        contact = contacts.get(call.pk)
        call.contact = contact  # type: ignore[attr-defined]
        call.party_number = call.callee if call.direction == CallDirection.OUTBOUND else call.caller  # type: ignore[attr-defined]
        name = call.customer.name if call.customer_id is not None and call.customer else ""
        call.party_name = name or (contact.name if contact is not None else "")  # type: ignore[attr-defined]
    return rows


# --- the call page's timeline --------------------------------------------------------------------


@dataclass(frozen=True)
class TimelineEntry:
    """One line of the call page's timeline, in words: ``kind`` picks the label, ``detail`` says
    who and where (queue and agent names, keys pressed, the disposition by name)."""

    at: datetime | None
    kind: str
    agent: str
    detail: str


def _names(model: Any, ids: set[int], attribute: str = "name") -> dict[int, str]:
    if not ids:
        return {}
    return {pk: str(getattr(row, attribute)) for pk, row in model.objects.in_bulk(list(ids)).items()}


def _agent_names(ids: set[int]) -> dict[int, str]:
    agents = Agent.objects.select_related("user").in_bulk(list(ids)) if ids else {}
    return {pk: agent.user.get_full_name() or agent.user.email for pk, agent in agents.items()}


def _user_names(ids: set[int]) -> dict[int, str]:
    users = User.objects.in_bulk(list(ids)) if ids else {}
    return {pk: user.get_full_name() or user.email for pk, user in users.items()}


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def ivr_steps(call: Call) -> list[str]:
    """The IVR path in words: each node by its label (or its kind) and the keys pressed there."""
    graph = (call.ivr_version.graph if call.ivr_version_id is not None and call.ivr_version else None) or {}
    nodes: dict[str, dict] = graph.get("nodes") or {}
    queues = _names(
        Queue,
        {
            q
            for step in call.ivr_path or []
            if isinstance(step, dict) and (q := _int((nodes.get(str(step.get("node"))) or {}).get("queue")))
        },
    )
    steps: list[str] = []
    for step in call.ivr_path or []:
        if not isinstance(step, dict):
            continue
        node = nodes.get(str(step.get("node"))) or {}
        node_type = str(step.get("type") or node.get("type") or "")
        label = str(node.get("label") or "")
        if not label and node_type == "queue" and _int(node.get("queue")) in queues:
            label = queues[node["queue"]]
        text = label or str(IVR_NODE_KINDS.get(node_type, node_type)) or str(step.get("node") or "")
        if step.get("retry"):
            text = _("%(step)s (asked again)") % {"step": text}
        pressed = step.get("input")
        if pressed:
            text = _("%(step)s: pressed %(keys)s") % {"step": text, "keys": pressed}
        elif step.get("outcome") == "no_input":
            text = _("%(step)s: no key pressed") % {"step": text}
        elif node_type == "http" and step.get("outcome") == "fallback":
            text = _("%(step)s: failed (%(error)s)") % {"step": text, "error": step.get("error") or "?"}
        elif node_type == "hours" and step.get("outcome"):
            text = f"{text}: {_HOURS_OUTCOMES.get(str(step['outcome']), str(step['outcome']))!s}"
        steps.append(text)
    return steps


# The words for an IVR node without a label of its own (the call page's IVR steps, the IVR funnel report).
IVR_NODE_KINDS = {
    "play": pgettext_lazy("IVR node", "Message"),
    "menu": pgettext_lazy("IVR node", "Menu"),
    "gather": pgettext_lazy("IVR node", "Digits"),
    "hours": pgettext_lazy("IVR node", "Opening hours"),
    "queue": pgettext_lazy("IVR node", "Queue"),
    "voicemail": pgettext_lazy("IVR node", "Voicemail"),
    "callback": pgettext_lazy("IVR node", "Callback"),
    "transfer": pgettext_lazy("IVR node", "Transfer"),
    "survey": pgettext_lazy("IVR node", "Survey"),
    "hangup": pgettext_lazy("IVR node", "Hang up"),
    "http": pgettext_lazy("IVR node", "Lookup"),
    "set": pgettext_lazy("IVR node", "Set"),
    "branch": pgettext_lazy("IVR node", "Branch"),
    "say": pgettext_lazy("IVR node", "Say"),
}
_HOURS_OUTCOMES = {
    "open": pgettext_lazy("opening hours", "open"),
    "closed": pgettext_lazy("opening hours", "closed"),
    "holiday": pgettext_lazy("opening hours", "holiday"),
}


def voicemail_list() -> QuerySet[Voicemail]:
    return Voicemail.objects.select_related("call", "queue", "heard_by").order_by("-created_at", "-id")


def callback_list() -> QuerySet[CallbackRequest]:
    return CallbackRequest.objects.select_related("call", "queue").order_by("original_queued_at", "id")


def _end_reason(code: Any) -> str:
    return str(dict(CallEndReason.choices).get(code, "")) if code else ""


def call_timeline_entries(*, call: Call) -> list[TimelineEntry]:
    """The call's events for people: ids in the events' data become names, and keys that only
    matter to the engine stay out."""
    events = list(call_timeline(call=call))
    agent_ids: set[int] = set()
    queue_ids: set[int] = set()
    user_ids: set[int] = set()
    codes: set[str] = set()
    for event in events:
        data = event.data or {}
        agent_ids.update(x for key in ("target_agent_id", "from_agent_id") if (x := _int(data.get(key))))
        queue_ids.update(x for key in ("queue_id", "from_queue_id", "to_queue_id") if (x := _int(data.get(key))))
        if x := _int(data.get("supervisor_user_id")):
            user_ids.add(x)
        if isinstance(data.get("disposition"), str):
            codes.add(data["disposition"])
    agents, queues, users = _agent_names(agent_ids), _names(Queue, queue_ids), _user_names(user_ids)
    dispositions = dict(Disposition.objects.filter(code__in=codes).values_list("code", "name")) if codes else {}
    contacts = _campaign_contacts([call])
    entries: list[TimelineEntry] = []
    for event in events:
        data = event.data or {}
        agent = (event.agent.user.get_full_name() or event.agent.user.email) if event.agent else ""
        if not agent and event.kind.startswith("conference_party"):
            agent = str(data.get("number") or "")  # an outside number joined or left the conference
        # An outbound call's first event is the dial, not an arrival.
        outbound_start = event.kind == "arrived" and call.direction == CallDirection.OUTBOUND
        entries.append(
            TimelineEntry(
                at=event.at,
                kind="dialled" if outbound_start else event.kind,
                agent=agent,
                detail=_detail(call, event.kind, data, agents, queues, users, dispositions, contacts),
            )
        )
        if event.kind == "arrived" and call.ivr_path:
            # The IVR's steps are on the CDR, not in events: shown where the caller left the IVR.
            steps = ivr_steps(call)
            if steps:
                entries.append(TimelineEntry(at=call.ivr_exited_at, kind="ivr", agent="", detail=" → ".join(steps)))
    return entries


def _queue(queues: dict[int, str], value: Any) -> str:
    queue_id = _int(value)
    return queues.get(queue_id, "") if queue_id is not None else ""


def _detail(  # noqa: PLR0911, PLR0912, C901 -- one branch per kind of event reads best as one list
    call: Call,
    kind: str,
    data: dict[str, Any],
    agents: dict[int, str],
    queues: dict[int, str],
    users: dict[int, str],
    dispositions: dict[str, str],
    contacts: dict[int, Contact],
) -> str:
    if kind == "arrived":
        return _("from %(caller)s to %(callee)s") % {"caller": call.caller, "callee": call.callee}
    if kind == "campaign_dial":
        contact = contacts.get(call.pk)
        campaign = call.campaign.name if call.campaign_id is not None and call.campaign else ""
        who = (contact.name or contact.phone) if contact is not None else call.callee
        text = _("%(contact)s, campaign %(campaign)s") % {"contact": who, "campaign": campaign} if campaign else who
        attempt = _int(data.get("attempt"))
        return text + (" · " + _("attempt %(n)s") % {"n": attempt} if attempt else "")
    if kind in ("queued", "requeued", "voicemail"):
        return _queue(queues, data.get("queue_id"))
    if kind == "overflow":
        target = _queue(queues, data.get("to_queue_id")) or str(data.get("number") or "")
        source = _queue(queues, data.get("from_queue_id"))
        return f"{source} → {target}" if source and target else source or target
    if kind in ("rona", "offer_ended") and data.get("reason") and data.get("reason") != "rona":
        return str(_OFFER_REASONS.get(str(data["reason"]), ""))
    if kind == "transferred":
        target = (
            agents.get(_int(data.get("target_agent_id")) or 0)
            or _queue(queues, data.get("queue_id"))
            or str(data.get("number") or "")
        )
        return _("to %(target)s") % {"target": target} if target else ""
    if kind == "conference_started":
        colleague = agents.get(_int(data.get("target_agent_id")) or 0) or str(data.get("number") or "")
        return _("with the caller and %(agent)s") % {"agent": colleague} if colleague else ""
    if kind in ("conference_party_left", "conference_ended") and data.get("reason"):
        return str(_CONFERENCE_REASONS.get(str(data["reason"]), ""))
    if kind in ("consult_started",):
        target = (
            agents.get(_int(data.get("target_agent_id")) or 0)
            or _queue(queues, data.get("queue_id"))
            or str(data.get("number") or "")
        )
        return _("with %(target)s") % {"target": target} if target else ""
    if kind.startswith("consult_") and _int(data.get("from_agent_id")):
        return _("from %(agent)s") % {"agent": agents.get(data["from_agent_id"], "")}
    if kind == "monitor":
        mode = str(_MONITOR_MODES.get(str(data.get("mode")), ""))
        who = users.get(_int(data.get("supervisor_user_id")) or 0, "")
        return ", ".join(part for part in (who, mode) if part)
    if kind == "force_release":
        return users.get(_int(data.get("supervisor_user_id")) or 0, "")
    if kind == "callback_offer_answer":
        return _("pressed %(keys)s") % {"keys": data["digits"]} if data.get("digits") else _("no key pressed")
    if kind == "machine_detected":
        return str(_MACHINE_RESULTS.get(str(data.get("result")), ""))
    if kind == "ended":
        return _end_reason(data.get("end_reason"))
    if kind == "wrapup_ended":
        code = data.get("disposition")
        return dispositions.get(code, "") if isinstance(code, str) else ""
    return ""


_CONFERENCE_REASONS = {
    "left": pgettext_lazy("conference", "left from the desk"),
    "hung_up": pgettext_lazy("conference", "hung up"),
    "dropped": pgettext_lazy("conference", "dropped by the first agent"),
    "ended": pgettext_lazy("conference", "ended for everyone"),
    "caller_hung_up": pgettext_lazy("conference", "the caller hung up"),
    "host_left": pgettext_lazy("conference", "the first agent left; the colleague has the caller"),
}

_OFFER_REASONS = {
    "rejected": pgettext_lazy("offer ended", "declined"),
    "declined": pgettext_lazy("offer ended", "declined"),
    "withdrawn": pgettext_lazy("offer ended", "the agent logged out"),
    "caller": pgettext_lazy("offer ended", "the caller hung up"),
    "abandoned": pgettext_lazy("offer ended", "the caller hung up"),
}
_MONITOR_MODES = {
    "listen": pgettext_lazy("monitor mode", "listening"),
    "whisper": pgettext_lazy("monitor mode", "whispering"),
    "barge": pgettext_lazy("monitor mode", "joined the call"),
}
_MACHINE_RESULTS = {
    "human": pgettext_lazy("answering machine detection", "a person answered"),
    "machine": pgettext_lazy("answering machine detection", "an answering machine answered"),
}
