"""Preview dialing from the desk (``campaign.preview_dial`` / ``campaign.preview_skip`` on the
engine's inbox, docs/realtime.md): the engine shows a Ready agent one contact at a time; the
agent dials it, skips it, or asks to be shown the contact again after reloading the page.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from apps.core.errors import ApplicationError
from apps.core.events import publish_on_commit
from apps.telephony import agent_states
from apps.telephony.choices import CampaignStatus, ContactStatus, DialMode
from apps.telephony.models import Agent, Contact, DialAttempt


def _invalid(fields: dict[str, list[Any]]) -> ApplicationError:
    return ApplicationError("invalid", _("The request has invalid fields."), fields=fields)


# --- preview dialing ----------------------------------------------------------------------------------


def _ready_agent(agent: Agent) -> Agent:
    agent = Agent.objects.get(pk=agent.pk)
    if agent.state != agent_states.READY:
        raise ApplicationError("invalid_state", _("Only a Ready agent is shown contacts to preview."))
    return agent


def _previewed_contact(contact_id: Any) -> Contact:
    """The contact the engine is showing: taken from a running preview campaign, not yet dialled."""
    try:
        contact_id = int(contact_id)
    except (TypeError, ValueError):
        raise _invalid({"contact_id": [_("A contact id.")]}) from None
    contact = Contact.objects.select_related("campaign").filter(pk=contact_id).first()
    if (
        contact is None
        or contact.status != ContactStatus.DIALING
        or contact.campaign.dial_mode != DialMode.PREVIEW
        or contact.campaign.status != CampaignStatus.RUNNING
        or not DialAttempt.objects.filter(contact=contact, outcome="").exists()
    ):
        raise ApplicationError("not_previewed", _("This contact is no longer waiting for you: wait for the next one."))
    return contact


@transaction.atomic
def preview_dial(*, agent: Agent, contact_id: Any = None) -> dict[str, Any]:
    """Dial the contact the engine shows ``agent`` (``contact_id`` guards against a stale click)."""
    agent = _ready_agent(agent)
    if contact_id is not None:
        contact_id = _previewed_contact(contact_id).pk
    message = {"type": "campaign.preview_dial", "agent_id": agent.pk, "contact_id": contact_id}
    publish_on_commit("engine", message)
    return message


@transaction.atomic
def preview_skip(*, agent: Agent, contact_id: Any) -> dict[str, Any]:
    """Give the shown contact back without dialling it. The engine holds it back for a while (so it
    does not come straight back to this agent) and shows the next contact on its next tick."""
    agent = _ready_agent(agent)
    contact = _previewed_contact(contact_id)
    message = {"type": "campaign.preview_skip", "agent_id": agent.pk, "contact_id": contact.pk}
    publish_on_commit("engine", message)
    return message


@transaction.atomic
def preview_next(*, agent: Agent) -> dict[str, Any]:
    """Show me the contact to preview (again): after a reload the desk has lost the engine's
    ``campaign.preview`` message. The engine takes back whatever it showed this agent, unchanged,
    and shows the first due contact — the same one, unless another agent took it meanwhile."""
    agent = _ready_agent(agent)
    message = {"type": "campaign.preview_skip", "agent_id": agent.pk, "contact_id": None}
    publish_on_commit("engine", message)
    return message
