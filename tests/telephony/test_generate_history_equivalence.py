"""generate_history writes what live traffic would: the same plan through the engine's database store.

The plan (tenant configuration, agents, seed) runs twice on the virtual clock: once through
:class:`~apps.telephony.engine.dbstore.DbStore` (synchronous mode: every operation applied at
once through the CDR, reservation and agent-state services, as ``run_engine`` applies them), once
through the history store and its bulk write. Every CDR field, every timeline step and every
agent state change must be the same.
"""

from __future__ import annotations

from datetime import date

import pytest
from django.db import models
from django_tenants.utils import tenant_context

from apps.accounts.models import User
from apps.telephony.engine.dbstore import DbStore
from apps.telephony.engine.simulation.history import run_history
from apps.telephony.models import (
    Agent,
    AgentStateEvent,
    Call,
    CallbackRequest,
    CallEvent,
    Queue,
    QueueSkill,
    Skill,
    Voicemail,
)
from apps.telephony.services import history
from apps.telephony.services.agent_state import agent_set_state

pytestmark = pytest.mark.django_db(transaction=False)

SKIP_FIELDS = {"id", "uid"}


class _LiveStore(DbStore):
    """The engine's database store, with the hooks the virtual desks use."""

    def __init__(self, tenant, clock) -> None:
        super().__init__(tenant, clock, asynchronous=False, simulated=True)
        self.users: dict[int, int | None] = {}
        self.on_answered = None
        self.on_agent_state = None

    def person_state(self, agent_id: int, state: str, reason: str | None = None) -> None:
        """A desk change, as the agents API makes it: ``agent_set_state`` by the agent."""
        with tenant_context(self.tenant):
            agent_set_state(
                agent=Agent(pk=agent_id),
                state=state,
                reason_code=reason,
                actor=User.objects.get(pk=self.users[agent_id]),
                source="agent",
                now=self.clock.wall(),
            )

    def call_answered(self, call) -> None:
        super().call_answered(call)
        if self.on_answered is not None:
            self.on_answered(call)

    def agent_state(self, agent, previous, call=None) -> None:
        super().agent_state(agent, previous, call)
        if self.on_agent_state is not None:
            self.on_agent_state(agent, call)


def _plan(world):
    days = history.history_range(world.tenant, 1, today=date(2026, 12, 3))
    with tenant_context(world.tenant):
        plan, _created = history._plan(world.tenant, day_starts=days, calls_per_day=160, agents=3, seed=9)
    return plan


def _call_fields(call: Call) -> dict:
    values = {}
    for field in Call._meta.concrete_fields:
        if field.name in SKIP_FIELDS:
            continue
        name = field.attname if isinstance(field, models.ForeignKey) else field.name
        value = getattr(call, name)
        values[name] = round(value, 6) if isinstance(value, float) else value
    return values


def _snapshot(calls, prefix: str = "") -> tuple[dict, dict, dict]:
    by_uid = {call.uid.removeprefix(prefix): call for call in calls}
    cdrs = {uid: _call_fields(call) for uid, call in by_uid.items()}
    timelines = {
        uid: [
            (event.at, event.kind, event.agent_id, event.data)
            for event in CallEvent.objects.filter(call=call).order_by("at", "id")
        ]
        for uid, call in by_uid.items()
    }
    uid_of = {call.pk: uid for uid, call in by_uid.items()}
    states: dict[int, list] = {}
    events = AgentStateEvent.objects.filter(call__in=calls) | AgentStateEvent.objects.filter(call=None)
    for event in events.order_by("agent_id", "at", "id"):
        states.setdefault(event.agent_id, []).append(
            (
                event.at,
                event.from_state,
                event.to_state,
                event.reason_id,
                uid_of.get(event.call_id),
                event.actor_id,
                round(event.seconds_in_previous, 6),
            )
        )
    extras = {
        "voicemails": sorted(
            (by_key(uid_of, v.call_id), v.queue_id, v.caller, round(v.duration_seconds, 6), v.created_at)
            for v in Voicemail.objects.filter(call__in=calls)
        ),
        "callbacks": sorted(
            (
                by_key(uid_of, r.call_id),
                r.queue_id,
                r.number,
                r.original_queued_at,
                r.status,
                r.completed_at,
                by_key(uid_of, r.callback_call_id),
                r.attempts,
            )
            for r in CallbackRequest.objects.filter(call__in=calls)
        ),
    }
    return cdrs, timelines, {"states": states, **extras}


def by_key(uid_of: dict, pk):
    return uid_of.get(pk) if pk is not None else None


@pytest.fixture(params=["one queue", "transfers and callbacks"])
def world(request, acme):
    if request.param != "one queue":
        with tenant_context(acme.tenant):
            Queue.objects.filter(code="general").update(callback_offer=True, callback_offer_after_seconds=20)
            skill = Skill.objects.create(code="h1-eq", name="Second")
            second = Queue.objects.create(code="h1-eq", name="Second", wrapup_seconds=10)
            QueueSkill.objects.create(queue=second, skill=skill, min_level=1)
    acme.extra_paths = request.param != "one queue"  # type: ignore[attr-defined]
    return acme


def test_the_history_store_writes_what_the_engine_database_store_writes(world):
    plan = _plan(world)
    live = run_history(plan, make_store=lambda clock: _LiveStore(world.tenant, clock))
    assert not live.controller.calls  # every call finished
    with tenant_context(world.tenant):
        live_calls = list(Call.objects.exclude(uid__startswith=history.UID_PREFIX))
        live_cdrs, live_timelines, live_rest = _snapshot(live_calls)
        AgentStateEvent.objects.all().delete()  # the history's events are compared alone below

    result = history.history_generate(
        tenant=world.tenant, days=1, calls_per_day=160, agents=3, seed=9, today=date(2026, 12, 3)
    )
    with tenant_context(world.tenant):
        generated = list(Call.objects.filter(uid__startswith=history.UID_PREFIX))
        cdrs, timelines, rest = _snapshot(generated, plan.uid_prefix)

    assert result.calls == len(live_calls) > 100
    assert cdrs.keys() == live_cdrs.keys()
    for uid, fields in live_cdrs.items():
        assert cdrs[uid] == fields, uid
    for uid, steps in live_timelines.items():
        assert timelines[uid] == steps, uid
    assert rest["voicemails"] == live_rest["voicemails"]
    assert rest["callbacks"] == live_rest["callbacks"]
    states, live_states = rest["states"], live_rest["states"]
    assert states.keys() == live_states.keys()
    for agent_id, events in live_states.items():
        # The first change's seconds_in_previous counts from the row's last live change, which the
        # history does not know; everything after it must agree.
        assert states[agent_id][0][:-1] == events[0][:-1]
        assert states[agent_id][1:] == events[1:], agent_id
    kinds = {step[1] for steps in timelines.values() for step in steps}
    assert {"arrived", "queued", "offered", "answered", "held", "resumed", "ended", "wrapup_ended"} <= kinds
    if world.extra_paths:
        assert "transferred" in kinds and rest["callbacks"]
