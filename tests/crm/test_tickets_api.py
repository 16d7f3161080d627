"""The tickets API contract (issue 17 item 5, docs/api.md "Tickets"): create → 201 with the due
times, one POST per step, 400 ``invalid_state`` for an illegal one, the list's filters, the
categories with their targets, roles, and another tenant never seeing a ticket."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import tenant_context

from apps.accounts.models import Team
from apps.crm import paging
from apps.crm.models import Ticket
from apps.crm.services import department_create, ticket_category_create, tickets_sla_sweep

VISIT = {"solved": True, "attitude": "average", "charged": False, "score": 7, "suggestion": "Call earlier"}


@pytest.fixture
def setup(acme):
    with tenant_context(acme.tenant):
        team = Team.objects.create(name="Billing team")
        agent = acme.user("agent")
        team.members.add(agent)
        category = ticket_category_create(
            actor=None,
            name="Billing",
            targets=[
                {"priority": "urgent", "first_response_minutes": 15, "resolution_minutes": 120},
                {"priority": "normal", "first_response_minutes": 60, "resolution_minutes": 540},
            ],
        )
        department = department_create(actor=None, name="Billing", team=team.pk)
    return {
        "acme": acme,
        "category": category,
        "department": department,
        "agent": agent,
        "supervisor": acme.user("supervisor"),
        "admin": acme.admin(),
    }


def create(api, category_row, **extra):
    body = {"title": "Charged twice", "description": "Card charged twice in November.", "category": category_row.pk}
    return api.post("/api/v1/tickets", {**body, **extra}, format="json")


def test_create_answers_201_with_the_contract_fields(setup):
    api = setup["acme"].api(setup["agent"])
    response = create(api, setup["category"], priority="urgent", received_at="2026-11-10T10:00:00+08:00")
    assert response.status_code == 201, response.content
    body = response.json()
    assert {"id", "status", "first_response_due", "resolution_due"} <= set(body)
    assert body["status"] == "received"
    assert body["priority"] == "urgent"
    # 15 and 120 business minutes from Tuesday 10:00 in Shanghai.
    assert dt.datetime.fromisoformat(body["first_response_due"]) == dt.datetime.fromisoformat(
        "2026-11-10T10:15:00+08:00"
    )
    assert dt.datetime.fromisoformat(body["resolution_due"]) == dt.datetime.fromisoformat("2026-11-10T12:00:00+08:00")
    assert body["number"].startswith("T-2026-")


def test_create_defaults_to_now_and_normal_priority(setup):
    response = create(setup["acme"].api(setup["agent"]), setup["category"])
    assert response.status_code == 201
    body = response.json()
    assert body["priority"] == "normal"
    received = dt.datetime.fromisoformat(body["received_at"])
    assert abs((received - dt.datetime.now(dt.UTC)).total_seconds()) < 300


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"title": ""}, "title"),
        ({"category": 999999}, "category"),
        ({"priority": "asap"}, "priority"),
        ({"customer": 999999}, "customer"),
        ({"call": "nope"}, "call"),
        ({"received_at": "yesterday"}, "received_at"),
    ],
)
def test_create_refuses_bad_input_with_field_messages(setup, extra, field):
    response = create(setup["acme"].api(setup["agent"]), setup["category"], **extra)
    assert response.status_code == 400
    assert field in response.json()["fields"]
    with tenant_context(setup["acme"].tenant):
        assert not Ticket.objects.exists()


def test_the_life_cycle_over_the_api(setup):
    acme, supervisor, agent = setup["acme"], setup["supervisor"], setup["agent"]
    boss, worker = acme.api(supervisor), acme.api(agent)
    ticket = create(worker, setup["category"]).json()
    url = f"/api/v1/tickets/{ticket['id']}"

    response = boss.post(f"{url}/assign", {"department": setup["department"].pk, "assignee": agent.pk}, format="json")
    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["assignee"]) == ("assigned", agent.pk)
    assert boss.post(f"{url}/supervise", {"note": "VIP"}, format="json").json()["status"] == "supervised"
    followed = worker.post(f"{url}/follow-ups", {"body": "Refund requested", "public": True}, format="json")
    assert followed.status_code == 200
    assert followed.json()["status"] == "in_progress"
    assert followed.json()["first_response_at"] is not None
    note = worker.post(f"{url}/notes", {"body": "Bank reference 123"}, format="json")
    assert note.status_code == 201 and note.json()["kind"] == "note"
    assert worker.post(f"{url}/resolve", {"resolution": "Refunded"}, format="json").json()["status"] == "resolved"
    visited = boss.post(f"{url}/visit", VISIT, format="json")
    assert visited.status_code == 200
    assert visited.json()["status"] == "closed"
    answers = visited.json()["visits"][0]
    assert {key: answers[key] for key in VISIT} == VISIT
    assert answers["visited_by"] == supervisor.pk
    reopened = boss.post(f"{url}/reopen", {"reason": "Not refunded after all"}, format="json")
    assert (reopened.status_code, reopened.json()["status"], reopened.json()["reopen_count"]) == (200, "in_progress", 1)

    detail = worker.get(url).json()
    assert [event["kind"] for event in detail["events"]] == [
        "created",
        "assigned",
        "supervised",
        "follow_up",
        "note",
        "resolved",
        "visited",
        "closed",
        "reopened",
    ]
    assert [note["public"] for note in detail["notes"]] == [True, False]
    assert detail["actions"] == ["follow_up", "resolve", "note"]


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("visit", VISIT),
        ("reopen", {}),
        ("close", {}),
    ],
)
def test_an_illegal_step_is_400_invalid_state(setup, path, body):
    api = setup["acme"].api(setup["supervisor"])
    ticket = create(api, setup["category"]).json()
    response = api.post(f"/api/v1/tickets/{ticket['id']}/{path}", body, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_state"
    assert api.get(f"/api/v1/tickets/{ticket['id']}").json()["status"] == "received"


def test_steps_after_closing_are_400_invalid_state(setup):
    api = setup["acme"].api(setup["supervisor"])
    ticket = create(api, setup["category"]).json()
    url = f"/api/v1/tickets/{ticket['id']}"
    api.post(f"{url}/resolve", {}, format="json")
    api.post(f"{url}/close", {}, format="json")
    for path, body in (
        ("assign", {"assignee": setup["agent"].pk}),
        ("supervise", {}),
        ("follow-ups", {"body": "x"}),
        ("resolve", {}),
        ("visit", VISIT),
        ("close", {}),
    ):
        response = api.post(f"{url}/{path}", body, format="json")
        assert (response.status_code, response.json()["code"]) == (400, "invalid_state"), path
    assert api.patch(url, {"priority": "urgent"}, format="json").json()["code"] == "invalid_state"


def test_visit_answers_are_checked(setup):
    api = setup["acme"].api(setup["supervisor"])
    ticket = create(api, setup["category"]).json()
    url = f"/api/v1/tickets/{ticket['id']}"
    api.post(f"{url}/resolve", {}, format="json")
    response = api.post(f"{url}/visit", {**VISIT, "score": 11, "attitude": "angry"}, format="json")
    assert response.status_code == 400
    assert {"score", "attitude"} <= set(response.json()["fields"])
    assert api.get(url).json()["status"] == "resolved"


def test_roles(setup):
    acme = setup["acme"]
    ticket = create(acme.api(setup["supervisor"]), setup["category"]).json()
    url = f"/api/v1/tickets/{ticket['id']}"
    agent_api, qa_api, trainer_api = acme.api(setup["agent"]), acme.api(acme.user("qa")), acme.api(acme.user("trainer"))
    # An agent does not see another's ticket that is not with their department …
    assert agent_api.get(url).status_code == 404
    assert agent_api.post(f"{url}/follow-ups", {"body": "x"}, format="json").status_code == 404
    # … and may not assign even a ticket they see.
    mine = create(agent_api, setup["category"]).json()
    refused = agent_api.post(f"/api/v1/tickets/{mine['id']}/assign", {"assignee": setup["agent"].pk}, format="json")
    assert (refused.status_code, refused.json()["code"]) == (403, "forbidden")
    # QA reads everything, creates nothing; a trainer has no tickets at all.
    assert qa_api.get(url).status_code == 200
    assert create(qa_api, setup["category"]).status_code == 403
    assert trainer_api.get("/api/v1/tickets").status_code == 403
    assert acme.api().get("/api/v1/tickets").status_code in (401, 403)


def test_the_list_filters_by_status_assignee_and_breached(setup):
    acme, agent = setup["acme"], setup["agent"]
    api = acme.api(setup["supervisor"])
    received = create(api, setup["category"], title="New").json()
    assigned = create(api, setup["category"], title="Assigned").json()
    api.post(f"/api/v1/tickets/{assigned['id']}/assign", {"assignee": agent.pk}, format="json")
    late = create(api, setup["category"], title="Late", received_at="2026-11-10T10:00:00+08:00").json()
    with tenant_context(acme.tenant):
        tickets_sla_sweep(now=dt.datetime.fromisoformat("2026-11-10T11:01:00+08:00"))

    def ids(query: str) -> list[int]:
        response = api.get(f"/api/v1/tickets?{query}")
        assert response.status_code == 200, response.content
        assert {"count", "results"} <= set(response.json())
        return [row["id"] for row in response.json()["results"]]

    assert ids("") == [assigned["id"], received["id"], late["id"]]  # newest received first
    assert ids("status=assigned") == [assigned["id"]]
    assert ids("status=supervised") == [late["id"]]  # supervised automatically on the breach
    assert set(ids("status=open")) == {received["id"], assigned["id"], late["id"]}
    assert ids(f"assignee={agent.pk}") == [assigned["id"]]
    assert ids("assignee=none") == [received["id"], late["id"]]
    assert ids("breached=true") == [late["id"]]
    assert set(ids("breached=false")) == {received["id"], assigned["id"]}
    assert ids("due=overdue") == [late["id"]]
    assert ids(f"q={late['number']}") == [late["id"]]
    assert acme.api(agent).get("/api/v1/tickets?assignee=me").json()["results"][0]["id"] == assigned["id"]
    assert api.get("/api/v1/tickets?status=lost").status_code == 400


def test_categories_list_their_targets_in_business_minutes(setup):
    acme = setup["acme"]
    response = acme.api(setup["agent"]).get("/api/v1/ticket-categories")
    assert response.status_code == 200
    billing = next(row for row in response.json() if row["name"] == "Billing")
    assert billing["targets"][-1] == {"priority": "urgent", "first_response_minutes": 15, "resolution_minutes": 120}
    assert [row["priority"] for row in billing["targets"]] == ["low", "normal", "high", "urgent"]
    assert {"priority": "normal", "first_response_minutes": 60, "resolution_minutes": 540} in billing["targets"]


def test_administrators_set_categories_and_targets(setup):
    acme = setup["acme"]
    admin = acme.api(setup["admin"])
    created = admin.post(
        "/api/v1/ticket-categories",
        {
            "name": "Complaints desk",
            "targets": [{"priority": "high", "first_response_minutes": 20, "resolution_minutes": 200}],
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    targets = {row["priority"]: row for row in created.json()["targets"]}
    assert len(targets) == 4 and targets["high"]["resolution_minutes"] == 200
    bad = admin.patch(
        f"/api/v1/ticket-categories/{created.json()['id']}",
        {"targets": [{"priority": "high", "first_response_minutes": 30, "resolution_minutes": 10}]},
        format="json",
    )
    assert bad.status_code == 400
    assert "targets.0.resolution_minutes" in bad.json()["fields"]
    refused = acme.api(setup["supervisor"]).post("/api/v1/ticket-categories", {"name": "Nope"}, format="json")
    assert refused.status_code == 403


def test_files_go_up_and_come_back(setup):
    api = setup["acme"].api(setup["agent"])
    ticket = create(api, setup["category"]).json()
    upload = SimpleUploadedFile("receipt.pdf", b"%PDF-1.4 test", content_type="application/pdf")
    response = api.post(f"/api/v1/tickets/{ticket['id']}/attachments", {"file": upload}, format="multipart")
    assert response.status_code == 201, response.content
    download = api.get(f"/api/v1/tickets/{ticket['id']}/attachments/{response.json()['id']}")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"%PDF-1.4 test"


def test_another_tenant_never_sees_a_ticket(setup, globex):
    ticket = create(setup["acme"].api(setup["supervisor"]), setup["category"]).json()
    stranger = globex.api(globex.admin())
    assert stranger.get("/api/v1/tickets").json()["count"] == 0
    assert stranger.get(f"/api/v1/tickets/{ticket['id']}").status_code == 404
    assert stranger.post(f"/api/v1/tickets/{ticket['id']}/resolve", {}, format="json").status_code == 404
    # acme's token on globex's host is no credential there.
    token = setup["acme"].token(setup["supervisor"])
    foreign = globex.api()
    foreign.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert foreign.get("/api/v1/tickets").status_code in (401, 403)


def test_long_lists_count_exactly_up_to_the_limit_then_estimate(setup, monkeypatch):
    api = setup["acme"].api(setup["supervisor"])
    for _ in range(5):
        create(api, setup["category"])
    exact = api.get("/api/v1/tickets").json()
    assert (exact["count"], exact["count_is_estimate"]) == (5, False)
    monkeypatch.setattr(paging, "EXACT_COUNT_LIMIT", 3)
    estimated = api.get("/api/v1/tickets?page_size=2").json()
    assert estimated["count_is_estimate"] is True
    assert estimated["count"] >= 4  # at least what was counted; PostgreSQL's estimate beyond
    assert len(estimated["results"]) == 2
