"""Offer reservation in PostgreSQL: one agent per call and one call per agent, across connections."""

from __future__ import annotations

import itertools
import random
import threading
import uuid
from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.db import connections
from django.utils import timezone
from django_tenants.utils import tenant_context

from apps.accounts.models import User
from apps.core.errors import ApplicationError
from apps.telephony.models import Agent, AgentStateEvent, Call, PauseReason
from apps.telephony.services.reservation import release_reservation, reserve_agent_for_call


def make_agent(tag: str, state: str = "ready", **fields) -> Agent:
    user = User.objects.create_user(f"agent-{tag}@acme.test", "x", name=f"Agent {tag}", roles=["agent"])
    since = timezone.now() - timedelta(seconds=30)
    return Agent.objects.create(user=user, state=state, state_since=since, idle_since=since, **fields)


def make_call(tag: str, status: str = "queued", **fields) -> Call:
    return Call.objects.create(
        uid=f"res-{tag}",
        caller="+8613800000000",
        callee="4008001234",
        arrived_at=timezone.now(),
        status=status,
        **fields,
    )


# --- one connection -------------------------------------------------------------------------


def test_reserving_a_ready_agent_for_a_queued_call(acme):
    with tenant_context(acme.tenant):
        agent, call = make_agent("a"), make_call("a")
        assert reserve_agent_for_call(agent_id=agent.pk, call_id=call.pk) is True
        agent.refresh_from_db()
        call.refresh_from_db()
        assert agent.state == "reserved"
        assert agent.current_call_id == call.pk
        assert call.status == "offered"
        assert call.agent_id == agent.pk
        assert call.offered_at is not None
        assert call.offer_count == 1


def test_reservation_writes_the_state_event(acme):
    with tenant_context(acme.tenant):
        agent, call = make_agent("a"), make_call("a")
        ready_since = agent.state_since
        reserve_agent_for_call(agent_id=agent.pk, call_id=call.pk)
        event = AgentStateEvent.objects.get(agent=agent)
        agent.refresh_from_db()
        assert (event.from_state, event.to_state, event.call_id) == ("ready", "reserved", call.pk)
        assert event.at == agent.state_since
        assert event.seconds_in_previous == pytest.approx((event.at - ready_since).total_seconds())


def test_agent_who_is_not_ready_cannot_be_reserved(acme):
    with tenant_context(acme.tenant):
        agent, call = make_agent("a", state="not_ready"), make_call("a")
        assert reserve_agent_for_call(agent_id=agent.pk, call_id=call.pk) is False
        call.refresh_from_db()
        assert call.status == "queued"
        assert call.offer_count == 0
        assert not AgentStateEvent.objects.filter(agent=agent).exists()


def test_call_that_is_not_queued_leaves_the_agent_ready(acme):
    with tenant_context(acme.tenant):
        agent, call = make_agent("a"), make_call("a", status="ended")
        assert reserve_agent_for_call(agent_id=agent.pk, call_id=call.pk) is False
        agent.refresh_from_db()
        assert agent.state == "ready"
        assert agent.current_call_id is None
        assert not AgentStateEvent.objects.filter(agent=agent).exists()


def test_reserved_agent_is_not_reserved_again(acme):
    with tenant_context(acme.tenant):
        agent, first, second = make_agent("a"), make_call("a"), make_call("b")
        assert reserve_agent_for_call(agent_id=agent.pk, call_id=first.pk) is True
        assert reserve_agent_for_call(agent_id=agent.pk, call_id=second.pk) is False
        second.refresh_from_db()
        assert second.status == "queued"


def test_offered_call_is_not_offered_to_a_second_agent(acme):
    with tenant_context(acme.tenant):
        one, two, call = make_agent("a"), make_agent("b"), make_call("a")
        assert reserve_agent_for_call(agent_id=one.pk, call_id=call.pk) is True
        assert reserve_agent_for_call(agent_id=two.pk, call_id=call.pk) is False
        two.refresh_from_db()
        call.refresh_from_db()
        assert two.state == "ready"
        assert call.agent_id == one.pk


def test_releasing_to_ready_requeues_the_call_and_keeps_idle_since(acme):
    with tenant_context(acme.tenant):
        agent, call = make_agent("a"), make_call("a")
        idle_since = agent.idle_since
        reserve_agent_for_call(agent_id=agent.pk, call_id=call.pk)
        assert release_reservation(agent_id=agent.pk, call_id=call.pk) is True
        agent.refresh_from_db()
        call.refresh_from_db()
        assert (agent.state, agent.current_call_id, agent.reason_id) == ("ready", None, None)
        assert agent.idle_since == idle_since
        assert (call.status, call.agent_id) == ("queued", None)
        last = AgentStateEvent.objects.filter(agent=agent).latest("at", "id")
        assert (last.from_state, last.to_state) == ("reserved", "ready")


def test_rona_release_sets_not_ready_missed_by_default(acme):
    with tenant_context(acme.tenant):
        agent, call = make_agent("a"), make_call("a")
        reserve_agent_for_call(agent_id=agent.pk, call_id=call.pk)
        assert release_reservation(agent_id=agent.pk, call_id=call.pk, to_state="not_ready") is True
        agent.refresh_from_db()
        assert agent.state == "not_ready"
        assert agent.reason.code == "missed"
        last = AgentStateEvent.objects.filter(agent=agent).latest("at", "id")
        assert (last.to_state, last.reason.code) == ("not_ready", "missed")


def test_second_offer_keeps_the_first_offer_time(acme):
    with tenant_context(acme.tenant):
        one, two, call = make_agent("a"), make_agent("b"), make_call("a")
        reserve_agent_for_call(agent_id=one.pk, call_id=call.pk)
        call.refresh_from_db()
        first_offered_at = call.offered_at
        release_reservation(agent_id=one.pk, call_id=call.pk, to_state="not_ready")
        assert reserve_agent_for_call(agent_id=two.pk, call_id=call.pk, now=first_offered_at + timedelta(seconds=15))
        call.refresh_from_db()
        assert call.offered_at == first_offered_at
        assert call.offer_count == 2
        assert call.agent_id == two.pk


def test_release_of_an_agent_not_reserved_for_that_call_changes_nothing(acme):
    with tenant_context(acme.tenant):
        agent, call, other = make_agent("a"), make_call("a"), make_call("b")
        reserve_agent_for_call(agent_id=agent.pk, call_id=call.pk)
        assert release_reservation(agent_id=agent.pk, call_id=other.pk) is False
        agent.refresh_from_db()
        assert agent.state == "reserved"
        assert AgentStateEvent.objects.filter(agent=agent).count() == 1


def test_release_with_an_unknown_reason_is_refused(acme):
    with tenant_context(acme.tenant):
        agent, call = make_agent("a"), make_call("a")
        reserve_agent_for_call(agent_id=agent.pk, call_id=call.pk)
        with pytest.raises(ApplicationError) as caught:
            release_reservation(agent_id=agent.pk, call_id=call.pk, to_state="not_ready", reason_code="nap")
        assert caught.value.code == "unknown_reason"


def test_release_uses_the_given_reason(acme):
    with tenant_context(acme.tenant):
        PauseReason.objects.get_or_create(code="training", defaults={"name": "Training"})
        agent, call = make_agent("a"), make_call("a")
        reserve_agent_for_call(agent_id=agent.pk, call_id=call.pk)
        release_reservation(agent_id=agent.pk, call_id=call.pk, to_state="not_ready", reason_code="training")
        agent.refresh_from_db()
        assert agent.reason.code == "training"


def test_release_to_another_state_is_a_programming_error(acme):
    with pytest.raises(ValueError, match="ready or not_ready"):
        release_reservation(agent_id=1, call_id=1, to_state="talking")


# --- many connections -------------------------------------------------------------------------

AGENTS = 12
CALLS = 10
WORKERS = 6


def in_own_connection(tenant, function):
    """Run ``function`` in a thread with its own database connection (autocommit, outside the
    test's rolled-back transaction) on the tenant's schema."""
    box: dict = {}

    def run() -> None:
        try:
            with tenant_context(tenant):
                box["value"] = function()
        except BaseException as error:  # re-raised in the test's thread
            box["error"] = error
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box.get("value")


@contextmanager
def committed_world(tenant, *, agents: int, calls: int):
    """Ready agents and queued calls committed in the tenant's schema (threads must see them),
    deleted again afterwards; yields ``(agent_ids, call_ids)``."""
    tag = uuid.uuid4().hex[:8]
    created: dict[str, list[int]] = {"users": [], "calls": [], "agents": []}

    def create() -> None:
        made = [make_agent(f"{tag}-{n}") for n in range(agents)]
        created["users"] = [agent.user_id for agent in made]
        created["agents"] = [agent.pk for agent in made]
        created["calls"] = [make_call(f"{tag}-{n}").pk for n in range(calls)]

    def cleanup() -> None:
        Call.objects.filter(pk__in=created["calls"]).delete()
        User.objects.filter(pk__in=created["users"]).delete()  # cascades to agents and their events

    def leftovers() -> tuple[int, int, int]:
        return (
            Call.objects.filter(uid__startswith=f"res-{tag}-").count(),
            User.objects.filter(email__startswith=f"agent-{tag}-").count(),
            Agent.objects.filter(pk__in=created["agents"]).count(),
        )

    try:
        in_own_connection(tenant, create)
        yield created["agents"], created["calls"]
    finally:
        in_own_connection(tenant, cleanup)
    assert in_own_connection(tenant, leftovers) == (0, 0, 0)


def run_workers(tenant, work) -> None:
    """Run ``work(worker_index)`` in WORKERS threads, each with its own connection on the tenant."""
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            with tenant_context(tenant):
                work(index)
        except BaseException as error:  # reported by the test's thread
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


def read_rows(tenant, agent_ids, call_ids):
    def rows():
        agents = {a.pk: a for a in Agent.objects.filter(pk__in=agent_ids)}
        calls = {c.pk: c for c in Call.objects.filter(pk__in=call_ids)}
        events = list(AgentStateEvent.objects.filter(agent_id__in=agent_ids).values_list("agent_id", "call_id"))
        return agents, calls, events

    return in_own_connection(tenant, rows)


def test_concurrent_workers_never_double_reserve(acme):
    tenant = acme.tenant
    with committed_world(tenant, agents=AGENTS, calls=CALLS) as (agent_ids, call_ids):
        pairs = list(itertools.product(agent_ids, call_ids))
        barrier = threading.Barrier(WORKERS)
        wins: list[tuple[int, int]] = []

        def hammer(index: int) -> None:
            mine = pairs[:]
            random.Random(index).shuffle(mine)
            barrier.wait(timeout=30)
            for agent_id, call_id in mine:
                if reserve_agent_for_call(agent_id=agent_id, call_id=call_id):
                    wins.append((agent_id, call_id))

        run_workers(tenant, hammer)
        agents, calls, events = read_rows(tenant, agent_ids, call_ids)

    # Every call was tried with every agent, and there are more agents than calls: all calls won once.
    assert len(wins) == CALLS
    assert len({agent_id for agent_id, _ in wins}) == CALLS
    assert len({call_id for _, call_id in wins}) == CALLS
    reserved = {pk: agent.current_call_id for pk, agent in agents.items() if agent.state == "reserved"}
    assert reserved == dict(wins)
    assert sorted(pk for pk, agent in agents.items() if agent.state == "ready") == sorted(
        set(agent_ids) - set(reserved)
    )
    assert all(agents[pk].current_call_id is None for pk in set(agent_ids) - set(reserved))
    assert {pk: (call.status, call.agent_id, call.offer_count) for pk, call in calls.items()} == {
        call_id: ("offered", agent_id, 1) for agent_id, call_id in wins
    }
    assert sorted(events) == sorted(wins)


ROUNDS = 16


def test_racing_for_one_agent_or_one_call_has_one_winner(acme):
    """Each round, every worker reserves at the same instant: in even rounds one agent for
    different calls, in odd rounds different agents for one call. Exactly one may win."""
    tenant = acme.tenant
    with committed_world(tenant, agents=WORKERS, calls=WORKERS) as (agent_ids, call_ids):
        barrier = threading.Barrier(WORKERS)
        wins: list[tuple[int, int, int]] = []

        def reset() -> None:
            Agent.objects.filter(pk__in=agent_ids).update(state="ready", current_call=None)
            Call.objects.filter(pk__in=call_ids).update(status="queued", agent=None)

        def race(index: int) -> None:
            for round_number in range(ROUNDS):
                if index == 0:
                    reset()
                barrier.wait(timeout=30)
                if round_number % 2 == 0:
                    agent_id, call_id = agent_ids[round_number % WORKERS], call_ids[index]
                else:
                    agent_id, call_id = agent_ids[index], call_ids[round_number % WORKERS]
                if reserve_agent_for_call(agent_id=agent_id, call_id=call_id):
                    wins.append((round_number, agent_id, call_id))
                barrier.wait(timeout=30)

        run_workers(tenant, race)
        agents, calls, events = read_rows(tenant, agent_ids, call_ids)

    assert sorted(round_number for round_number, _, _ in wins) == list(range(ROUNDS))
    last_round, last_agent, last_call = max(wins)
    assert [pk for pk, agent in agents.items() if agent.state == "reserved"] == [last_agent]
    assert agents[last_agent].current_call_id == last_call
    assert [(pk, call.agent_id) for pk, call in calls.items() if call.status == "offered"] == [(last_call, last_agent)]
    assert sorted(events) == sorted((agent_id, call_id) for _, agent_id, call_id in wins)
