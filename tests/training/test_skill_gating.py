"""Certifications gate routing skills, end to end through the ACD (issue 16 items 3 and 8).

The engine is the real controller on the virtual clock with the simulated switch, configured by the
engine's own load (``apps.telephony.engine.runner._load``: ``load_tenant_config`` with the skill gate
training registers). A certificate's expiry (applied by the beat task's service) or revocation
publishes ``config.changed`` for the agent, and the engine's answer to that message — reload and
apply — is what the test runs: the expired skill's queue is no longer offered to the agent while
the agent's other skill still routes.
"""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from apps.notifications.models import Notification
from apps.telephony.engine import state as engine_state
from apps.telephony.engine.clock import VirtualClock
from apps.telephony.engine.config import load_tenant_config
from apps.telephony.engine.drivers.sim import CallerBehaviour, Duration, SimDriver, SimNumber, VirtualAgentBehaviour
from apps.telephony.engine.runner import TenantEngine, _load
from apps.telephony.models import AgentSkill
from apps.training.models import Certificate
from apps.training.services.certifications import (
    certificate_issue,
    certificate_revoke,
    certificates_expire_due,
    certification_create,
)
from apps.training.services.exams import exam_create
from tests.factories import (
    AgentFactory,
    PhoneNumberFactory,
    QueueFactory,
    QueueSkillFactory,
    SkillFactory,
    TrunkFactory,
)
from tests.qa.factories import make_team
from tests.recording_store import RecordingStore
from tests.telephony.agent_helpers import Published
from tests.telephony.harness import make_controller


@pytest.fixture
def published(monkeypatch) -> Published:
    record = Published()
    monkeypatch.setattr(
        "apps.core.events.publish", lambda schema, topic, message: record.messages.append((topic, message))
    )
    return record


@pytest.fixture
def plant(acme):
    """Two queues (billing, sales), each needing its own skill; one virtual agent with both skills,
    billing granted by a certificate, sales given by hand."""
    trainer = acme.user("trainer")
    supervisor = acme.user("supervisor")
    with tenant_context(acme.tenant):
        billing, sales = SkillFactory(code="gate-billing"), SkillFactory(code="gate-sales")
        trunk = TrunkFactory()
        queues, numbers = {}, {}
        for name, skill in (("billing", billing), ("sales", sales)):
            queue = QueueFactory(code=f"gate-{name}", wrapup_seconds=0, max_wait_seconds=3600)
            QueueSkillFactory(queue=queue, skill=skill, min_level=1)
            queues[name] = queue
            numbers[name] = PhoneNumberFactory(trunk=trunk, queue=queue)
        agent = AgentFactory(is_virtual=True, state="ready")
        make_team(supervisors=[supervisor], members=[agent.user])
        AgentSkill.objects.create(agent=agent, skill=sales, level=5)
        exam = exam_create(
            actor=trainer,
            data={
                "title": "Billing certification",
                "questions": [{"kind": "true_false", "text": "Refunds take 7 days.", "answer": [0]}],
            },
        )
        certification = certification_create(
            actor=trainer,
            data={"name": "Billing desk", "exam": exam.pk, "valid_months": 12, "skill": billing.pk, "level": 6},
        )
        certificate = certificate_issue(user=agent.user, certification=certification, actor=trainer)
    return {
        "w": acme,
        "trainer": trainer,
        "supervisor": supervisor,
        "agent": agent,
        "trunk": trunk,
        "numbers": numbers,
        "skills": {"billing": billing, "sales": sales},
        "certificate": certificate,
    }


class Engine:
    """The controller as the runner drives it: configuration from the database, reload on config.changed."""

    def __init__(self, plant):
        self.plant = plant
        self.clock = VirtualClock()
        trunk = plant["trunk"].pk
        self.driver = SimDriver(
            self.clock, seed=11, caller=CallerBehaviour(talk_with_human=Duration(30, "fixed")), default_trunk_id=trunk
        )
        self.driver.set_trunk(trunk, None)
        self.store = RecordingStore(self.clock)
        self.controller = make_controller(clock=self.clock, driver=self.driver, store=self.store)
        self.sims = {
            name: SimNumber(number_id=number.pk, number=number.number, trunk_id=trunk)
            for name, number in plant["numbers"].items()
        }
        for sim in self.sims.values():
            self.driver.set_number(sim)
        self.driver.set_virtual_agent(
            plant["agent"].pk, VirtualAgentBehaviour(talk=Duration(20, "fixed"), answer_delay=Duration(1, "fixed"))
        )
        self.reload()

    def reload(self) -> None:
        """What TenantEngine.reload does: ``_load`` (in the tenant's schema), then apply."""
        self.controller.apply_config(_load(self.plant["w"].tenant))

    def dispatch(self, messages: list[dict]) -> None:
        if any(m.get("type") == "config.changed" for m in messages):
            self.reload()

    def call(self, queue: str) -> str:
        uid = self.driver.inject(self.sims[queue], caller="13900000001")
        self.clock.run_until(self.clock.now() + 60)
        return uid

    def served_by(self, uid: str) -> int | None:
        finished = self.store.finished.get(uid)
        return finished.agent_id if finished else None


def test_an_expired_certificate_stops_offers_for_its_skill_while_another_skill_routes(
    plant, published, django_capture_on_commit_callbacks
):
    engine = Engine(plant)
    agent_id = plant["agent"].pk
    assert engine.served_by(engine.call("billing")) == agent_id
    assert engine.served_by(engine.call("sales")) == agent_id

    with tenant_context(plant["w"].tenant), django_capture_on_commit_callbacks(execute=True):
        Certificate.objects.filter(pk=plant["certificate"].pk).update(expires_at=timezone.now() - timedelta(seconds=1))
        assert certificates_expire_due() == 1
    assert {"type": "config.changed", "kind": "agent", "id": agent_id} in published.on("engine")
    engine.dispatch(published.on("engine"))

    waiting = engine.call("billing")
    assert engine.controller.calls[waiting].status == engine_state.QUEUED
    assert engine.served_by(waiting) is None
    assert engine.served_by(engine.call("sales")) == agent_id
    with tenant_context(plant["w"].tenant):
        # The row stays (a renewal restores the skill); only its effect on routing is gone.
        assert AgentSkill.objects.filter(agent_id=agent_id, skill=plant["skills"]["billing"], level=6).exists()
        told = set(Notification.objects.filter(kind="training.certificate_expired").values_list("user_id", flat=True))
        assert told == {plant["agent"].user_id, plant["supervisor"].pk}
        # Applied once: the next run of the task finds nothing more to do.
        assert certificates_expire_due() == 0


def test_a_renewal_restores_the_skill_and_the_waiting_call_is_offered(
    plant, published, django_capture_on_commit_callbacks
):
    engine = Engine(plant)
    with tenant_context(plant["w"].tenant), django_capture_on_commit_callbacks(execute=True):
        certificate_revoke(actor=plant["trainer"], certificate=plant["certificate"], reason="Failed a QA audit")
    engine.dispatch(published.on("engine"))
    waiting = engine.call("billing")
    assert engine.controller.calls[waiting].status == engine_state.QUEUED

    published.messages.clear()
    with tenant_context(plant["w"].tenant), django_capture_on_commit_callbacks(execute=True):
        certificate_issue(user=plant["agent"].user, certification=plant["certificate"].certification)
    engine.dispatch(published.on("engine"))
    engine.clock.run_until(engine.clock.now() + 60)
    assert engine.served_by(waiting) == plant["agent"].pk


def test_without_the_gate_nothing_changes_for_skills_no_certification_grants(plant):
    with tenant_context(plant["w"].tenant):
        config = load_tenant_config(plant["w"].tenant, customers=False)
    skills = config.agents[plant["agent"].pk].skills
    assert skills == {plant["skills"]["billing"].pk: 6, plant["skills"]["sales"].pk: 5}
    with tenant_context(plant["w"].tenant):
        Certificate.objects.filter(pk=plant["certificate"].pk).update(revoked_at=timezone.now())
        config = load_tenant_config(plant["w"].tenant, customers=False)
    assert config.agents[plant["agent"].pk].skills == {plant["skills"]["sales"].pk: 5}


def test_the_configuration_says_when_the_next_certificate_expires_and_the_engine_reloads_then(plant):
    with tenant_context(plant["w"].tenant):
        config = load_tenant_config(plant["w"].tenant, customers=False)
        assert config.reload_at == Certificate.objects.get(pk=plant["certificate"].pk).expires_at
        Certificate.objects.filter(pk=plant["certificate"].pk).update(revoked_at=timezone.now())
        assert load_tenant_config(plant["w"].tenant, customers=False).reload_at is None

    # The runner's periodic tick reloads once that instant has passed (not only every 60 s).
    engine = TenantEngine.__new__(TenantEngine)  # only the tick's own state: no switch, no store
    reloads: list[bool] = []

    async def nothing() -> None:
        return None

    async def reload_soon() -> None:
        reloads.append(True)

    engine.subscribe = nothing
    engine.reload_soon = reload_soon
    engine._last_load = time.monotonic()
    engine._reload_at = timezone.now() + timedelta(hours=1)
    asyncio.run(engine.tick())
    assert reloads == []
    engine._reload_at = timezone.now() - timedelta(seconds=1)
    asyncio.run(engine.tick())
    assert reloads == [True]
