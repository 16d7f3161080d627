"""Wrap-up dispositions on campaign calls, through the agent's wrap-up service: final, retry,
"do not call me" (tenant-wide DNC and consent revoked at once), in either order with the report."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from apps.telephony.choices import ContactStatus
from apps.telephony.dialer import contract
from apps.telephony.models import Call, Consent, Contact, DialAttempt, DoNotCall
from apps.telephony.services.call_control import call_wrapup
from apps.telephony.services.campaigns.dnc import consent_record
from apps.telephony.services.campaigns.lifecycle import retry_rules_set
from tests.telephony.agent_helpers import give_call, make_agent
from tests.telephony.campaign_factories import T0, make_campaign, make_contact, source


@pytest.fixture
def world(acme):
    return acme


def _dialled(world, campaign, contact, *, report: bool, outcome: str = contract.OUTCOME_ANSWERED):
    """Take ``contact``, give its call to an agent in wrap-up, and (optionally) report the attempt."""
    subject = make_agent(world)
    call = give_call(world, subject.agent, state="wrap_up", call_status="wrap_up")
    with tenant_context(world.tenant):
        dialer = source()
        [target] = dialer.take(campaign.pk, 1, 0.0)
        assert target.contact_id == contact.pk
        if report:
            dialer.report(campaign.pk, target, outcome, 60.0, call_uid=call.uid, agent_id=subject.agent.pk)
    return subject, call, dialer, target


def test_a_disposition_without_a_rule_is_final(world):
    with tenant_context(world.tenant):
        campaign = make_campaign()
        contact = make_contact(campaign)
    subject, call, _dialer, _target = _dialled(world, campaign, contact, report=True)

    with tenant_context(world.tenant):
        call_wrapup(agent=subject.agent, call_uid=call.uid, disposition="resolved")
        contact = Contact.objects.select_related("last_disposition").get(pk=contact.pk)
        attempt = DialAttempt.objects.select_related("disposition").get(contact=contact)
    assert contact.status == ContactStatus.DONE and contact.last_disposition.code == "resolved"
    assert attempt.disposition.code == "resolved" and attempt.call_id == call.pk


def test_a_retry_disposition_reopens_the_contact_after_its_gap(world):
    with tenant_context(world.tenant):
        campaign = make_campaign()
        retry_rules_set(
            campaign=campaign,
            rules=[{"disposition": "follow_up", "retry": True, "min_gap_minutes": 1440, "max_attempts": 3}],
        )
        contact = make_contact(campaign)
    subject, call, _dialer, _target = _dialled(world, campaign, contact, report=True)

    before = timezone.now()
    with tenant_context(world.tenant):
        call_wrapup(agent=subject.agent, call_uid=call.uid, disposition="follow_up", notes="call tomorrow")
        contact.refresh_from_db()
    assert contact.status == ContactStatus.RETRY
    assert before + timedelta(minutes=1440) <= contact.next_attempt_at <= timezone.now() + timedelta(minutes=1440)


def test_do_not_call_me_adds_the_number_to_the_tenant_list_and_revokes_consent_at_once(world):
    with tenant_context(world.tenant):
        campaign, other = make_campaign(), make_campaign()
        contact = make_contact(campaign, phone="+8613800138000")
        same_number_elsewhere = make_contact(other, phone="+8613800138000")
        consent_record(number="+8613800138000", source="web form", granted_at=T0)
    subject, call, dialer, _target = _dialled(world, campaign, contact, report=True)

    with tenant_context(world.tenant):
        call_wrapup(agent=subject.agent, call_uid=call.uid, disposition="do_not_call")
        contact.refresh_from_db()
        same_number_elsewhere.refresh_from_db()
        entry = DoNotCall.objects.get(number="+8613800138000")
        consent = Consent.objects.get(number="+8613800138000")
        assert dialer.take(other.pk, 5, 600.0) == []
    assert contact.status == ContactStatus.DNC and same_number_elsewhere.status == ContactStatus.DNC
    assert entry.campaign_id is None and entry.source == "disposition"
    assert consent.revoked_at is not None


def test_a_disposition_stored_before_the_report_settles_the_contact_when_the_report_comes(world):
    with tenant_context(world.tenant):
        campaign = make_campaign()
        contact = make_contact(campaign)
    subject, call, dialer, target = _dialled(world, campaign, contact, report=False)

    with tenant_context(world.tenant):
        call_wrapup(agent=subject.agent, call_uid=call.uid, disposition="do_not_call")
        contact.refresh_from_db()
        assert contact.status == ContactStatus.DIALING  # the attempt is still open
        dialer.report(campaign.pk, target, contract.OUTCOME_ANSWERED, 90.0, call_uid=call.uid)
        contact.refresh_from_db()
        attempt = DialAttempt.objects.select_related("disposition").get(contact=contact)
    assert contact.status == ContactStatus.DNC
    assert (attempt.outcome, attempt.disposition.code) == ("answered", "do_not_call")


def test_the_do_not_call_disposition_cannot_be_configured_into_a_retry(world):
    with tenant_context(world.tenant):
        campaign = make_campaign()
        retry_rules_set(campaign=campaign, rules=[{"disposition": "do_not_call", "retry": True, "max_attempts": 9}])
        contact = make_contact(campaign)
    subject, call, _dialer, _target = _dialled(world, campaign, contact, report=True)

    with tenant_context(world.tenant):
        call_wrapup(agent=subject.agent, call_uid=call.uid, disposition="do_not_call")
        contact.refresh_from_db()
    assert contact.status == ContactStatus.DNC


def test_wrap_up_of_an_ordinary_call_touches_no_campaign(world):
    subject = make_agent(world)
    call = give_call(world, subject.agent, state="wrap_up", call_status="wrap_up")
    with tenant_context(world.tenant):
        campaign = make_campaign()
        contact = make_contact(campaign)

        call_wrapup(agent=subject.agent, call_uid=call.uid, disposition="do_not_call")

        assert Call.objects.get(pk=call.pk).disposition.code == "do_not_call"
        assert not DoNotCall.objects.exists()
        assert Contact.objects.get(pk=contact.pk).status == ContactStatus.NEW
