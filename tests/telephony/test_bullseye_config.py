"""Bullseye queues in the routing console and the API: rings validated, saved, and handed to the engine."""

from __future__ import annotations

import pytest
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
