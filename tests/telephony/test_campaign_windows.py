"""Calling windows in each contact's time zone, Chinese holidays and make-up workdays, and the
hand-out guarantee: do-not-call and (for marketing under the tenant's policy) unconsented numbers
are never handed out, whatever the list looks like."""

from __future__ import annotations

import datetime
from datetime import UTC, timedelta

import pytest
from django.db import transaction
from django_tenants.utils import tenant_context
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apps.telephony.dialer.windows import CallingWindow, is_open_for, next_open_local, open_time_zones
from apps.telephony.models import Consent, Contact, DoNotCall
from apps.telephony.services.campaigns.lifecycle import campaign_policy_set
from apps.telephony.services.campaigns.windows import calling_window, day_kind
from tests.telephony.campaign_factories import make_campaign, make_contact, source

ZONES = ("Asia/Shanghai", "Asia/Urumqi", "America/New_York")
WEEKDAYS_ONLY = frozenset({1, 2, 3, 4, 5})

# Holidays come from the platform's holiday calendar (apps.calendar), which lives in the database.
pytestmark = pytest.mark.django_db


def utc(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=UTC)


def open_of(window: CallingWindow, at: datetime.datetime) -> set[str]:
    return set(open_time_zones(window, at, ZONES))


# --- the window, plain Python ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        # Mon 2 Mar 2026. 01:30 UTC: Shanghai 09:30, Urumqi 07:30 (too early), New York Sun 20:30.
        (utc(2026, 3, 2, 1, 30), {"Asia/Shanghai", "America/New_York"}),
        # 02:00 UTC: Urumqi opens at 08:00 sharp; New York closes at 21:00 sharp.
        (utc(2026, 3, 2, 2, 0), {"Asia/Shanghai", "Asia/Urumqi"}),
        # 13:30 UTC: Shanghai 21:30 (closed), Urumqi 19:30, New York 08:30 (EST).
        (utc(2026, 3, 2, 13, 30), {"Asia/Urumqi", "America/New_York"}),
        # 18:00 UTC: Shanghai and Urumqi asleep, New York 13:00.
        (utc(2026, 3, 2, 18, 0), {"America/New_York"}),
        # After New York moves to daylight time (8 Mar 2026) 12:30 UTC is 08:30 there (EDT).
        (utc(2026, 3, 9, 12, 30), {"Asia/Shanghai", "Asia/Urumqi", "America/New_York"}),
        (utc(2026, 3, 2, 12, 30), {"Asia/Shanghai", "Asia/Urumqi"}),  # 07:30 EST a week earlier
    ],
)
def test_the_default_window_is_08_to_21_in_each_contacts_own_zone(at, expected):
    assert open_of(calling_window(), at) == expected


def test_a_public_holiday_is_skipped_in_the_contacts_local_date():
    # 1 Oct 2026 (National Day) 00:30 UTC: 08:30 on the holiday in Shanghai; 20:30 on 30 Sep in New York.
    at = utc(2026, 10, 1, 0, 30)

    assert open_of(calling_window(), at) == {"America/New_York"}
    assert open_of(calling_window(skip_holidays=False), at) == {"Asia/Shanghai", "America/New_York"}


def test_a_make_up_workday_is_dialled_even_when_weekends_are_off():
    window = calling_window(weekdays=WEEKDAYS_ONLY)
    makeup_saturday = utc(2026, 10, 10, 2, 0)  # 10:00 in Shanghai, a 调休 working Saturday
    plain_saturday = utc(2026, 10, 17, 2, 0)

    assert day_kind(datetime.date(2026, 10, 10)) == "makeup"
    assert day_kind(datetime.date(2026, 10, 1)) == "holiday"
    assert day_kind(datetime.date(2026, 10, 17)) == "plain"
    assert is_open_for(window, "Asia/Shanghai", makeup_saturday)
    assert not is_open_for(window, "Asia/Shanghai", plain_saturday)
    assert not is_open_for(
        calling_window(weekdays=WEEKDAYS_ONLY, skip_holidays=False), "Asia/Shanghai", makeup_saturday
    )


def test_campaign_dates_bound_the_window_in_local_dates():
    window = calling_window(start_date=datetime.date(2026, 3, 3), end_date=datetime.date(2026, 3, 3))

    # 2 Mar 20:00 UTC: already 3 Mar 04:00 in Shanghai (too early), still 2 Mar 15:00 in New York.
    assert open_of(window, utc(2026, 3, 2, 20, 0)) == set()
    assert open_of(window, utc(2026, 3, 3, 2, 0)) == {"Asia/Shanghai", "Asia/Urumqi"}
    # 3 Mar 20:00 UTC: 4 Mar in Asia (after the last day), 3 Mar 15:00 in New York.
    assert open_of(window, utc(2026, 3, 3, 20, 0)) == {"America/New_York"}


def test_next_open_time_for_display_and_rescheduling():
    window = calling_window(weekdays=WEEKDAYS_ONLY)

    # National Day runs 1–7 October 2026; Thursday the 8th is the first working day.
    assert next_open_local(window, "Asia/Shanghai", utc(2026, 10, 1, 2, 0)).isoformat() == "2026-10-08T08:00:00+08:00"
    # Friday 9 Oct, 22:00 in Shanghai: next comes the make-up Saturday, not Monday.
    assert next_open_local(window, "Asia/Shanghai", utc(2026, 10, 9, 14, 0)).isoformat() == "2026-10-10T08:00:00+08:00"
    # Inside the window: now.
    assert next_open_local(window, "Asia/Shanghai", utc(2026, 10, 9, 2, 0)) == utc(2026, 10, 9, 2, 0)


# --- the dialer's query -----------------------------------------------------------------------------------


@pytest.fixture
def tenant(acme):
    with tenant_context(acme.tenant):
        yield acme


def _handed_out(campaign, at: datetime.datetime) -> set[str]:
    return {target.number for target in source(at).take(campaign.pk, 100, 0.0)}


def test_take_hands_out_only_contacts_whose_local_time_is_inside_the_window(tenant):
    campaign = make_campaign()
    shanghai = make_contact(campaign, time_zone="Asia/Shanghai", next_attempt_at=utc(2026, 1, 1))
    urumqi = make_contact(campaign, time_zone="Asia/Urumqi", next_attempt_at=utc(2026, 1, 1))
    new_york = make_contact(
        campaign, phone="+12125550123", time_zone="America/New_York", next_attempt_at=utc(2026, 1, 1)
    )

    with transaction.atomic():
        assert _handed_out(campaign, utc(2026, 3, 2, 1, 30)) == {shanghai.phone, new_york.phone}
        transaction.set_rollback(True)
    with transaction.atomic():
        assert _handed_out(campaign, utc(2026, 3, 2, 13, 30)) == {urumqi.phone, new_york.phone}
        transaction.set_rollback(True)
    assert _handed_out(campaign, utc(2026, 10, 1, 0, 30)) == {new_york.phone}  # National Day in China


def test_take_dials_on_a_make_up_workday_but_not_on_a_holiday(tenant):
    campaign = make_campaign(weekdays=[1, 2, 3, 4, 5])
    contact = make_contact(campaign, next_attempt_at=utc(2026, 1, 1))

    assert _handed_out(campaign, utc(2026, 10, 5, 2, 0)) == set()  # Monday 5 Oct: still the holiday
    assert _handed_out(campaign, utc(2026, 10, 10, 2, 0)) == {contact.phone}  # make-up Saturday


# --- never dial DNC or unconsented numbers (property test) --------------------------------------------------

contact_flags = st.fixed_dictionaries(
    {
        "tenant_dnc": st.booleans(),
        "campaign_dnc": st.booleans(),
        "other_campaign_dnc": st.booleans(),
        "consent": st.sampled_from(["none", "active", "revoked", "future"]),
        "zone": st.sampled_from(ZONES),
    }
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    contacts=st.lists(contact_flags, min_size=1, max_size=25),
    marketing=st.booleans(),
    policy=st.booleans(),
    hour=st.integers(min_value=0, max_value=23),
)
def test_dnc_and_unconsented_numbers_are_never_handed_out(tenant, contacts, marketing, policy, hour):
    at = utc(2026, 3, 3, hour, 0)
    with transaction.atomic():
        campaign_policy_set(marketing_requires_consent=policy)
        campaign = make_campaign(is_marketing=marketing)
        other = make_campaign()
        dnc, consents, rows = [], [], []
        for index, flags in enumerate(contacts):
            phone = f"+86139{index:08d}"
            rows.append(
                Contact(campaign=campaign, phone=phone, time_zone=flags["zone"], next_attempt_at=utc(2026, 1, 1))
            )
            if flags["tenant_dnc"]:
                dnc.append(DoNotCall(number=phone))
            if flags["campaign_dnc"]:
                dnc.append(DoNotCall(number=phone, campaign=campaign))
            if flags["other_campaign_dnc"]:
                dnc.append(DoNotCall(number=phone, campaign=other))
            if flags["consent"] != "none":
                granted = at + timedelta(days=1) if flags["consent"] == "future" else at - timedelta(days=10)
                revoked = at - timedelta(days=1) if flags["consent"] == "revoked" else None
                consents.append(Consent(number=phone, source="test", granted_at=granted, revoked_at=revoked))
        # Written straight to the tables: the hand-out query itself is under test, not the
        # services that also close contacts when a number is added.
        Contact.objects.bulk_create(rows)
        DoNotCall.objects.bulk_create(dnc)
        Consent.objects.bulk_create(consents)

        handed = {target.number: target for target in source(at).take(campaign.pk, 100, 0.0)}

        window = calling_window()
        for index, flags in enumerate(contacts):
            phone = f"+86139{index:08d}"
            blocked = flags["tenant_dnc"] or flags["campaign_dnc"]
            unconsented = marketing and policy and flags["consent"] != "active"
            closed = not is_open_for(window, flags["zone"], at)
            if blocked or unconsented or closed:
                assert phone not in handed, (flags, marketing, policy)
            else:
                assert phone in handed, (flags, marketing, policy)  # and nobody eligible is left out
        transaction.set_rollback(True)
