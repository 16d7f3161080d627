"""Callback visits (回访) as outbound campaign tasks (issue 17 items 2 and 4): from a resolved ticket
or a survey response, the customer becomes a contact of a callback-visit campaign through
telephony's service; the dialer's outcome comes back to the ticket. Roles, refusals that change
nothing, and another tenant."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from apps.audit.models import AuditEntry
from apps.crm.models import SurveyResponse, TicketEvent, VisitTask
from apps.crm.services import ticket_category_create, ticket_create, ticket_resolve
from apps.crm.services.surveys import survey_responses_sync
from apps.crm.services.visits import visit_tasks_sync
from apps.notifications.models import Notification
from apps.telephony.choices import ContactStatus
from apps.telephony.models import Contact
from apps.telephony.services.campaigns.dnc import dnc_add
from tests.accounts.helpers import web_login
from tests.factories import AgentFactory, CallFactory, DispositionFactory
from tests.telephony.campaign_factories import make_campaign


@pytest.fixture
def world(acme):
    agent = acme.user("agent", email="visit-agent@acme.test")
    supervisor = acme.user("supervisor", email="visit-lead@acme.test")
    with tenant_context(acme.tenant):
        category = ticket_category_create(
            actor=None,
            name="Repairs",
            targets=[{"priority": "normal", "first_response_minutes": 60, "resolution_minutes": 540}],
        )
        campaign = make_campaign(type="callback_visit", name="回访")
        sales = make_campaign(type="sales", name="Sales")
        call = CallFactory(caller="13900139000", ended_at=timezone.now(), agent=AgentFactory(user=agent))
        ticket = ticket_create(actor=supervisor, title="Washer leaks", category=category.pk, call=call.uid)
    return {
        "acme": acme,
        "agent": agent,
        "supervisor": supervisor,
        "campaign": campaign,
        "sales": sales,
        "ticket": ticket,
        "call": call,
    }


def resolve(world):
    with tenant_context(world["acme"].tenant):
        ticket_resolve(ticket=world["ticket"], actor=world["supervisor"], resolution="Seal replaced")


def send(world, user=None, **body):
    api = world["acme"].api(user or world["supervisor"])
    payload = {"campaign": world["campaign"].pk, "ticket": world["ticket"].pk, **body}
    return api.post("/api/v1/visit-tasks", payload, format="json")


def test_a_resolved_ticket_goes_to_the_campaign_as_a_contact(world):
    resolve(world)
    answer = send(world)
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert body["status"] == "open"
    assert body["phone"] == "+8613900139000"
    with tenant_context(world["acme"].tenant):
        contact = Contact.objects.get(pk=body["contact"])
        assert contact.campaign_id == world["campaign"].pk
        assert contact.status == ContactStatus.NEW
        assert contact.external_id == world["ticket"].number
        assert TicketEvent.objects.filter(ticket=world["ticket"], data__visit_task=body["id"]).exists()
        assert AuditEntry.objects.filter(action="visit_task.created", target_id=str(body["id"])).exists()


def test_an_open_ticket_is_not_visited_yet(world):
    answer = send(world)
    assert answer.status_code == 400
    assert answer.json()["code"] == "invalid_state"
    with tenant_context(world["acme"].tenant):
        assert not VisitTask.objects.exists()
        assert not Contact.objects.filter(campaign=world["campaign"]).exists()


def test_a_second_visit_waits_for_the_first(world):
    resolve(world)
    assert send(world).status_code == 201
    again = send(world)
    assert again.status_code == 400
    assert again.json()["code"] == "visit_pending"
    with tenant_context(world["acme"].tenant):
        assert VisitTask.objects.count() == 1


def test_only_a_visit_campaign_is_accepted(world):
    resolve(world)
    answer = send(world, campaign=world["sales"].pk)
    assert answer.status_code == 400
    assert answer.json()["code"] == "invalid"
    assert "campaign" in answer.json()["fields"]


def test_a_number_on_do_not_call_is_not_dialled(world):
    resolve(world)
    with tenant_context(world["acme"].tenant):
        dnc_add(number="13900139000", reason="asked")
    answer = send(world)
    assert answer.status_code == 400
    assert answer.json()["code"] == "do_not_call"
    with tenant_context(world["acme"].tenant):
        assert not VisitTask.objects.exists()


def test_ticket_or_response_must_be_named_once(world):
    answer = send(world, ticket=None)
    assert answer.status_code == 400
    assert answer.json()["code"] == "invalid"


def test_qa_may_not_send_a_visit_and_another_tenant_finds_no_ticket(world, globex):
    resolve(world)
    assert send(world, user=world["acme"].user("qa", email="visit-qa@acme.test")).status_code == 403
    outsider = globex.api(globex.admin()).post(
        "/api/v1/visit-tasks", {"campaign": world["campaign"].pk, "ticket": world["ticket"].pk}, format="json"
    )
    assert outsider.status_code in (400, 404)
    assert globex.api(globex.admin()).get("/api/v1/visit-tasks").json()["count"] == 0
    with tenant_context(world["acme"].tenant):
        assert not VisitTask.objects.exists()


def test_the_dialers_outcome_comes_back_to_the_ticket(world):
    resolve(world)
    task_id = send(world).json()["id"]
    with tenant_context(world["acme"].tenant):
        assert visit_tasks_sync() == 0  # still waiting for the dialer
        task = VisitTask.objects.get(pk=task_id)
        disposition = DispositionFactory(code="visited-ok", name="Visit done")
        Contact.objects.filter(pk=task.contact_id).update(
            status=ContactStatus.DONE, attempts=1, last_outcome="answered", last_disposition=disposition
        )
        assert visit_tasks_sync() == 1
        task.refresh_from_db()
        assert task.status == "done"
        assert task.disposition == disposition
        assert task.attempts == 1
        event = TicketEvent.objects.filter(ticket=world["ticket"], data__visit_reached=True).get()
        assert event.data["disposition"] == "Visit done"
        assert Notification.objects.filter(kind="ticket.visit_called").exists()
        assert visit_tasks_sync() == 0


def test_an_unreached_customer_fails_the_task(world):
    resolve(world)
    task_id = send(world).json()["id"]
    with tenant_context(world["acme"].tenant):
        task = VisitTask.objects.get(pk=task_id)
        Contact.objects.filter(pk=task.contact_id).update(
            status=ContactStatus.DONE, attempts=3, last_outcome="no_answer"
        )
        visit_tasks_sync()
        task.refresh_from_db()
        assert task.status == "failed"
        assert task.last_outcome == "no_answer"


def test_a_survey_response_is_called_back_by_a_supervisor_only(world):
    with tenant_context(world["acme"].tenant):
        ended = timezone.now() - dt.timedelta(minutes=5)
        CallFactory(caller="13700137000", survey_score=1, arrived_at=ended, ended_at=ended)
        survey_responses_sync()
        response = SurveyResponse.objects.get()
    agent = (
        world["acme"]
        .api(world["agent"])
        .post("/api/v1/visit-tasks", {"campaign": world["campaign"].pk, "survey_response": response.pk}, format="json")
    )
    assert agent.status_code in (403, 404)
    answer = (
        world["acme"]
        .api(world["supervisor"])
        .post("/api/v1/visit-tasks", {"campaign": world["campaign"].pk, "survey_response": response.pk}, format="json")
    )
    assert answer.status_code == 201, answer.content
    assert answer.json()["phone"] == "+8613700137000"


def test_the_ticket_page_sends_the_visit_to_a_campaign(world):
    resolve(world)
    client = web_login(world["acme"], world["supervisor"].email)
    page = client.get(f"/tickets/{world['ticket'].pk}/").content.decode()
    assert "ticket-visit-task-form" in page
    sent = client.post(f"/surveys/visits/ticket/{world['ticket'].pk}/", {"visit-campaign": world["campaign"].pk})
    assert sent.status_code == 302
    with tenant_context(world["acme"].tenant):
        assert VisitTask.objects.filter(ticket=world["ticket"], status="open").count() == 1
    page = client.get(f"/tickets/{world['ticket'].pk}/").content.decode()
    assert "ticket-visit-task-form" not in page
    assert client.get("/surveys/visits/").status_code == 200


def test_the_responses_page_sends_a_low_score_to_the_campaign(world):
    with tenant_context(world["acme"].tenant):
        ended = timezone.now() - dt.timedelta(minutes=5)
        CallFactory(caller="13600136000", survey_score=2, arrived_at=ended, ended_at=ended)
        survey_responses_sync()
        response = SurveyResponse.objects.get()
    client = web_login(world["acme"], world["supervisor"].email)
    page = client.get("/surveys/").content.decode()
    assert f'<option value="{world["campaign"].pk}">回访</option>' in page
    assert f'<option value="{world["sales"].pk}">' not in page
    sent = client.post(f"/surveys/{response.pk}/visit/", {"visit-campaign": world["campaign"].pk})
    assert sent.status_code == 302
    refused = client.post(f"/surveys/{response.pk}/visit/", {"visit-campaign": world["campaign"].pk})
    assert refused.status_code == 400  # one visit waits for the dialer already
    with tenant_context(world["acme"].tenant):
        assert VisitTask.objects.filter(survey_response=response).count() == 1
    agent = web_login(world["acme"], world["agent"].email)
    assert agent.post(f"/surveys/{response.pk}/visit/", {"visit-campaign": world["campaign"].pk}).status_code == 403
