"""/api/v1/ivr-flows, /business-hours and /ivr-routes: contracts, errors, roles, outsiders."""

from __future__ import annotations

import pytest
from django_tenants.utils import tenant_context

from apps.accounts.choices import Role
from apps.telephony.ivr.defaults import DEFAULT_FLOW_NAME
from apps.telephony.models import IvrFlow, PhoneNumber, Queue

WORKDAY = [["09:00", "18:00"]]


@pytest.fixture
def admin_api(acme):
    return acme.api(acme.admin())


@pytest.fixture
def supervisor_api(acme):
    return acme.api(acme.user(Role.SUPERVISOR))


@pytest.fixture
def queue_id(acme):
    with tenant_context(acme.tenant):
        return Queue.objects.create(code="api-test", name="API test").pk


def menu_graph(queue_id: int) -> dict:
    return {
        "start": "menu",
        "nodes": {
            "menu": {"type": "menu", "prompt": "Press 1", "options": {"1": "sales"}, "retries": 0},
            "sales": {"type": "queue", "queue": queue_id},
        },
    }


def create_flow(api, name="Support", graph=None) -> dict:
    body = {"name": name}
    if graph is not None:
        body["graph"] = graph
    response = api.post("/api/v1/ivr-flows", body, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def published(api, queue_id, name="Support") -> dict:
    flow = create_flow(api, name, menu_graph(queue_id))
    response = api.post(f"/api/v1/ivr-flows/{flow['id']}/publish")
    assert response.status_code == 200, response.json()
    return flow


# --- flows -------------------------------------------------------------------------------------------


def test_admin_lists_flows_with_their_versions(admin_api):
    response = admin_api.get("/api/v1/ivr-flows")

    assert response.status_code == 200
    default = next(row for row in response.json()["results"] if row["name"] == DEFAULT_FLOW_NAME)
    assert default["published_version"] == 1
    assert default["draft_version"] is None
    assert len(default["numbers"]) == 1


def test_create_answers_the_flow_with_draft_1(admin_api):
    flow = create_flow(admin_api)

    assert flow["name"] == "Support"
    assert flow["draft_version"] == 1
    assert flow["published_version"] is None


def test_create_refuses_a_taken_name(admin_api):
    create_flow(admin_api)

    response = admin_api.post("/api/v1/ivr-flows", {"name": "SUPPORT"}, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "duplicate"
    assert "name" in response.json()["fields"]


def test_rename_a_flow(admin_api):
    flow = create_flow(admin_api)

    response = admin_api.patch(f"/api/v1/ivr-flows/{flow['id']}", {"name": "Help desk"}, format="json")

    assert response.status_code == 200
    assert response.json()["name"] == "Help desk"


def test_put_draft_saves_the_graph(admin_api, queue_id):
    flow = create_flow(admin_api)

    response = admin_api.put(f"/api/v1/ivr-flows/{flow['id']}/draft", {"graph": menu_graph(queue_id)}, format="json")

    assert response.status_code == 200
    assert response.json()["number"] == 1
    assert response.json()["status"] == "draft"
    assert admin_api.get(f"/api/v1/ivr-flows/{flow['id']}/draft").json()["graph"] == menu_graph(queue_id)


def test_put_draft_refuses_a_graph_that_is_not_an_object(admin_api):
    flow = create_flow(admin_api)

    response = admin_api.put(f"/api/v1/ivr-flows/{flow['id']}/draft", {"graph": [1, 2]}, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


def test_publish_answers_400_with_the_validators_problems(admin_api):
    graph = {"start": "menu", "nodes": {"menu": {"type": "menu", "prompt": "Press 1", "options": {"1": "gone"}}}}
    flow = create_flow(admin_api, graph=graph)

    response = admin_api.post(f"/api/v1/ivr-flows/{flow['id']}/publish")

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid_flow"
    assert body["fields"] == {"nodes.menu.options.1": ["Node “gone” does not exist."]}


def test_publish_answers_the_published_version(admin_api, queue_id):
    flow = create_flow(admin_api, graph=menu_graph(queue_id))

    response = admin_api.post(f"/api/v1/ivr-flows/{flow['id']}/publish")

    assert response.status_code == 200
    assert response.json()["version"]["status"] == "published"
    assert response.json()["version"]["number"] == 1
    assert response.json()["warnings"] == {}


def test_versions_show_the_history(admin_api, queue_id):
    flow = published(admin_api, queue_id)
    admin_api.put(f"/api/v1/ivr-flows/{flow['id']}/draft", {"graph": menu_graph(queue_id)}, format="json")
    admin_api.post(f"/api/v1/ivr-flows/{flow['id']}/publish")

    response = admin_api.get(f"/api/v1/ivr-flows/{flow['id']}/versions")

    assert response.status_code == 200
    assert [(v["number"], v["status"]) for v in response.json()] == [(2, "published"), (1, "retired")]


def test_writing_a_published_version_answers_409_immutable(admin_api, queue_id):
    flow = published(admin_api, queue_id)

    response = admin_api.put(
        f"/api/v1/ivr-flows/{flow['id']}/versions/1", {"graph": {"start": "x", "nodes": {}}}, format="json"
    )

    assert response.status_code == 409
    assert response.json()["code"] == "immutable"
    assert admin_api.get(f"/api/v1/ivr-flows/{flow['id']}/versions/1").json()["graph"] == menu_graph(queue_id)


def test_get_draft_without_one_answers_404(admin_api, queue_id):
    flow = published(admin_api, queue_id)

    response = admin_api.get(f"/api/v1/ivr-flows/{flow['id']}/draft")

    assert response.status_code == 404
    assert response.json()["code"] == "no_draft"


def test_validate_reports_without_publishing(admin_api):
    flow = create_flow(admin_api)
    graph = {"start": "a", "nodes": {"a": {"type": "play", "prompt": "A", "next": "a"}}}

    response = admin_api.post(f"/api/v1/ivr-flows/{flow['id']}/validate", {"graph": graph}, format="json")

    assert response.status_code == 200
    assert response.json()["ok"] is False
    assert list(response.json()["errors"]) == ["nodes.a"]


def test_export_then_import_creates_a_copy(admin_api, queue_id):
    flow = published(admin_api, queue_id)
    document = admin_api.get(f"/api/v1/ivr-flows/{flow['id']}/export").json()

    response = admin_api.post("/api/v1/ivr-flows/import", document, format="json")

    assert response.status_code == 201
    assert response.json()["graph"] == menu_graph(queue_id)
    assert response.json()["status"] == "draft"
    copy = admin_api.get(f"/api/v1/ivr-flows/{response.json()['flow']}").json()
    assert copy["name"] == "Support (2)"


def test_import_without_a_graph_answers_400(admin_api):
    response = admin_api.post("/api/v1/ivr-flows/import", {"name": "x"}, format="json")

    assert response.status_code == 400
    assert "graph" in response.json()["fields"]


def test_test_call_answers_the_path(admin_api, queue_id):
    flow = published(admin_api, queue_id)

    response = admin_api.post(
        f"/api/v1/ivr-flows/{flow['id']}/test-call",
        {"digits": ["1"], "at": "2025-10-09T12:00:00+08:00"},
        format="json",
    )

    assert response.status_code == 200
    body = response.json()
    assert body["version"] == 1
    assert [step["node"] for step in body["path"]] == ["menu", "sales"]
    assert body["result"] == {"type": "queue", "node": "sales", "queue_id": queue_id, "after_call_node": None}
    assert body["finished"] is True


def test_test_call_of_the_default_flow_on_national_day(admin_api):
    flows = admin_api.get("/api/v1/ivr-flows").json()["results"]
    default = next(row for row in flows if row["name"] == DEFAULT_FLOW_NAME)

    response = admin_api.post(
        f"/api/v1/ivr-flows/{default['id']}/test-call", {"at": "2025-10-01T10:00:00+08:00"}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["path"][0] == {"node": "hours", "type": "hours", "outcome": "holiday"}
    assert response.json()["result"]["type"] == "voicemail"


def test_test_call_refuses_other_keys(admin_api, queue_id):
    flow = published(admin_api, queue_id)

    response = admin_api.post(f"/api/v1/ivr-flows/{flow['id']}/test-call", {"digits": ["1a"]}, format="json")

    assert response.status_code == 400
    assert "digits" in response.json()["fields"]


def test_delete_a_flow_no_number_uses(admin_api):
    flow = create_flow(admin_api)

    assert admin_api.delete(f"/api/v1/ivr-flows/{flow['id']}").status_code == 204
    assert admin_api.get(f"/api/v1/ivr-flows/{flow['id']}").status_code == 404


def test_delete_a_flow_a_number_routes_to_answers_400(admin_api):
    flows = admin_api.get("/api/v1/ivr-flows").json()["results"]
    default = next(row for row in flows if row["name"] == DEFAULT_FLOW_NAME)

    response = admin_api.delete(f"/api/v1/ivr-flows/{default['id']}")

    assert response.status_code == 400
    assert response.json()["code"] == "in_use"


# --- business hours ----------------------------------------------------------------------------------


def test_create_business_hours(admin_api):
    response = admin_api.post(
        "/api/v1/business-hours",
        {"name": "Weekend desk", "weekly": {"sat": WORKDAY, "sun": WORKDAY}, "follow_chinese_holidays": False},
        format="json",
    )

    assert response.status_code == 201
    body = response.json()
    assert body["weekly"] == {"sat": WORKDAY, "sun": WORKDAY}
    assert body["time_zone"] == "Asia/Shanghai"
    assert body["follow_chinese_holidays"] is False
    assert body["overrides"] == []


def test_bad_business_hours_answer_400_by_day(admin_api):
    response = admin_api.post(
        "/api/v1/business-hours", {"name": "Bad", "weekly": {"mon": [["18:00", "09:00"]]}}, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["weekly.mon"]


def test_update_business_hours(admin_api):
    hours = admin_api.post("/api/v1/business-hours", {"name": "Desk"}, format="json").json()

    response = admin_api.patch(
        f"/api/v1/business-hours/{hours['id']}", {"makeup_day_hours": [["10:00", "16:00"]]}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["makeup_day_hours"] == [["10:00", "16:00"]]


def test_overrides_add_list_and_delete(admin_api):
    hours = admin_api.post("/api/v1/business-hours", {"name": "Desk"}, format="json").json()
    url = f"/api/v1/business-hours/{hours['id']}/overrides"

    created = admin_api.post(url, {"date": "2025-12-24", "name": "Eve"}, format="json")
    listed = admin_api.get(url)
    deleted = admin_api.delete(f"{url}/{created.json()['id']}")

    assert created.status_code == 201
    assert created.json() == {
        "id": created.json()["id"],
        "date": "2025-12-24",
        "is_open": False,
        "open_hours": [],
        "name": "Eve",
    }
    assert [o["date"] for o in listed.json()] == ["2025-12-24"]
    assert deleted.status_code == 204
    assert admin_api.get(url).json() == []


def test_status_tells_a_chinese_holiday_from_a_make_up_workday(admin_api):
    hours = admin_api.post("/api/v1/business-hours", {"name": "Desk"}, format="json").json()
    url = f"/api/v1/business-hours/{hours['id']}/status"

    holiday = admin_api.get(url, {"at": "2025-10-01T10:00:00+08:00"}).json()
    makeup = admin_api.get(url, {"at": "2025-09-28T10:00:00+08:00"}).json()

    assert (holiday["state"], holiday["day_kind"], holiday["day_name"]) == ("holiday", "public_holiday", "National Day")
    assert (makeup["state"], makeup["day_kind"]) == ("open", "makeup_workday")


def test_business_hours_a_flow_uses_cannot_be_deleted(admin_api):
    rows = admin_api.get("/api/v1/business-hours").json()["results"]
    default = next(row for row in rows if row["name"] == "Default hours")

    response = admin_api.delete(f"/api/v1/business-hours/{default['id']}")

    assert response.status_code == 400
    assert response.json()["code"] == "in_use"


# --- routes ------------------------------------------------------------------------------------------


def number_id(acme) -> int:
    with tenant_context(acme.tenant):
        return PhoneNumber.objects.order_by("pk").first().pk


def test_route_a_number_to_a_flow(acme, admin_api, queue_id):
    flow = published(admin_api, queue_id)

    response = admin_api.post(
        "/api/v1/ivr-routes", {"number_id": number_id(acme), "ivr_flow_id": flow["id"], "queue_id": None}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["ivr_flow_id"] == flow["id"]
    assert response.json()["queue_id"] is None
    with tenant_context(acme.tenant):
        assert PhoneNumber.objects.get(pk=number_id(acme)).ivr_flow_id == flow["id"]


def test_route_a_number_to_a_queue(acme, admin_api, queue_id):
    response = admin_api.post("/api/v1/ivr-routes", {"number_id": number_id(acme), "queue_id": queue_id}, format="json")

    assert response.status_code == 200
    assert response.json()["queue_id"] == queue_id
    assert response.json()["ivr_flow_id"] is None


def test_route_to_an_unpublished_flow_answers_400(acme, admin_api):
    flow = create_flow(admin_api)

    response = admin_api.post(
        "/api/v1/ivr-routes", {"number_id": number_id(acme), "ivr_flow_id": flow["id"]}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["code"] == "not_published"


def test_route_of_an_unknown_number_answers_400(admin_api):
    response = admin_api.post("/api/v1/ivr-routes", {"number_id": 987654}, format="json")

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["number_id"]


def test_routes_list_every_number(acme, admin_api):
    response = admin_api.get("/api/v1/ivr-routes")

    assert response.status_code == 200
    assert [row["number_id"] for row in response.json()] == [number_id(acme)]


# --- roles and outsiders -----------------------------------------------------------------------------


def test_supervisors_read_flows_and_hours(supervisor_api):
    assert supervisor_api.get("/api/v1/ivr-flows").status_code == 200
    assert supervisor_api.get("/api/v1/business-hours").status_code == 200
    assert supervisor_api.get("/api/v1/ivr-routes").status_code == 200


def test_supervisors_cannot_change_flows(supervisor_api, acme):
    with tenant_context(acme.tenant):
        flow_id = IvrFlow.objects.get(name=DEFAULT_FLOW_NAME).pk

    assert supervisor_api.post("/api/v1/ivr-flows", {"name": "X"}, format="json").status_code == 403
    assert supervisor_api.post(f"/api/v1/ivr-flows/{flow_id}/publish").status_code == 403
    assert supervisor_api.put(f"/api/v1/ivr-flows/{flow_id}/draft", {"graph": {}}, format="json").status_code == 403
    assert supervisor_api.post("/api/v1/business-hours", {"name": "X"}, format="json").status_code == 403
    assert supervisor_api.post("/api/v1/ivr-routes", {"number_id": 1}, format="json").status_code == 403


@pytest.mark.parametrize("url", ["/api/v1/ivr-flows", "/api/v1/business-hours", "/api/v1/ivr-routes"])
def test_agents_are_refused(acme, url):
    assert acme.api(acme.user(Role.AGENT)).get(url).status_code == 403


@pytest.mark.parametrize("url", ["/api/v1/ivr-flows", "/api/v1/business-hours", "/api/v1/ivr-routes"])
def test_anonymous_callers_are_refused(acme, url):
    assert acme.api().get(url).status_code in (401, 403)


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/api/v1/ivr-flows"),
        ("post", "/api/v1/ivr-flows"),
        ("get", "/api/v1/business-hours"),
        ("get", "/api/v1/ivr-routes"),
        ("post", "/api/v1/ivr-routes"),
    ],
)
def test_another_tenants_admin_is_refused(acme, globex, method, url):
    outsider = acme.api()
    outsider.credentials(HTTP_AUTHORIZATION=f"Token {globex.token(globex.admin())}")

    response = getattr(outsider, method)(url, {}, format="json")

    assert response.status_code in (401, 403)
