"""Bullseye queues in the routing console and the API: rings validated, saved, and handed to the engine."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from apps.telephony.engine.config import load_tenant_config
from apps.telephony.forms.routing import parse_rings, rings_text
from apps.telephony.models import Queue, Skill
from tests.accounts.helpers import web_login

RINGS = [
    {"min_level": 9, "after_seconds": 0},
    {"min_level": 6, "after_seconds": 20},
    {"min_level": 3, "after_seconds": 45},
]


def _general(world) -> Skill:
    with tenant_context(world.tenant):
        return Skill.objects.get(code="general")


def _create(world, **fields):
    payload = {"code": "bull", "name": "Bullseye", "strategy": "bullseye", **fields}
    return world.api(world.admin()).post("/api/v1/queues", payload, format="json")


def test_api_creates_a_bullseye_queue_and_the_engine_gets_its_rings(acme):
    general = _general(acme)
    response = _create(acme, bullseye_rings=RINGS, skills=[{"skill": general.pk, "min_level": 1}])
    assert response.status_code == 201, response.content
    assert response.json()["bullseye_rings"] == RINGS
    with tenant_context(acme.tenant):
        queue = Queue.objects.get(code="bull")
        assert queue.bullseye_rings == RINGS
        settings = load_tenant_config(acme.tenant, customers=False).queues[queue.pk]
    config = settings.acd_config()
    assert config.strategy == "bullseye"
    assert config.rings == ((9, 0.0), (6, 20.0), (3, 45.0))
    assert config.required == {general.pk: 1}


@pytest.mark.parametrize(
    ("rings", "message"),
    [
        ([{"min_level": 9, "after_seconds": 5}], "The first ring starts at once"),
        (
            [
                {"min_level": 9, "after_seconds": 0},
                {"min_level": 6, "after_seconds": 30},
                {"min_level": 3, "after_seconds": 30},
            ],
            "times ascending",
        ),
        ([{"min_level": 6, "after_seconds": 0}, {"min_level": 8, "after_seconds": 30}], "levels descending"),
        ([{"min_level": 11, "after_seconds": 0}], "Levels go from 1 to 10."),
        ([{"min_level": 10 - i, "after_seconds": 10 * i} for i in range(7)], "At most 6 rings."),
        ([], "needs its rings"),
    ],
)
def test_api_refuses_bad_rings_with_400_and_creates_nothing(acme, rings, message):
    general = _general(acme)
    response = _create(acme, bullseye_rings=rings, skills=[{"skill": general.pk, "min_level": 1}])
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "invalid"
    assert any(message in text for text in body["fields"]["bullseye_rings"]), body
    with tenant_context(acme.tenant):
        assert not Queue.objects.filter(code="bull").exists()


def test_a_bullseye_queue_needs_a_required_skill(acme):
    response = _create(acme, bullseye_rings=RINGS)
    assert response.status_code == 400
    assert "strategy" in response.json()["fields"]


def test_switching_an_existing_queue_to_bullseye_checks_its_rings(acme):
    general = _general(acme)
    api = acme.api(acme.admin())
    with tenant_context(acme.tenant):
        queue = Queue.objects.get(code="general")
        queue.queue_skills.update_or_create(skill=general, defaults={"min_level": 1})
    path = f"/api/v1/queues/{queue.pk}"
    assert api.patch(path, {"strategy": "bullseye"}, format="json").status_code == 400
    response = api.patch(path, {"strategy": "bullseye", "bullseye_rings": RINGS[:2]}, format="json")
    assert response.status_code == 200, response.content
    with tenant_context(acme.tenant):
        queue.refresh_from_db()
        assert (queue.strategy, queue.bullseye_rings) == ("bullseye", RINGS[:2])


def test_rings_text_round_trip_and_syntax_errors():
    assert parse_rings("9:0, 6:20；3：45\n1@60") == [(9, 0), (6, 20), (3, 45), (1, 60)]
    assert rings_text(RINGS) == "9:0, 6:20, 3:45"
    with pytest.raises(Exception, match="level:seconds"):
        parse_rings("9-0")


def _form(queue: Queue, general: Skill, **changes) -> dict:
    form = {
        name: getattr(queue, name)
        for name in (
            "code",
            "name",
            "strategy",
            "priority",
            "sl_threshold_seconds",
            "sl_target_percent",
            "max_wait_seconds",
            "ring_timeout_seconds",
            "wrapup_seconds",
            "short_abandon_seconds",
            "announce_interval_seconds",
            "callback_offer_after_seconds",
            "expand_after_seconds",
            "expand_step",
            "sticky_days",
            "sticky_wait_seconds",
        )
    }
    form[f"skill_{general.pk}"] = "1"
    form.update(changes)
    return form


def test_queue_edit_page_sets_rings_and_shows_field_errors_with_400(acme):
    general = _general(acme)
    admin = web_login(acme, acme.admin().email)
    with tenant_context(acme.tenant):
        queue = Queue.objects.get(code="general")
    url = f"/console/queues/{queue.pk}/"
    page = admin.get(url).content.decode()
    assert 'name="bullseye_rings"' in page and 'value="bullseye"' in page
    response = admin.post(url, _form(queue, general, strategy="bullseye", bullseye_rings="9:0, 9:20"))
    assert response.status_code == 400
    assert "levels descending" in response.content.decode()
    response = admin.post(url, _form(queue, general, strategy="bullseye", bullseye_rings="9 then 6"))
    assert response.status_code == 400
    assert "level:seconds" in response.content.decode()
    with tenant_context(acme.tenant):
        queue.refresh_from_db()
        assert queue.strategy != "bullseye" and queue.bullseye_rings == []
    response = admin.post(url, _form(queue, general, strategy="bullseye", bullseye_rings="9:0, 6:20, 3:45"))
    assert response.status_code == 302, response.content.decode()[:3000]
    with tenant_context(acme.tenant):
        queue.refresh_from_db()
        assert (queue.strategy, queue.bullseye_rings) == ("bullseye", RINGS)
    assert 'value="9:0, 6:20, 3:45"' in admin.get(url).content.decode()


def test_supervisor_may_edit_rings_an_agent_may_not(acme):
    general = _general(acme)
    with tenant_context(acme.tenant):
        queue = Queue.objects.get(code="general")
    url = f"/console/queues/{queue.pk}/"
    agent = web_login(acme, acme.user("agent").email)
    assert agent.post(url, _form(queue, general, strategy="bullseye", bullseye_rings="9:0")).status_code == 403
    supervisor = web_login(acme, acme.user("supervisor").email)
    assert supervisor.post(url, _form(queue, general, strategy="bullseye", bullseye_rings="9:0")).status_code == 302


# --- the engine on a bullseye queue: the ring on the offer, the timeline and the queue page ---------------


def test_engine_offers_in_the_ring_reached_and_the_queue_page_counts_it(acme, django_capture_on_commit_callbacks):
    from apps.telephony import agent_states
    from apps.telephony.engine.clock import VirtualClock
    from apps.telephony.engine.config import AgentSettings, NumberSettings, QueueSettings
    from apps.telephony.engine.dbstore import DbStore
    from apps.telephony.engine.drivers.sim import CallerBehaviour, Duration, SimDriver, SimNumber
    from apps.telephony.models import Call, CallEvent, PhoneNumber, Trunk
    from apps.telephony.selectors.bullseye import answered_by_ring
    from tests.telephony.agent_helpers import make_agent
    from tests.telephony.harness import make_controller

    general = _general(acme)
    with tenant_context(acme.tenant):
        trunk = Trunk.objects.create(name="bullseye test", channels=10)
        queue = Queue.objects.create(code="bull", name="Bullseye", strategy="bullseye", bullseye_rings=RINGS[:2])
        queue.queue_skills.create(skill=general, min_level=1)
        number = PhoneNumber.objects.create(number="4009990011", trunk=trunk, queue=queue)
    expert, junior = make_agent(acme, state="ready").agent, make_agent(acme, state="ready").agent
    with tenant_context(acme.tenant), django_capture_on_commit_callbacks(execute=True):
        clock = VirtualClock(epoch=timezone.now() - timedelta(hours=1))  # within the page's 7 days
        driver = SimDriver(clock, seed=1, caller=CallerBehaviour(talk_with_human=Duration(600, "fixed")))
        driver.set_trunk(trunk.pk, trunk.channels)
        store = DbStore(acme.tenant, clock)
        settings = QueueSettings.from_model(queue, {general.pk: 1})
        controller = make_controller(
            clock=clock,
            driver=driver,
            store=store,
            queues=[settings],
            numbers=[NumberSettings(number_id=number.pk, number=number.number, trunk_id=trunk.pk, queue_id=queue.pk)],
        )
        controller.set_agent(AgentSettings(agent_id=expert.pk, name="Expert", skills={general.pk: 10}))  # offline
        controller.set_agent(
            AgentSettings(agent_id=junior.pk, name="Junior", skills={general.pk: 7}, state=agent_states.READY)
        )
        uid = driver.inject(
            SimNumber(number_id=number.pk, number=number.number, trunk_id=trunk.pk), caller="13800000099"
        )
        clock.run_until(19)
        assert not [m for _t, m in store.published if m["type"] == "call.offer"]  # ring 1 only: nobody at 9+
        clock.run_until(22)
        [offer] = [m for _t, m in store.published if m["type"] == "call.offer"]
        assert offer["ring"] == 2
        controller.handle_message({"type": "call.answer", "agent_id": junior.pk, "call_uid": uid})
        clock.run_until(25)
        call = Call.objects.get(uid=uid)
        assert call.agent_id == junior.pk and 20 <= (call.answered_at - call.queued_at).total_seconds() < 25
        event = CallEvent.objects.get(call=call, kind="offered")
        assert (event.agent_id, event.data["ring"]) == (junior.pk, 2)
        assert answered_by_ring(queue) == [{"ring": 2, "answered": 1}]
    admin = web_login(acme, acme.admin().email)
    page = admin.get(f"/console/queues/{queue.pk}/").content.decode()
    assert 'id="bullseye-rings"' in page
    assert '<td class="num">2</td><td class="num">1</td>' in page


def test_routing_demo_is_idempotent_and_keeps_edits(acme):
    from apps.telephony.services.demo import _queues, _skills
    from apps.telephony.services.routing_demo import BILLING_RINGS, SCRIPTS, routing_demo_ensure

    with tenant_context(acme.tenant):
        _queues(_skills())
    assert routing_demo_ensure(acme.tenant.schema_name) == 2
    with tenant_context(acme.tenant):
        billing = Queue.objects.get(code="billing")
        assert (billing.strategy, billing.bullseye_rings, billing.script) == (
            "bullseye",
            BILLING_RINGS,
            SCRIPTS["billing"],
        )
        Queue.objects.filter(code="general").update(script="Our own words")
    assert routing_demo_ensure(acme.tenant.schema_name) == 0
    with tenant_context(acme.tenant):
        assert Queue.objects.get(code="general").script == "Our own words"


@pytest.mark.parametrize(
    "rings",
    ["9:0", [{"min_level": "nine", "after_seconds": 0}], [{"min_level": 9}], [[9, 0]]],
)
def test_api_refuses_malformed_rings_with_field_errors(acme, rings):
    general = _general(acme)
    response = _create(acme, bullseye_rings=rings, skills=[{"skill": general.pk, "min_level": 1}])
    assert response.status_code == 400, response.content
    assert "bullseye_rings" in response.json()["fields"]
    with tenant_context(acme.tenant):
        assert not Queue.objects.filter(code="bull").exists()


def test_queue_list_shows_a_bullseye_queues_rings(acme):
    general = _general(acme)
    assert _create(acme, bullseye_rings=RINGS, skills=[{"skill": general.pk, "min_level": 1}]).status_code == 201
    admin = web_login(acme, acme.admin().email)
    assert "Bullseye (rings by skill level): 9:0, 6:20, 3:45" in admin.get("/console/queues/").content.decode()


def test_another_tenants_admin_cannot_touch_the_queue(acme, globex):
    general = _general(acme)
    created = _create(acme, bullseye_rings=RINGS, skills=[{"skill": general.pk, "min_level": 1}]).json()
    token = globex.token(globex.admin())
    api = acme.api()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    response = api.patch(f"/api/v1/queues/{created['id']}", {"bullseye_rings": RINGS[:1]}, format="json")
    assert response.status_code in (401, 403)
    with tenant_context(acme.tenant):
        assert Queue.objects.get(pk=created["id"]).bullseye_rings == RINGS
