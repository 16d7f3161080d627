"""Demo traffic set-up (``make run``) and the ``run_engine`` command's pieces that need no event loop."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from django_tenants.utils import tenant_context

from apps.accounts.models import User
from apps.crm.models import Customer
from apps.telephony import agent_states
from apps.telephony.engine.config import load_tenant_config
from apps.telephony.engine.runner import _recover
from apps.telephony.models import Agent, AgentSkill, Call, PhoneNumber, Queue
from apps.telephony.services.cdr import call_answered, call_open, call_queued
from apps.telephony.services.demo import DEMO_ARRIVALS_PER_HOUR, demo_traffic_setup
from tests.factories import AgentFactory, QueueFactory, TrunkFactory


def test_demo_setup_creates_virtual_agents_ready_in_seats(acme):
    demo_traffic_setup(acme.tenant)
    with tenant_context(acme.tenant):
        virtual = Agent.objects.filter(is_virtual=True)
        assert virtual.count() == 12  # 8 inbound, 4 on the outbound campaign's queue
        # acme has five seats: the virtual agents that got one are Ready, the rest wait offline.
        assert set(virtual.filter(seat__isnull=False).values_list("state", flat=True)) == {agent_states.READY}
        assert virtual.filter(seat__isnull=False).count() == 5  # acme has five seats
        assert User.objects.filter(email="vagent01@demo.local", roles__contains=["agent"]).exists()


def test_demo_setup_is_idempotent(acme):
    first = demo_traffic_setup(acme.tenant)
    second = demo_traffic_setup(acme.tenant)
    assert first["customers_created"] == 12
    assert second["customers_created"] == 0
    with tenant_context(acme.tenant):
        assert Agent.objects.filter(is_virtual=True).count() == 12
        assert Queue.objects.filter(code__in=["general", "billing", "english"]).count() == 3
        assert Customer.objects.count() == 12


def test_demo_setup_gives_the_number_simulated_traffic_and_a_route(acme):
    demo_traffic_setup(acme.tenant)
    with tenant_context(acme.tenant):
        for number in PhoneNumber.objects.all():
            assert number.sim_arrivals_per_hour == DEMO_ARRIVALS_PER_HOUR
            assert number.ivr_flow_id is not None or number.queue_id is not None


def test_demo_setup_has_vip_customers_for_screen_pop(acme):
    demo_traffic_setup(acme.tenant)
    with tenant_context(acme.tenant):
        assert Customer.objects.filter(is_vip=True).count() == 3


def test_demo_setup_gives_the_human_demo_agent_skills_but_leaves_them_offline(acme):
    with tenant_context(acme.tenant):
        User.objects.create_user("agent@demo.local", "x-Pass-1234", name="Demo", roles=["agent"])
    demo_traffic_setup(acme.tenant)
    with tenant_context(acme.tenant):
        agent = Agent.objects.get(user__email="agent@demo.local")
        assert agent.state == agent_states.OFFLINE
        assert agent.is_virtual is False
        assert AgentSkill.objects.get(agent=agent, skill__code="general").level == 10


def test_loaded_config_carries_queues_numbers_and_agents(acme):
    demo_traffic_setup(acme.tenant)
    with tenant_context(acme.tenant):
        config = load_tenant_config(acme.tenant)
        general = Queue.objects.get(code="general")
    assert config.queues[general.pk].strategy == "most_skilled"
    assert config.queues[general.pk].required
    assert all(number.arrivals_per_hour == DEMO_ARRIVALS_PER_HOUR for number in config.numbers.values())
    virtual = [agent for agent in config.agents.values() if agent.is_virtual]
    assert len(virtual) == 12
    assert all(agent.skills for agent in virtual)
    # The eight inbound ones; the campaign's four need free seats, and acme has only five.
    assert sum(agent.state == agent_states.READY for agent in virtual) == 8
    assert "13801380001" in config.customers
    assert config.customers["13801380001"].is_vip is True


def test_scratch_queues_are_not_loaded_for_live_routing(acme):
    with tenant_context(acme.tenant):
        scratch = QueueFactory(is_scratch=True)
        config = load_tenant_config(acme.tenant)
    assert scratch.pk not in config.queues


def test_recover_closes_calls_and_frees_agents_left_by_a_stopped_engine(acme):
    now = timezone.now()
    with tenant_context(acme.tenant):
        trunk = TrunkFactory(channels=2)
        queue = QueueFactory()
        agent = AgentFactory(is_virtual=True, state=agent_states.TALKING)
        call = call_open(uid="stale-1", direction="inbound", caller="138", callee="400", trunk=trunk.pk, at=now)
        call_queued(call, queue=queue, at=now)
        call_answered(call, agent=agent, at=now)
    result = _recover(acme.tenant)
    with tenant_context(acme.tenant):
        call.refresh_from_db()
        agent.refresh_from_db()
    assert result == {"calls": 1, "agents": 1, "outboxes": 0}
    assert call.status == "ended"
    assert call.end_reason == "failed"
    assert agent.state == agent_states.READY


def test_run_engine_refuses_a_negative_duration(db):
    with pytest.raises(CommandError, match="--duration"):
        call_command("run_engine", "--driver", "sim", "--duration", "-1", stdout=StringIO())


def test_run_engine_refuses_an_unknown_driver(db):
    with pytest.raises(CommandError, match="invalid choice"):
        call_command("run_engine", "--driver", "asterisk", stdout=StringIO())


def test_no_call_rows_are_written_by_demo_setup(acme):
    demo_traffic_setup(acme.tenant)
    with tenant_context(acme.tenant):
        assert not Call.objects.exists()
