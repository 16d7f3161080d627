"""DbContactSource: hand-out, reports, retries, max attempts, release, counts and restart safety."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django_tenants.utils import tenant_context

from apps.telephony.choices import CampaignStatus, ContactStatus
from apps.telephony.dialer import contract
from apps.telephony.models import Agent, Call, Campaign, DialAttempt, ScheduledCallback
from apps.telephony.services.campaigns.dnc import dnc_add
from apps.telephony.services.campaigns.lifecycle import callback_schedule, retry_rules_set
from apps.telephony.services.campaigns.source import DbContactSource
from tests.telephony.campaign_factories import T0, clock_at, make_campaign, make_contact, source

MINUTE = 60.0


@pytest.fixture
def tenant(acme):
    with tenant_context(acme.tenant):
        yield acme


def test_take_marks_contacts_dialing_with_an_open_attempt(tenant):
    campaign = make_campaign()
    first, second = make_contact(campaign, name="Wang"), make_contact(campaign)

    targets = source().take(campaign.pk, 5, 0.0)

    assert [t.contact_id for t in targets] == [first.pk, second.pk]
    assert targets[0].attempt == 1 and targets[0].name == "Wang" and targets[0].number == first.phone
    assert targets[0].data["name"] == "Wang" and targets[0].data["time_zone"] == "Asia/Shanghai"
    first.refresh_from_db()
    assert (first.status, first.attempts, first.last_attempt_at) == (ContactStatus.DIALING, 1, T0)
    attempt = DialAttempt.objects.get(contact=first)
    assert (attempt.attempt_no, attempt.outcome, attempt.started_at) == (1, "", T0)


def test_a_taken_contact_is_never_handed_out_twice_before_its_report(tenant):
    campaign = make_campaign()
    make_contact(campaign)
    dialer = source()

    assert len(dialer.take(campaign.pk, 5, 0.0)) == 1
    assert dialer.take(campaign.pk, 5, 1.0) == []
    assert source().take(campaign.pk, 5, 2.0) == []  # another engine process neither


def test_take_respects_count_and_callbacks_come_first(tenant):
    campaign = make_campaign()
    plain = [make_contact(campaign) for _ in range(3)]
    promised = make_contact(campaign)
    callback_schedule(contact=promised, due_at=T0 - timedelta(seconds=30), now=T0)

    targets = source().take(campaign.pk, 2, 0.0)

    assert [t.contact_id for t in targets] == [promised.pk, plain[0].pk]


def test_only_running_campaigns_hand_out_contacts(tenant):
    for status in (CampaignStatus.DRAFT, CampaignStatus.PAUSED, CampaignStatus.FINISHED):
        campaign = make_campaign(running=False)
        Campaign.objects.filter(pk=campaign.pk).update(status=status)
        make_contact(campaign)

        assert source().take(campaign.pk, 5, 0.0) == [], status


def test_busy_is_retried_after_the_gap_until_max_attempts(tenant):
    campaign = make_campaign()
    retry_rules_set(
        campaign=campaign, rules=[{"outcome": "busy", "retry": True, "min_gap_minutes": 30, "max_attempts": 2}]
    )
    contact = make_contact(campaign)
    dialer = source()

    [target] = dialer.take(campaign.pk, 1, 0.0)
    dialer.report(campaign.pk, target, contract.OUTCOME_BUSY, 20.0)
    contact.refresh_from_db()
    assert contact.status == ContactStatus.RETRY
    assert contact.next_attempt_at == T0 + timedelta(seconds=20, minutes=30)
    assert dialer.take(campaign.pk, 1, 29 * MINUTE) == []  # inside the gap

    [target] = dialer.take(campaign.pk, 1, 31 * MINUTE)
    assert target.attempt == 2
    dialer.report(campaign.pk, target, contract.OUTCOME_BUSY, 32 * MINUTE)
    contact.refresh_from_db()
    assert (contact.status, contact.attempts, contact.last_outcome) == (ContactStatus.DONE, 2, "busy")
    assert dialer.take(campaign.pk, 1, 300 * MINUTE) == []


def test_outcome_without_a_rule_uses_the_default_and_answered_is_final(tenant):
    campaign = make_campaign()
    retry_rules_set(campaign=campaign, rules=[])
    no_answer, answered = make_contact(campaign), make_contact(campaign)
    dialer = source()
    targets = {t.contact_id: t for t in dialer.take(campaign.pk, 2, 0.0)}

    dialer.report(campaign.pk, targets[no_answer.pk], contract.OUTCOME_NO_ANSWER, 30.0)
    dialer.report(campaign.pk, targets[answered.pk], contract.OUTCOME_ANSWERED, 30.0)

    no_answer.refresh_from_db()
    answered.refresh_from_db()
    assert no_answer.status == ContactStatus.RETRY
    assert no_answer.next_attempt_at == T0 + timedelta(seconds=30, minutes=120)
    assert answered.status == ContactStatus.DONE


def test_a_rule_without_retry_closes_the_contact_at_once(tenant):
    campaign = make_campaign()
    retry_rules_set(campaign=campaign, rules=[{"outcome": "machine", "retry": False}])
    contact = make_contact(campaign)
    dialer = source()

    [target] = dialer.take(campaign.pk, 1, 0.0)
    dialer.report(campaign.pk, target, contract.OUTCOME_MACHINE, 10.0)

    contact.refresh_from_db()
    assert (contact.status, contact.attempts) == (ContactStatus.DONE, 1)


def test_tightened_rules_close_a_waiting_contact_instead_of_dialling_it(tenant):
    campaign = make_campaign()
    contact = make_contact(campaign)
    dialer = source()
    [target] = dialer.take(campaign.pk, 1, 0.0)
    dialer.report(campaign.pk, target, contract.OUTCOME_NO_ANSWER, 1.0)
    retry_rules_set(campaign=campaign, rules=[{"outcome": "no_answer", "max_attempts": 1, "min_gap_minutes": 0}])

    assert dialer.take(campaign.pk, 1, 500 * MINUTE) == []

    contact.refresh_from_db()
    assert contact.status == ContactStatus.DONE


def test_report_records_call_agent_and_outcome_on_the_attempt(tenant):
    campaign = make_campaign()
    make_contact(campaign)
    agent = Agent.objects.create(user=tenant.admin())
    call = Call.objects.create(uid="camp-call-1", caller="4001", callee="+8613800000001", arrived_at=T0)
    dialer = source()
    [target] = dialer.take(campaign.pk, 1, 0.0)

    dialer.report(campaign.pk, target, contract.OUTCOME_ANSWERED, 95.0, call_uid="camp-call-1", agent_id=agent.pk)

    attempt = DialAttempt.objects.get(contact_id=target.contact_id)
    assert (attempt.outcome, attempt.call_id, attempt.agent_id) == ("answered", call.pk, agent.pk)
    assert attempt.ended_at == T0 + timedelta(seconds=95)


def test_blocked_and_release_give_the_contact_back_untouched(tenant):
    campaign = make_campaign()
    contact = make_contact(campaign)
    dialer = source()

    [target] = dialer.take(campaign.pk, 1, 0.0)
    dialer.report(campaign.pk, target, contract.OUTCOME_BLOCKED, 1.0)
    contact.refresh_from_db()
    assert (contact.status, contact.attempts, contact.last_attempt_at) == (ContactStatus.NEW, 0, None)
    # Not an attempt, yet never erased: the row stays, recorded as handed back.
    assert list(DialAttempt.objects.filter(contact=contact).values_list("attempt_no", "outcome")) == [(1, "returned")]

    [target] = dialer.take(campaign.pk, 1, 2.0)
    assert target.attempt == 1
    dialer.release(campaign.pk, target)
    contact.refresh_from_db()
    assert (contact.status, contact.attempts) == (ContactStatus.NEW, 0)
    assert DialAttempt.objects.filter(contact=contact, outcome="returned").count() == 2

    [target] = dialer.take(campaign.pk, 1, 3.0)
    dialer.report(campaign.pk, target, contract.OUTCOME_BUSY, 4.0)
    contact.refresh_from_db()
    assert (contact.attempts, target.attempt) == (1, 1)
    assert dialer.counts(campaign.pk)["attempted"] == 1


def test_a_number_put_on_dnc_while_dialling_is_closed_by_the_report(tenant):
    campaign = make_campaign()
    contact = make_contact(campaign)
    dialer = source()
    [target] = dialer.take(campaign.pk, 1, 0.0)

    dnc_add(number=contact.phone)
    dialer.report(campaign.pk, target, contract.OUTCOME_NO_ANSWER, 5.0)

    contact.refresh_from_db()
    assert contact.status == ContactStatus.DNC


def test_counts_for_the_monitor(tenant):
    campaign = make_campaign()
    contacts = [make_contact(campaign) for _ in range(4)]
    dialer = source()
    targets = dialer.take(campaign.pk, 2, 0.0)
    dialer.report(campaign.pk, targets[0], contract.OUTCOME_ANSWERED, 5.0)

    # Attempted: dialled and ended; the second contact is still being dialled (or may be handed back).
    assert dialer.counts(campaign.pk) == {"remaining": 3, "attempted": 1, "finished": 1}
    dialer.report(campaign.pk, targets[1], contract.OUTCOME_NO_ANSWER, 6.0)
    assert dialer.counts(campaign.pk) == {"remaining": 3, "attempted": 2, "finished": 1}
    assert len(contacts) == 4


def test_an_agent_owned_callback_names_its_agent(tenant):
    campaign = make_campaign()
    contact = make_contact(campaign)
    agent = Agent.objects.create(user=tenant.admin())
    callback_schedule(contact=contact, due_at=T0 + timedelta(minutes=10), agent=agent, note="after lunch", now=T0)
    dialer = source()

    assert dialer.take(campaign.pk, 1, 0.0) == []  # not due yet
    [target] = dialer.take(campaign.pk, 1, 11 * MINUTE)
    assert target.owner_agent_id == agent.pk

    dialer.report(campaign.pk, target, contract.OUTCOME_ANSWERED, 12 * MINUTE)
    callback = ScheduledCallback.objects.get(contact=contact)
    contact.refresh_from_db()
    assert callback.status == "done" and callback.attempt.contact_id == contact.pk
    assert (contact.priority, contact.owner_agent_id) == (0, None)


# --- restart safety --------------------------------------------------------------------------------


def test_recover_closes_open_attempts_and_nobody_is_redialled_before_the_gap(tenant):
    campaign = make_campaign()
    retry_rules_set(campaign=campaign, rules=[{"outcome": "failed", "min_gap_minutes": 45, "max_attempts": 3}])
    contacts = [make_contact(campaign) for _ in range(3)]
    before = source()
    taken = before.take(campaign.pk, 3, 0.0)
    assert len(taken) == 3

    # The engine dies; a new one starts 2 minutes later on a fresh clock (origin T0 + 2 min).
    restarted = DbContactSource(clock_at(T0 + timedelta(minutes=2)))
    assert restarted.recover(0.0) == 3

    for contact in contacts:
        contact.refresh_from_db()
        assert contact.status == ContactStatus.RETRY and contact.attempts == 1
        assert contact.next_attempt_at == T0 + timedelta(minutes=45)  # gap from when it was taken
    attempts = DialAttempt.objects.filter(contact__in=contacts)
    assert {(a.outcome, a.recovered) for a in attempts} == {("failed", True)}
    assert restarted.take(campaign.pk, 3, 1.0) == []
    assert restarted.take(campaign.pk, 3, 42 * MINUTE) == []  # T0 + 44 min
    assert len(restarted.take(campaign.pk, 3, 43 * MINUTE + 1)) == 3

    # The old engine's late report for the recovered attempt changes nothing.
    before.report(campaign.pk, taken[0], contract.OUTCOME_ANSWERED, 100.0)
    first = DialAttempt.objects.get(contact_id=taken[0].contact_id, attempt_no=1)
    assert first.outcome == "failed"


def test_recover_counts_the_attempt_so_max_attempts_still_holds(tenant):
    campaign = make_campaign()
    retry_rules_set(campaign=campaign, rules=[{"outcome": "failed", "min_gap_minutes": 1, "max_attempts": 1}])
    contact = make_contact(campaign)
    source().take(campaign.pk, 1, 0.0)

    source().recover(60.0)

    contact.refresh_from_db()
    assert (contact.status, contact.attempts) == (ContactStatus.DONE, 1)


def test_recover_only_touches_the_given_campaign(tenant):
    one, two = make_campaign(), make_campaign()
    make_contact(one)
    make_contact(two)
    dialer = source()
    dialer.take(one.pk, 1, 0.0)
    dialer.take(two.pk, 1, 0.0)

    assert dialer.recover(1.0, campaign_id=one.pk) == 1
    assert DialAttempt.objects.filter(campaign=two, outcome="").count() == 1


def test_source_can_enter_the_tenant_itself(acme, globex):
    with tenant_context(acme.tenant):
        campaign = make_campaign()
        make_contact(campaign)
    connection.set_schema_to_public()

    dialer = DbContactSource(clock_at(), tenant=acme.tenant)
    assert len(dialer.take(campaign.pk, 1, 0.0)) == 1
    with tenant_context(globex.tenant):
        assert not Campaign.objects.exists()
        assert not DialAttempt.objects.exists()


# --- the engine's view of a campaign ---------------------------------------------------------------------


def test_running_campaigns_reach_the_engine_with_their_settings_and_abandon_history(tenant):
    from apps.telephony.selectors.campaigns.dialing import campaign_settings, running_campaign_settings

    campaign = make_campaign(dial_mode="power", power_ratio=2.5, ring_timeout_seconds=30, amd_enabled=False)
    make_campaign(running=False)
    contact = make_contact(campaign)
    for number, outcome in enumerate(["answered", "answered", "abandoned", "busy"], start=1):
        DialAttempt.objects.create(
            campaign=campaign, contact=contact, attempt_no=number, number=contact.phone, outcome=outcome, started_at=T0
        )
    DialAttempt.objects.create(  # outside the 30-day window
        campaign=campaign,
        contact=contact,
        attempt_no=9,
        number=contact.phone,
        outcome="abandoned",
        started_at=T0 - timedelta(days=31),
    )

    [settings] = running_campaign_settings(now=T0 + timedelta(hours=1))

    assert settings == campaign_settings(campaign, T0 + timedelta(hours=1))
    assert (settings.campaign_id, settings.mode, settings.ratio) == (campaign.pk, "power", 2.5)
    assert (settings.ring_timeout_seconds, settings.amd_enabled, settings.max_abandon_rate) == (30.0, False, 0.03)
    assert settings.queue_id == campaign.queue_id and settings.trunk_id is not None
    assert (settings.history_live_answers, settings.history_abandoned) == (3, 1)


def test_a_concurrent_import_of_the_same_number_does_not_break_the_batch(tenant):
    from apps.telephony.models import Contact, ContactList
    from apps.telephony.services.campaigns.contact_import import _write_contacts

    campaign = make_campaign()
    contact_list = ContactList.objects.create(campaign=campaign, name="race", file="x.csv", file_format="csv")
    make_contact(campaign, phone="+8613800000001")  # taken by another list after this batch's lookup
    fields = {"name": "", "email": "", "external_id": "", "time_zone": "Asia/Shanghai", "data": {}}

    _write_contacts(contact_list, campaign, [("+8613800000001", fields), ("+8613800000002", fields)])

    assert sorted(Contact.objects.filter(campaign=campaign).values_list("phone", flat=True)) == [
        "+8613800000001",
        "+8613800000002",
    ]
    assert Contact.objects.get(phone="+8613800000002").contact_list_id == contact_list.pk
