"""The IVR console (/console/ivr/): pages render, forms write drafts, publish shows problems."""

from __future__ import annotations

import json

import pytest
from django_tenants.utils import tenant_context

from apps.accounts.choices import Role
from apps.telephony.choices import IvrFlowStatus
from apps.telephony.ivr.defaults import DEFAULT_FLOW_NAME
from apps.telephony.models import BusinessHours, HolidayOverride, IvrFlow, PhoneNumber, Queue
from apps.telephony.services import ivr as ivr_services
from tests.accounts.helpers import web_login


@pytest.fixture
def admin(acme):
    return web_login(acme, acme.admin_email)


def default_flow(acme) -> IvrFlow:
    with tenant_context(acme.tenant):
        return IvrFlow.objects.get(name=DEFAULT_FLOW_NAME)


def draft_graph(acme, flow: IvrFlow) -> dict:
    with tenant_context(acme.tenant):
        return ivr_services.flow_draft(flow).graph


def test_the_flow_list_shows_the_default_flow_and_numbers(acme, admin):
    response = admin.get("/console/ivr/")

    assert response.status_code == 200
    page = response.content.decode()
    assert DEFAULT_FLOW_NAME in page
    with tenant_context(acme.tenant):
        assert PhoneNumber.objects.first().number in page


def test_the_navigation_links_to_the_ivr_console(admin):
    assert 'href="/console/ivr/"' in admin.get("/").content.decode()


def test_supervisors_cannot_open_the_ivr_console(acme):
    acme.user(Role.SUPERVISOR, email="sup-ivr@acme.test")
    client = web_login(acme, "sup-ivr@acme.test")

    assert client.get("/console/ivr/").status_code == 403


def test_creating_a_flow_opens_its_editor(acme, admin):
    response = admin.post("/console/ivr/", {"new-name": "Support", "new-description": ""})

    with tenant_context(acme.tenant):
        flow = IvrFlow.objects.get(name="Support")
    assert response.status_code == 302
    assert response.url == f"/console/ivr/flows/{flow.pk}/"
    assert admin.get(response.url).status_code == 200


def test_the_editor_lists_every_node(acme, admin):
    flow = default_flow(acme)

    page = admin.get(f"/console/ivr/flows/{flow.pk}/").content.decode()

    for node_id in ("hours", "welcome", "menu", "enquiries", "agent", "voicemail", "survey"):
        assert f'id="node-{node_id}"' in page


def test_editing_a_node_of_a_published_flow_starts_a_draft(acme, admin):
    flow = default_flow(acme)
    url = f"/console/ivr/flows/{flow.pk}/nodes/welcome/"
    assert admin.get(url).status_code == 200

    response = admin.post(url, {"label": "Hello", "prompt": "New welcome", "next": "menu"})

    assert response.status_code == 302
    graph = draft_graph(acme, flow)
    assert graph["nodes"]["welcome"] == {"type": "play", "label": "Hello", "prompt": "New welcome", "next": "menu"}
    with tenant_context(acme.tenant):
        assert flow.published.graph["nodes"]["welcome"]["prompt"] != "New welcome"


def test_the_menu_form_saves_options_and_agent_keys(acme, admin):
    flow = default_flow(acme)
    data = {
        "prompt": "Press 1 or 0",
        "option_1": "enquiries",
        "option_0": "agent",
        "agent_options": ["0"],
        "timeout": "6",
        "retries": "1",
        "invalid": "agent",
        "no_input": "",
        "retry_prompt": "",
        "label": "",
    }

    response = admin.post(f"/console/ivr/flows/{flow.pk}/nodes/menu/", data)

    assert response.status_code == 302
    assert draft_graph(acme, flow)["nodes"]["menu"] == {
        "type": "menu",
        "prompt": "Press 1 or 0",
        "options": {"1": "enquiries", "0": "agent"},
        "timeout": 6,
        "retries": 1,
        "invalid": "agent",
        "agent_options": ["0"],
    }


def test_adding_and_removing_a_node(acme, admin):
    flow = default_flow(acme)

    added = admin.post(f"/console/ivr/flows/{flow.pk}/nodes/add/", {"add-node_id": "goodbye", "add-type": "hangup"})
    assert added.status_code == 302
    assert draft_graph(acme, flow)["nodes"]["goodbye"] == {"type": "hangup"}

    removed = admin.post(f"/console/ivr/flows/{flow.pk}/nodes/goodbye/remove/")
    assert removed.status_code == 302
    assert "goodbye" not in draft_graph(acme, flow)["nodes"]


def test_publishing_a_broken_draft_shows_the_problems(acme, admin):
    flow = default_flow(acme)
    broken = {"start": "welcome", "nodes": {"welcome": {"type": "play", "prompt": "Hi", "next": "gone"}}}
    admin.post(f"/console/ivr/flows/{flow.pk}/json/", {"json-graph": json.dumps(broken)})

    response = admin.post(f"/console/ivr/flows/{flow.pk}/publish/")

    assert response.status_code == 400
    page = response.content.decode()
    assert "nodes.welcome.next" in page
    assert "Node “gone” does not exist." in page
    with tenant_context(acme.tenant):
        assert flow.published.number == 1


def test_publishing_a_good_draft_retires_the_old_version(acme, admin):
    flow = default_flow(acme)
    admin.post(f"/console/ivr/flows/{flow.pk}/nodes/welcome/", {"prompt": "New welcome", "next": "menu"})

    response = admin.post(f"/console/ivr/flows/{flow.pk}/publish/")

    assert response.status_code == 302
    with tenant_context(acme.tenant):
        assert dict(flow.versions.values_list("number", "status")) == {
            1: IvrFlowStatus.RETIRED,
            2: IvrFlowStatus.PUBLISHED,
        }


def test_invalid_json_is_refused_and_nothing_is_saved(acme, admin):
    flow = default_flow(acme)

    response = admin.post(f"/console/ivr/flows/{flow.pk}/json/", {"json-graph": "{not json"})

    assert response.status_code == 400
    assert "Not valid JSON" in response.content.decode()
    with tenant_context(acme.tenant):
        assert ivr_services.flow_draft(flow) is None


def test_the_test_call_form_shows_the_path(acme, admin):
    flow = default_flow(acme)

    response = admin.post(
        f"/console/ivr/flows/{flow.pk}/test-call/",
        {"test-digits": "0 5", "test-at": "2025-10-09T12:00", "test-version": "1"},
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="test-result"' in page
    assert "<kbd>0</kbd>" in page
    assert "The caller asked for an agent." in page


def test_the_export_downloads_json(acme, admin):
    flow = default_flow(acme)

    response = admin.get(f"/console/ivr/flows/{flow.pk}/export/")

    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="ivr-flow-{flow.pk}-v1.json"'
    assert json.loads(response.content)["graph"]["start"] == "hours"


def test_importing_json_creates_a_flow(acme, admin):
    flow = default_flow(acme)
    document = admin.get(f"/console/ivr/flows/{flow.pk}/export/").content.decode()

    response = admin.post("/console/ivr/import/", {"import-document": document})

    assert response.status_code == 302
    with tenant_context(acme.tenant):
        assert IvrFlow.objects.filter(name=f"{DEFAULT_FLOW_NAME} (2)").exists()


def test_routing_a_number_to_a_queue(acme, admin):
    with tenant_context(acme.tenant):
        number = PhoneNumber.objects.first()
        queue = Queue.objects.get(code="general")

    response = admin.post(f"/console/ivr/numbers/{number.pk}/route/", {f"n{number.pk}-target": f"queue:{queue.pk}"})

    assert response.status_code == 302
    with tenant_context(acme.tenant):
        number.refresh_from_db()
        assert (number.queue_id, number.ivr_flow_id) == (queue.pk, None)


def test_creating_business_hours_from_text_intervals(acme, admin):
    data = {
        "name": "Late desk",
        "time_zone": "Asia/Shanghai",
        "follow_chinese_holidays": "on",
        "makeup_day_hours": "",
        "day_mon": "09:00-12:00, 13:00-21:00",
        "day_sat": "10:00-16:00",
    }

    response = admin.post("/console/ivr/hours/", data)

    assert response.status_code == 302
    with tenant_context(acme.tenant):
        hours = BusinessHours.objects.get(name="Late desk")
    assert hours.weekly["mon"] == [["09:00", "12:00"], ["13:00", "21:00"]]
    assert hours.weekly["sat"] == [["10:00", "16:00"]]
    assert hours.weekly["sun"] == []
    assert admin.get(response.url).status_code == 200


def test_bad_hours_text_is_shown_on_the_field(admin):
    response = admin.post("/console/ivr/hours/", {"name": "Bad", "time_zone": "Asia/Shanghai", "day_mon": "9 to 5"})

    assert response.status_code == 200
    assert "Write hours like 09:00-12:00, 13:00-18:00." in response.content.decode()


def test_adding_a_closing_override(acme, admin):
    with tenant_context(acme.tenant):
        hours = BusinessHours.objects.get(name="Default hours")

    response = admin.post(
        f"/console/ivr/hours/{hours.pk}/overrides/", {"override-date": "2025-12-24", "override-name": "Eve"}
    )

    assert response.status_code == 302
    with tenant_context(acme.tenant):
        override = HolidayOverride.objects.get(hours=hours)
    assert (str(override.date), override.is_open, override.name) == ("2025-12-24", False, "Eve")
