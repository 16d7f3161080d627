"""Automatic clocking from the agent desktop (policy ``auto_clock_from_desk``).

Workforce does not import the engine: it listens to the agent-state events the telephony
services store (``AgentStateEvent``, one row per change, written by ``agent_set_state`` for a
desk login or logout). Only a change from or to Offline interests it — a login or a logout —
so the ordinary state traffic costs one comparison. The clocking itself is a service
(``services.clocking.clock_from_desk``) run after the state change commits, so a refused
clocking can never undo a login.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models.signals import post_save

from apps.telephony.models import Agent, AgentStateEvent
from apps.workforce.choices import ClockKind

OFFLINE = "offline"


def _state_saved(sender, instance: AgentStateEvent, created: bool, raw: bool = False, **kwargs) -> None:
    if not created or raw or instance.is_generated:
        return
    if instance.from_state == OFFLINE and instance.to_state != OFFLINE:
        kind = ClockKind.IN
    elif instance.to_state == OFFLINE and instance.from_state != OFFLINE:
        kind = ClockKind.OUT
    else:
        return
    agent_id, at = instance.agent_id, instance.at

    def clock() -> None:
        from apps.workforce.services.clocking import clock_from_desk  # noqa: PLC0415 -- services load after apps

        agent = Agent.objects.select_related("user").filter(pk=agent_id).first()
        if agent is not None and agent.user_id:
            clock_from_desk(user=agent.user, kind=kind, at=at)

    transaction.on_commit(clock)


def connect() -> None:
    post_save.connect(_state_saved, sender=AgentStateEvent, dispatch_uid="workforce-desk-clock")
