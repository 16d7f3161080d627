"""What agents and supervisors do to calls. These functions check that the action makes sense
now (it is the agent's current call, in the right state) and send the command to the engine
on commit (topic "engine", docs/realtime.md). The engine carries it out and the result comes
back as realtime events; nothing here changes call or agent state except wrap-up, which also
stores the disposition and notes on the CDR.
"""

from __future__ import annotations

import re
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from apps.accounts.models import User
from apps.core.errors import ApplicationError, NotFoundError
from apps.core.events import publish_on_commit
from apps.crm.models import Customer
from apps.telephony import agent_states
from apps.telephony.choices import AgentState, CallStatus
from apps.telephony.models import Agent, Call, Disposition, Queue
from apps.telephony.services.campaigns.lifecycle import campaign_disposition_apply
from apps.telephony.services.dialling import dial_check

NUMBER_RE = re.compile(r"^\+?[0-9]{3,20}$")
MONITOR_MODES = ("listen", "whisper", "barge")
NOTES_MAX = 4000
LIVE_CALL = (CallStatus.TALKING, CallStatus.HOLD)


def _send(message: dict[str, Any]) -> dict[str, Any]:
    publish_on_commit("engine", message)
    return message


def _call(call_uid: str) -> Call:
    call = Call.objects.filter(uid=call_uid).first()
    if call is None:
        raise NotFoundError("not_found", _("There is no such call."))
    return call


def _agent_with_call(agent: Agent, call_uid: str, states: tuple[str, ...]) -> tuple[Agent, Call]:
    """Re-read the agent (its state may have moved since the request began) and check the call is theirs."""
    agent = Agent.objects.select_for_update().get(pk=agent.pk)
    call = _call(call_uid)
    owns = agent.current_call_id == call.pk or (agent.current_call_id is None and call.agent_id == agent.pk)
    if not owns:
        raise ApplicationError("not_your_call", _("This is not your current call."))
    if agent.state not in states:
        labels = dict(AgentState.choices)
        raise ApplicationError(
            "invalid_state",
            _("Not possible while %(state)s.") % {"state": labels.get(agent.state, agent.state)},
        )
    return agent, call


def _agent_action(kind: str, agent: Agent, call_uid: str, states: tuple[str, ...]) -> dict[str, Any]:
    agent, call = _agent_with_call(agent, call_uid, states)
    return _send({"type": kind, "agent_id": agent.pk, "call_uid": call.uid})


@transaction.atomic
def call_answer(*, agent: Agent, call_uid: str) -> dict[str, Any]:
    return _agent_action("call.answer", agent, call_uid, (agent_states.RESERVED,))


@transaction.atomic
def call_reject(*, agent: Agent, call_uid: str) -> dict[str, Any]:
    return _agent_action("call.reject", agent, call_uid, (agent_states.RESERVED,))


@transaction.atomic
def call_hangup(*, agent: Agent, call_uid: str) -> dict[str, Any]:
    return _agent_action("call.hangup", agent, call_uid, (agent_states.TALKING, agent_states.HOLD))


@transaction.atomic
def call_hold(*, agent: Agent, call_uid: str) -> dict[str, Any]:
    return _agent_action("call.hold", agent, call_uid, (agent_states.TALKING,))


@transaction.atomic
def call_resume(*, agent: Agent, call_uid: str) -> dict[str, Any]:
    return _agent_action("call.resume", agent, call_uid, (agent_states.HOLD,))


@transaction.atomic
def call_transfer(
    *,
    agent: Agent,
    call_uid: str,
    queue_id: int | None = None,
    target_agent_id: int | None = None,
    number: str | None = None,
) -> dict[str, Any]:
    """Blind transfer to a queue, another logged-in agent or an outside number (exactly one).
    An outside number is a call the company pays for: it follows the dialling policy like
    click-to-dial (prefixes, premium numbers, do-not-call, the agent's rate limit)."""
    number = (number or "").strip().replace(" ", "").replace("-", "")
    if sum(target is not None and target != "" for target in (queue_id, target_agent_id, number)) != 1:
        raise ApplicationError(
            "invalid",
            _("Transfer to a queue, an agent or a number."),
            fields={"target": [_("Choose exactly one of a queue, an agent or a number.")]},
        )
    agent, call = _agent_with_call(agent, call_uid, (agent_states.TALKING, agent_states.HOLD))
    if number:
        if not NUMBER_RE.match(number):
            raise ApplicationError(
                "invalid",
                _("The request has invalid fields."),
                fields={"number": [_("Digits only (3–20), optionally starting with +.")]},
            )
        dial_check(agent=agent, number=number)
        return _send({"type": "call.transfer", "agent_id": agent.pk, "call_uid": call.uid, "number": number})
    if queue_id is not None and not Queue.objects.filter(pk=queue_id).exists():
        raise ApplicationError(
            "invalid", _("The request has invalid fields."), fields={"queue_id": [_("Unknown queue.")]}
        )
    if target_agent_id is not None:
        target = Agent.objects.filter(pk=target_agent_id).first()
        if target is None:
            raise ApplicationError(
                "invalid", _("The request has invalid fields."), fields={"target_agent_id": [_("Unknown agent.")]}
            )
        if target.pk == agent.pk:
            raise ApplicationError(
                "invalid",
                _("The request has invalid fields."),
                fields={"target_agent_id": [_("You cannot transfer a call to yourself.")]},
            )
        if target.state == agent_states.OFFLINE:
            raise ApplicationError(
                "agent_unavailable",
                _("%(name)s is offline.") % {"name": target.user.get_full_name()},
                fields={"target_agent_id": [_("Offline.")]},
            )
    return _send(
        {
            "type": "call.transfer",
            "agent_id": agent.pk,
            "call_uid": call.uid,
            "queue_id": queue_id,
            "target_agent_id": target_agent_id,
        }
    )


@transaction.atomic
def call_consult(
    *,
    agent: Agent,
    call_uid: str,
    queue_id: int | None = None,
    target_agent_id: int | None = None,
    number: str | None = None,
) -> dict[str, Any]:
    """Attended transfer, step 1: hold the caller and ring a Ready colleague (or the agent a queue
    would pick now), or dial an outside number, for a consultation. The engine answers with
    ``call.consult_started`` or ``call.consult_failed`` on the agent's desk. An outside number
    follows the dialling policy as a blind transfer's does (prefixes, premium numbers, do-not-call,
    the agent's rate limit)."""
    number = (number or "").strip().replace(" ", "").replace("-", "")
    if sum(target is not None and target != "" for target in (queue_id, target_agent_id, number)) != 1:
        raise ApplicationError(
            "invalid",
            _("Consult a queue, an agent or a number."),
            fields={"target": [_("Choose exactly one of a queue, an agent or a number.")]},
        )
    agent, call = _agent_with_call(agent, call_uid, (agent_states.TALKING, agent_states.HOLD))
    if call.agent_id is not None and call.agent_id != agent.pk:
        raise ApplicationError("not_your_call", _("This is not your current call."))
    if number:
        if not NUMBER_RE.match(number):
            raise ApplicationError(
                "invalid",
                _("The request has invalid fields."),
                fields={"number": [_("Digits only (3–20), optionally starting with +.")]},
            )
        dial_check(agent=agent, number=number)
        return _send(
            {
                "type": "call.consult",
                "agent_id": agent.pk,
                "call_uid": call.uid,
                "queue_id": None,
                "target_agent_id": None,
                "number": number,
            }
        )
    if queue_id is not None and not Queue.objects.filter(pk=queue_id).exists():
        raise ApplicationError(
            "invalid", _("The request has invalid fields."), fields={"queue_id": [_("Unknown queue.")]}
        )
    if target_agent_id is not None:
        target = Agent.objects.select_related("user").filter(pk=target_agent_id).first()
        if target is None:
            raise ApplicationError(
                "invalid", _("The request has invalid fields."), fields={"target_agent_id": [_("Unknown agent.")]}
            )
        if target.pk == agent.pk:
            raise ApplicationError(
                "invalid",
                _("The request has invalid fields."),
                fields={"target_agent_id": [_("You cannot consult yourself.")]},
            )
        if target.state != agent_states.READY:
            raise ApplicationError(
                "agent_unavailable",
                _("%(name)s is not ready.") % {"name": target.user.get_full_name()},
                fields={"target_agent_id": [_("Not ready.")]},
            )
    return _send(
        {
            "type": "call.consult",
            "agent_id": agent.pk,
            "call_uid": call.uid,
            "queue_id": queue_id,
            "target_agent_id": target_agent_id,
        }
    )


def _consulted(agent: Agent, call_uid: str) -> tuple[Agent, Call]:
    """The first agent of a call with a consultation in progress (a colleague reserved or talking on it)."""
    agent, call = _agent_with_call(agent, call_uid, (agent_states.TALKING, agent_states.HOLD))
    consulted = (
        Agent.objects.filter(current_call=call, state__in=(agent_states.RESERVED, agent_states.TALKING))
        .exclude(pk=agent.pk)
        .exists()
    ) or _number_consulted(call) is not None
    if call.agent_id != agent.pk or not consulted:
        raise ApplicationError("no_consultation", _("There is no consultation on this call."))
    return agent, call


@transaction.atomic
def call_consult_complete(*, agent: Agent, call_uid: str) -> dict[str, Any]:
    """Attended transfer, step 2: the consulted colleague takes the caller; you go to wrap-up."""
    agent, call = _consulted(agent, call_uid)
    return _send({"type": "call.consult_complete", "agent_id": agent.pk, "call_uid": call.uid})


@transaction.atomic
def call_consult_cancel(*, agent: Agent, call_uid: str) -> dict[str, Any]:
    """End the consultation: the colleague is free again, the caller stays held with you."""
    agent, call = _consulted(agent, call_uid)
    return _send({"type": "call.consult_cancel", "agent_id": agent.pk, "call_uid": call.uid})


def _number_consulted(call: Call) -> bool | None:
    """An outside number consulted on ``call`` (read back from the timeline): None if there is none,
    else whether it answered."""
    from apps.telephony.selectors.wallboard import number_consult_in_progress  # noqa: PLC0415

    found = number_consult_in_progress(call)
    return None if found is None else found["answered"]


def _in_conference(agent: Agent, call_uid: str, *, host: bool) -> tuple[Agent, Call]:
    """The agent's call with a three-way conference in progress that they are in (``host``: as its host)."""
    from apps.telephony.selectors.wallboard import conference_in_progress  # noqa: PLC0415 -- selectors import services

    agent, call = _agent_with_call(agent, call_uid, (agent_states.TALKING,))
    conference = conference_in_progress(call, agent)
    if conference is None or (host and conference["role"] != "host"):
        message = _("Only the agent who started the conference can do this.") if conference else None
        raise ApplicationError("no_conference", message or _("There is no conference on this call."))
    return agent, call


@transaction.atomic
def call_conference(*, agent: Agent, call_uid: str) -> dict[str, Any]:
    """Three-way conference: join the caller (on hold) and the colleague you are consulting. It needs
    an answered consultation: consult a colleague first, and wait until they pick up."""
    try:
        agent, call = _consulted(agent, call_uid)
    except ApplicationError as error:
        if error.code != "no_consultation":
            raise
        raise ApplicationError(
            "no_consultation", _("There is no consultation on this call: consult a colleague first.")
        ) from None
    answered = Agent.objects.filter(current_call=call, state=agent_states.TALKING).exclude(pk=agent.pk).exists()
    if not answered and _number_consulted(call) is False:
        raise ApplicationError("not_answered", _("The number has not answered yet."))
    if not answered and not _number_consulted(call):
        raise ApplicationError("not_answered", _("Your colleague has not answered yet."))
    return _send({"type": "call.conference", "agent_id": agent.pk, "call_uid": call.uid})


@transaction.atomic
def call_conference_leave(*, agent: Agent, call_uid: str) -> dict[str, Any]:
    """Leave the conference. The colleague leaving returns the call to two parties; the host leaving
    hands the caller to the colleague (the host goes to wrap-up)."""
    agent, call = _in_conference(agent, call_uid, host=False)
    return _send({"type": "call.conference_leave", "agent_id": agent.pk, "call_uid": call.uid})


@transaction.atomic
def call_conference_drop(*, agent: Agent, call_uid: str) -> dict[str, Any]:
    """The host drops the colleague: back to a call with the caller alone."""
    agent, call = _in_conference(agent, call_uid, host=True)
    return _send({"type": "call.conference_drop", "agent_id": agent.pk, "call_uid": call.uid})


@transaction.atomic
def call_conference_end(*, agent: Agent, call_uid: str) -> dict[str, Any]:
    """The host ends the conference: the colleague and the caller are hung up."""
    agent, call = _in_conference(agent, call_uid, host=True)
    return _send({"type": "call.conference_end", "agent_id": agent.pk, "call_uid": call.uid})


@transaction.atomic
def call_wrapup(*, agent: Agent, call_uid: str, disposition: str | None = None, notes: str = "") -> dict[str, Any]:
    """Store the disposition and notes on the CDR and tell the engine to end wrap-up."""
    agent, call = _agent_with_call(agent, call_uid, (agent_states.WRAP_UP,))
    notes = (notes or "").strip()
    found = None
    errors: dict[str, list[str]] = {}
    if disposition:
        found = Disposition.objects.filter(code=disposition, is_active=True).first()
        if found is None:
            errors["disposition"] = [_("Unknown disposition.")]
    if len(notes) > NOTES_MAX:
        errors["notes"] = [_("At most %(n)d characters.") % {"n": NOTES_MAX}]
    if errors:
        raise ApplicationError("invalid", _("The request has invalid fields."), fields=errors)
    Call.objects.filter(pk=call.pk).update(disposition=found, notes=notes)
    if found is not None:
        campaign_disposition_apply(call=call, disposition=found)  # no-op unless a campaign dialled this call
    return _send(
        {
            "type": "call.wrapup",
            "agent_id": agent.pk,
            "call_uid": call.uid,
            "disposition": found.code if found else None,
            "notes": notes,
        }
    )


@transaction.atomic
def call_dial(*, agent: Agent, number: str = "", customer_id: int | None = None) -> dict[str, Any]:
    """Click-to-dial from Ready or NotReady; with only a customer, their first number is dialled."""
    agent = Agent.objects.select_for_update().get(pk=agent.pk)
    number = (number or "").strip().replace(" ", "").replace("-", "")
    customer = None
    if customer_id is not None:
        customer = Customer.objects.filter(pk=customer_id).first()
        if customer is None:
            raise ApplicationError(
                "invalid", _("The request has invalid fields."), fields={"customer_id": [_("Unknown customer.")]}
            )
        if not number and customer.phones:
            number = customer.phones[0]
    if not NUMBER_RE.match(number):
        raise ApplicationError(
            "invalid",
            _("The request has invalid fields."),
            fields={"number": [_("Digits only (3–20), optionally starting with +.")]},
        )
    if agent.state not in (agent_states.READY, agent_states.NOT_READY):
        raise ApplicationError("invalid_state", _("You can dial when Ready or Not ready, outside a call."))
    dial_check(agent=agent, number=number)  # toll fraud: prefixes, premium, do-not-call, rate limit
    return _send(
        {"type": "call.dial", "agent_id": agent.pk, "number": number, "customer_id": customer.pk if customer else None}
    )


@transaction.atomic
def call_monitor(*, supervisor: User, call_uid: str, mode: str) -> dict[str, Any]:
    """Listen (silent), whisper (the agent hears the supervisor) or barge (three-way)."""
    if mode not in MONITOR_MODES:
        raise ApplicationError(
            "invalid", _("The request has invalid fields."), fields={"mode": [_("listen, whisper or barge.")]}
        )
    call = _call(call_uid)
    if call.status not in LIVE_CALL:
        raise ApplicationError("invalid_state", _("Only a call in progress can be monitored."))
    return _send({"type": "call.monitor", "supervisor_user_id": supervisor.pk, "call_uid": call.uid, "mode": mode})


@transaction.atomic
def call_release(*, supervisor: User, call_uid: str) -> dict[str, Any]:
    """Force-release a stuck or abusive call."""
    call = _call(call_uid)
    if call.status == CallStatus.ENDED:
        raise ApplicationError("invalid_state", _("This call has already ended."))
    return _send({"type": "call.release", "supervisor_user_id": supervisor.pk, "call_uid": call.uid})
