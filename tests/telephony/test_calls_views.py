"""The calls list and the call page speak of people: an outbound call shows whom it reached (the
number dialled and the contact's or customer's name), not the company's own number; the call page
is titled by the other party and the time, and its timeline names queues, agents, the keys pressed
in the IVR and the disposition, with no raw ids or ``None``."""

from __future__ import annotations

import re

import pytest
from django_tenants.utils import tenant_context

from apps.crm.services import customer_create
from apps.telephony.choices import CallEndReason
from apps.telephony.models import IvrFlow, IvrFlowVersion, Recording
from apps.telephony.services import cdr
from tests.accounts.helpers import web_login
from tests.telephony.call_factories import at, make_agent, make_disposition, make_queue, uid
from tests.telephony.campaign_factories import make_campaign, make_contact

OUR_NUMBER = "4008200000"


@pytest.fixture
def world(acme):
    with tenant_context(acme.tenant):
        queue = make_queue(name="Renewals desk")
        agent_user = acme.user("agent")
        agent_user.name = "Mei Han"
        agent_user.save(update_fields=["name"])
        agent = make_agent(agent_user)
        campaign = make_campaign(name="Broadband renewals", queue=queue.pk)
        contact = make_contact(campaign, phone="+8613900139001", name="李娜")
        outbound = cdr.call_open(uid=uid(), direction="outbound", caller=OUR_NUMBER, callee="+8613900139001", at=at(0))
        cdr.call_update(outbound, campaign=campaign, queue=queue)
        cdr.call_event(outbound, "campaign_dial", at=at(0), campaign_id=campaign.pk, contact_id=contact.pk, attempt=1)
        cdr.call_answered(outbound, agent=agent, at=at(5))
        cdr.call_close(outbound, at=at(65), end_reason=CallEndReason.COMPLETED)
        cdr.call_wrapup_end(outbound, at=at(80), disposition=make_disposition("h8-renewed", "Renewed"))

        customer_create(name="Wang Fang", phones=["13800138111"])
        dialled_customer = cdr.call_open(
            uid=uid(), direction="outbound", caller=OUR_NUMBER, callee="13800138111", at=at(100)
        )
        cdr.call_close(dialled_customer, at=at(120), end_reason=CallEndReason.NO_ANSWER, wrapup=False)

        flow = IvrFlow.objects.create(name="Main line")
        version = IvrFlowVersion.objects.create(
            flow=flow,
            number=1,
            graph={
                "start": "welcome",
                "nodes": {
                    "welcome": {"type": "menu", "label": "Welcome menu", "prompt": "Press 2", "options": {"2": "q"}},
                    "q": {"type": "queue", "queue": queue.pk},
                },
            },
        )
        inbound = cdr.call_open(uid=uid(), direction="inbound", caller="13700000007", callee=OUR_NUMBER, at=at(200))
        cdr.call_update(
            inbound,
            ivr_version=version,
            ivr_exited_at=at(210),
            ivr_path=[
                {"node": "welcome", "type": "menu", "input": "2", "outcome": "option"},
                {"node": "q", "type": "queue"},
            ],
        )
        cdr.call_queued(inbound, queue=queue, at=at(210))
        cdr.call_answered(inbound, agent=agent, at=at(215))
        cdr.call_close(inbound, at=at(260), end_reason=CallEndReason.COMPLETED)
    return {
        "tenant": acme,
        "outbound": outbound,
        "dialled_customer": dialled_customer,
        "inbound": inbound,
        "supervisor": acme.user("supervisor"),
    }


def _page(world, path: str) -> str:
    client = web_login(world["tenant"], world["supervisor"].email)
    response = client.get(path)
    assert response.status_code == 200
    return response.content.decode()


def _row(page: str, call_uid: str) -> str:
    match = re.search(rf'<tr>\s*<td><a href="/calls/{call_uid}/">.*?</tr>', page, re.S)
    assert match, f"no row for {call_uid}"
    return match.group(0)


def test_outbound_row_shows_the_number_dialled_and_the_contact(world):
    row = _row(_page(world, "/calls/"), world["outbound"].uid)

    assert "+8613900139001" in row and "李娜" in row
    assert OUR_NUMBER not in row
    assert "Mei Han" in row and "Broadband renewals" in row


def test_outbound_row_names_the_crm_customer_dialled(world):
    row = _row(_page(world, "/calls/"), world["dialled_customer"].uid)

    assert "13800138111" in row and "Wang Fang" in row
    assert OUR_NUMBER not in row


def test_inbound_row_shows_the_caller(world):
    row = _row(_page(world, "/calls/"), world["inbound"].uid)

    assert "13700000007" in row


def test_call_page_is_titled_by_the_party_and_the_time(world):
    page = _page(world, f"/calls/{world['outbound'].uid}/")

    title = re.search(r"<title>(.*?)</title>", page, re.S).group(1)
    assert "李娜" in title
    assert world["outbound"].uid not in title
    heading = re.search(r"<h1[^>]*>(.*?)</h1>", page, re.S).group(1)
    assert "李娜" in heading and "+8613900139001" in heading


def test_call_page_timeline_is_in_words(world):
    page = _page(world, f"/calls/{world['outbound'].uid}/")
    timeline = page[page.index('class="timeline"') :]

    assert "Renewed" in timeline  # the disposition by name, not its code
    assert "h8-renewed" not in timeline
    assert "Mei Han" in timeline
    assert "李娜" in timeline and "Broadband renewals" in timeline
    assert "None" not in timeline and "customer_id" not in timeline and "contact_id" not in timeline


def test_call_page_shows_the_ivr_path_with_the_keys_pressed_and_the_queue(world):
    page = _page(world, f"/calls/{world['inbound'].uid}/")
    timeline = page[page.index('class="timeline"') :]

    assert "Welcome menu: pressed 2" in timeline
    assert "Renewals desk" in timeline  # the queue by name (IVR step and "queued")
    assert "queue_id" not in timeline and "None" not in timeline


@pytest.mark.parametrize(("seconds", "text"), [(1.2, "1 second<"), (42.0, "42 seconds<")])
def test_call_page_recording_length_agrees_in_number(world, seconds, text):
    with tenant_context(world["tenant"].tenant):
        Recording.objects.create(call=world["inbound"], file="rec/x.wav", duration_seconds=seconds, size_bytes=10)
    page = _page(world, f"/calls/{world['inbound'].uid}/")

    assert text in page
    assert "1 seconds" not in page


def test_outbound_call_has_no_ivr_time(world):
    with tenant_context(world["tenant"].tenant):
        world["outbound"].refresh_from_db()
    assert world["outbound"].ivr_exited_at is None
    page = _page(world, f"/calls/{world['outbound'].uid}/")
    assert "IVR (s)" not in page

    inbound = _page(world, f"/calls/{world['inbound'].uid}/")
    assert "IVR (s)" in inbound
