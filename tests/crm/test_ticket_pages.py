"""Ticket pages: the list with its filters and due badges, a ticket from a call in two clicks, the
ticket page's steps, the customer page's "New ticket", the settings pages, and Chinese."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.conf import settings
from django_tenants.utils import tenant_context

from apps.accounts.models import Team
from apps.crm.models import Customer, Ticket, TicketCategory
from apps.crm.services import department_create, ticket_assign, ticket_category_create, ticket_create
from tests.accounts.helpers import web_login
from tests.pending_po import pending_translations
from tests.telephony.call_factories import make_agent, stored_call


@pytest.fixture
def page(acme):
    with tenant_context(acme.tenant):
        agent = acme.user("agent")
        supervisor = acme.user("supervisor")
        team = Team.objects.create(name="Field team")
        team.members.add(agent)
        category = ticket_category_create(actor=None, name="Meter repair")
        department = department_create(actor=None, name="Field service", team=team.pk)
    return {"acme": acme, "agent": agent, "supervisor": supervisor, "category": category, "department": department}


def make(page, **fields):
    with tenant_context(page["acme"].tenant):
        values = {"title": "Broken meter", "category": page["category"].pk}
        return ticket_create(actor=page["agent"], **{**values, **fields})


def test_the_list_shows_due_badges_and_filters(page):
    overdue = make(page, title="Old one", received_at=dt.datetime(2026, 11, 10, 10, tzinfo=dt.UTC))
    fresh = make(page, title="Fresh one")
    client = web_login(page["acme"], page["agent"].email)
    response = client.get("/tickets/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="filter-bar"' in html
    for name in ("status", "priority", "category", "assignee", "breached", "due"):
        assert f'name="{name}"' in html
    row = re.search(rf'<tr data-ticket="{overdue.pk}">.*?</tr>', html, re.S).group(0)
    assert "badge-bad ticket-due" in row and "Overdue" in row
    assert f'data-ticket="{fresh.pk}"' in html
    only_overdue = client.get("/tickets/?due=overdue").content.decode()
    assert f'data-ticket="{overdue.pk}"' in only_overdue and f'data-ticket="{fresh.pk}"' not in only_overdue


def test_a_ticket_from_the_call_on_the_desk_in_two_clicks(page):
    acme, agent = page["acme"], page["agent"]
    with tenant_context(acme.tenant):
        customer = Customer.objects.create(name="Zhao Min", phones=["13700137000"])
        call = stored_call(caller="13700137000", agent=make_agent(agent))
    client = web_login(acme, agent.email)
    form = client.get(f"/tickets/new/?call={call.uid}")  # click one: the desk's "New ticket"
    html = form.content.decode()
    assert form.status_code == 200
    assert "Zhao Min" in html and f'value="{call.uid}"' in html and f'value="{customer.pk}"' in html
    title = re.search(r'name="title"[^>]*value="([^"]*)"', html).group(1)
    posted = client.post(  # click two: "Create ticket" with what the form holds
        "/tickets/new/",
        {
            "title": title,
            "description": "",
            "category": page["category"].pk,
            "priority": "normal",
            "customer": customer.pk,
            "call": call.uid,
        },
    )
    assert posted.status_code == 302
    with tenant_context(acme.tenant):
        ticket = Ticket.objects.get()
        assert (ticket.customer, list(ticket.calls.all()), ticket.created_by) == (customer, [call], agent)
    assert posted["Location"] == f"/tickets/{ticket.pk}/"


def test_the_desk_offers_the_new_ticket_link_for_the_call(page):
    client = web_login(page["acme"], page["agent"].email)
    html = client.get("/desk/").content.decode()
    assert 'data-call-link="call"' in html and 'href="/tickets/new/"' in html


def test_the_ticket_page_offers_the_steps_the_user_may_take(page):
    ticket = make(page)
    agent_page = web_login(page["acme"], page["agent"].email).get(f"/tickets/{ticket.pk}/").content.decode()
    assert 'data-action="follow_up"' in agent_page and 'data-action="assign"' not in agent_page
    boss = web_login(page["acme"], page["supervisor"].email)
    boss_page = boss.get(f"/tickets/{ticket.pk}/").content.decode()
    assert 'data-action="assign"' in boss_page and 'data-action="supervise"' in boss_page
    assert 'data-action="visit"' not in boss_page  # only once resolved

    response = boss.post(f"/tickets/{ticket.pk}/assign/", {"assign-department": page["department"].pk})
    assert response.status_code == 302
    refused = boss.post(
        f"/tickets/{ticket.pk}/visit/",
        {"visit-solved": "yes", "visit-attitude": "satisfied", "visit-charged": "no", "visit-score": "8"},
    )
    assert refused.status_code == 400
    assert "Only a resolved ticket can be visited." in refused.content.decode()
    with tenant_context(page["acme"].tenant):
        ticket.refresh_from_db()
        assert (ticket.status, ticket.department) == ("assigned", page["department"])
        assert not ticket.visits.exists()


def test_the_visit_form_records_the_five_answers_and_closes(page):
    ticket = make(page)
    boss = web_login(page["acme"], page["supervisor"].email)
    boss.post(f"/tickets/{ticket.pk}/resolve/", {"resolve-resolution": "Meter replaced"})
    html = boss.get(f"/tickets/{ticket.pk}/").content.decode()
    assert 'data-action="visit"' in html
    response = boss.post(
        f"/tickets/{ticket.pk}/visit/",
        {
            "visit-solved": "yes",
            "visit-attitude": "dissatisfied",
            "visit-charged": "yes",
            "visit-score": "4",
            "visit-suggestion": "Come on time",
        },
    )
    assert response.status_code == 302
    with tenant_context(page["acme"].tenant):
        ticket.refresh_from_db()
        visit = ticket.visits.get()
    assert ticket.status == "closed"
    assert (visit.solved, visit.attitude, visit.charged, visit.score) == (True, "dissatisfied", True, 4)


def test_an_agent_is_not_shown_another_departments_ticket(page):
    with tenant_context(page["acme"].tenant):
        ticket = ticket_create(actor=page["supervisor"], title="Not yours", category=page["category"].pk)
    client = web_login(page["acme"], page["agent"].email)
    assert client.get(f"/tickets/{ticket.pk}/").status_code == 404
    assert client.post(f"/tickets/{ticket.pk}/note/", {"note-body": "hi"}).status_code == 404
    with tenant_context(page["acme"].tenant):
        ticket_assign(ticket=ticket, actor=page["supervisor"], department=page["department"].pk)
    assert client.get(f"/tickets/{ticket.pk}/").status_code == 200


def test_the_customer_page_has_new_ticket(page):
    with tenant_context(page["acme"].tenant):
        customer = Customer.objects.create(name="Sun Li", phones=["13600136000"])
    make(page, customer=customer.pk, title="Meter noisy")
    html = web_login(page["acme"], page["agent"].email).get(f"/customers/{customer.pk}/").content.decode()
    assert f'href="/tickets/new/?customer={customer.pk}"' in html
    assert "Meter noisy" in html


def test_administrators_set_categories_and_targets_on_their_page(page):
    acme = page["acme"]
    admin = web_login(acme, acme.admin_email)
    values = {"name": "Complaints desk", "active": "on", "business_hours": ""}
    for priority, first, resolution in (
        ("low", 480, 2700),
        ("normal", 240, 1620),
        ("high", 60, 540),
        ("urgent", 30, 240),
    ):
        values[f"first_{priority}"] = first
        values[f"resolution_{priority}"] = resolution
    assert admin.post("/tickets/categories/", values).status_code == 302
    with tenant_context(acme.tenant):
        complaint = TicketCategory.objects.get(name="Complaints desk")
        assert complaint.targets.get(priority="urgent").resolution_minutes == 240
    refused = admin.post("/tickets/categories/", {**values, "name": "Other", "resolution_high": 10})
    assert refused.status_code == 400
    assert "cannot be shorter" in refused.content.decode()
    assert web_login(acme, page["supervisor"].email).get("/tickets/categories/").status_code == 403
    assert admin.get("/tickets/departments/").status_code == 200


def test_the_pages_speak_chinese(page):
    ticket = make(page, received_at=dt.datetime(2026, 11, 10, 10, tzinfo=dt.UTC))
    client = web_login(page["acme"], page["supervisor"].email)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"  # the page's language switch
    with pending_translations("crm-tickets"):
        listing = client.get("/tickets/").content.decode()
        detail = client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert "工单" in listing and "已超时" in listing
    assert "督办" in detail and "交办" in detail and "受理" in detail
