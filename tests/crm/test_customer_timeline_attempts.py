"""Campaign attempts on the customer's timeline: matched by the customer's numbers, newest first
among the calls, tickets and notes; seen by administrators and supervisors, by the agent who took
the attempt, by no other role; another tenant's attempts never."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from apps.crm.models import CustomerNote
from apps.crm.selectors.customer_timeline import customer_timeline
from apps.crm.services import customer_create
from apps.telephony.models import DialAttempt
from tests.accounts.helpers import web_login
from tests.telephony.call_factories import make_agent, make_disposition
from tests.telephony.campaign_factories import make_campaign, make_contact

NUMBER = "+8613900139000"


def _attempt(campaign, contact, no, *, minutes_ago, outcome="answered", agent=None, disposition=None):
    return DialAttempt.objects.create(
        campaign=campaign,
        contact=contact,
        attempt_no=no,
        number=contact.phone,
        outcome=outcome,
        started_at=timezone.now() - timedelta(minutes=minutes_ago),
        agent=agent,
        disposition=disposition,
    )


@pytest.fixture
def world(acme):
    """A customer known by the national form of a number the campaign dialled in E.164; one
    no-answer attempt an hour ago (no agent), an answered one taken by ``agent_user`` ten minutes
    ago with a disposition, and a note in between; an attempt to another number."""
    acme.agent_user = acme.user("agent", email="tl-agent@acme.test")
    acme.other_agent = acme.user("agent", email="tl-other@acme.test")
    with tenant_context(acme.tenant):
        agent = make_agent(acme.agent_user)
        make_agent(acme.other_agent)
        acme.customer = customer_create(name="王芳", phones=["139 0013 9000"])
        acme.campaign = make_campaign(name="回访 三月")
        contact = make_contact(acme.campaign, NUMBER)
        stranger = make_contact(acme.campaign, "+8613700137000")
        acme.missed = _attempt(acme.campaign, contact, 1, minutes_ago=60, outcome="no_answer")
        acme.answered = _attempt(
            acme.campaign,
            contact,
            2,
            minutes_ago=10,
            agent=agent,
            disposition=make_disposition(code="tl-sold", name="已成交"),
        )
        _attempt(acme.campaign, stranger, 1, minutes_ago=5)
        _attempt(acme.campaign, contact, 3, minutes_ago=1, outcome="returned")  # handed back, never dialled
        note = CustomerNote.objects.create(customer=acme.customer, body="想改时间")
        CustomerNote.objects.filter(pk=note.pk).update(created_at=timezone.now() - timedelta(minutes=30))
    return acme


def _timeline(world, user):
    return world.api(user).get(f"/api/v1/customers/{world.customer.pk}/timeline").json()


def test_a_supervisor_sees_each_attempt_with_campaign_and_outcome_newest_first(world):
    timeline = _timeline(world, world.user("supervisor"))

    assert [(item["kind"], item.get("attempt_id")) for item in timeline] == [
        ("attempt", world.answered.pk),
        ("note", None),
        ("attempt", world.missed.pk),
    ]
    answered, _, missed = timeline
    assert answered["campaign"] == "回访 三月"
    assert answered["outcome"] == "answered"
    assert answered["disposition"] == "已成交"
    assert "回访 三月" in answered["title"]
    assert "Answered" in answered["detail"] and "已成交" in answered["detail"]
    assert answered["url"] == f"/console/campaigns/{world.campaign.pk}/"
    assert (missed["outcome"], missed["disposition"]) == ("no_answer", None)
    assert "No answer" in missed["detail"]


def test_an_administrator_sees_the_attempts_on_the_customer_page(world):
    client = web_login(world, world.admin_email)

    page = client.get(f"/customers/{world.customer.pk}/").content.decode()

    assert page.count("timeline-attempt") == 2
    assert "回访 三月" in page and "已成交" in page


def test_an_agent_sees_only_the_attempt_they_took(world):
    mine = [item for item in _timeline(world, world.agent_user) if item["kind"] == "attempt"]
    others = [item for item in _timeline(world, world.other_agent) if item["kind"] == "attempt"]

    assert [item["attempt_id"] for item in mine] == [world.answered.pk]
    assert mine[0]["url"] is None  # the campaign pages are not theirs
    assert others == []


@pytest.mark.parametrize("role", ["qa", "trainer", "hr", "billing"])
def test_roles_that_may_not_see_campaigns_see_no_attempt(world, role):
    user = world.user(role)
    with tenant_context(world.tenant):
        kinds = [item.kind for item in customer_timeline(customer=world.customer, user=user)]

    assert "attempt" not in kinds
    assert "note" in kinds  # the rest of the timeline is still theirs


def test_another_tenants_attempts_to_the_same_number_never_appear(world, globex):
    with tenant_context(globex.tenant):
        campaign = make_campaign(name="Globex outreach")
        _attempt(campaign, make_contact(campaign, NUMBER), 1, minutes_ago=2)
        globex_customer = customer_create(name="Globex twin", phones=[NUMBER])

    timeline = _timeline(world, world.user("supervisor"))
    globex_view = globex.api(globex.user("supervisor")).get(f"/api/v1/customers/{globex_customer.pk}/timeline").json()

    assert "Globex outreach" not in {item.get("campaign") for item in timeline}
    assert [item["campaign"] for item in globex_view if item["kind"] == "attempt"] == ["Globex outreach"]
    assert world.answered.pk not in {item.get("attempt_id") for item in globex_view}
