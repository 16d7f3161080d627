"""Metering against known calls, recordings, seat-days and numbers in two tenants."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django_tenants.utils import tenant_context

from apps.billing.models import MeteredDay, UsageDay
from apps.billing.services.metering import usage_meter_missing, usage_meter_tenant
from apps.billing.tasks import meter_usage_task
from apps.telephony.models import Call, Recording
from apps.telephony.signals import history_written
from tests.factories import CallFactory

from .conftest import at


def _rows(tenant, first, last) -> dict[tuple, Decimal]:
    return {
        (row.day, row.item, row.ref): row.quantity
        for row in UsageDay.objects.filter(tenant=tenant, day__gte=first, day__lte=last)
    }


def test_minutes_are_talk_rounded_up_per_call_by_trunk_direction_and_arrival_day(acme, known_month):
    day, before = known_month.day, known_month.day - timedelta(days=1)
    usage_meter_tenant(tenant=acme.tenant, first_day=before, last_day=day)
    rows = _rows(acme.tenant, before, day)
    unicom, default = str(known_month.unicom.pk), str(known_month.acme_default.pk)
    assert rows[(day, "minutes_inbound", unicom)] == 3  # 61 s → 2, 60 s → 1; the unanswered call is no minute
    assert rows[(day, "minutes_outbound", unicom)] == 2  # 1 s → 1, 59.5 s just after midnight → 1
    assert rows[(day, "minutes_inbound", default)] == 1  # no trunk: charged on the default trunk
    assert rows[(before, "minutes_outbound", unicom)] == 2  # 23:59:30 Shanghai belongs to the day before
    assert not [key for key in rows if key[1].startswith("minutes") and key[0] == day and rows[key] == 100]
    row = UsageDay.objects.get(tenant=acme.tenant, day=day, item="minutes_inbound", ref=unicom)
    assert (row.rate, row.ref_label) == (Decimal("0.0800"), "Unicom")


def test_storage_numbers_trunks_and_seats_per_day(acme, known_month):
    day, before = known_month.day, known_month.day - timedelta(days=1)
    usage_meter_tenant(tenant=acme.tenant, first_day=before - timedelta(days=1), last_day=day)
    rows = _rows(acme.tenant, before - timedelta(days=1), day)
    assert rows[(before, "storage_gb_days", "")] == Decimal("2")
    assert rows[(day, "storage_gb_days", "")] == Decimal("2.5")
    assert (before - timedelta(days=1), "storage_gb_days", "") not in rows
    assert rows[(before, "number_days", "")] == 1  # assigned that morning; the sign-up number only today
    assert (before - timedelta(days=1), "number_days", "") not in rows
    assert rows[(day, "seat_days", "")] == 5
    assert (before, "seat_days", "") not in rows  # no seat-day row metered that day: no charge
    assert rows[(day, "trunk_days", str(known_month.unicom.pk))] == 1
    unicom_rental = UsageDay.objects.get(tenant=acme.tenant, day=day, item="trunk_days", ref=str(known_month.unicom.pk))
    assert unicom_rental.rate == Decimal("310.00")


def test_tenants_are_metered_apart(acme, globex, known_month):
    day = known_month.day
    usage_meter_tenant(tenant=acme.tenant, first_day=day, last_day=day)
    usage_meter_tenant(tenant=globex.tenant, first_day=day, last_day=day)
    globex_rows = _rows(globex.tenant, day, day)
    assert globex_rows[(day, "minutes_outbound", str(known_month.globex_default.pk))] == 3
    assert globex_rows[(day, "seat_days", "")] == 2
    assert not [key for key in globex_rows if key[1] in ("minutes_inbound", "storage_gb_days")]
    assert sum(q for (_d, item, _r), q in _rows(acme.tenant, day, day).items() if item == "minutes_outbound") == 2


def test_metering_twice_writes_the_same_rows(acme, known_month):
    first, last = known_month.month, known_month.day
    usage_meter_tenant(tenant=acme.tenant, first_day=first, last_day=last)
    once = _rows(acme.tenant, first, last)
    usage_meter_tenant(tenant=acme.tenant, first_day=first, last_day=last)
    assert _rows(acme.tenant, first, last) == once
    assert MeteredDay.objects.filter(tenant=acme.tenant, day__gte=first, day__lte=last).count() == 10


def test_gap_fill_keeps_a_metered_day_and_explicit_meter_rereads_it(acme, known_month):
    day = known_month.day
    usage_meter_tenant(tenant=acme.tenant, first_day=day, last_day=day)
    with tenant_context(acme.tenant):
        Recording.objects.all().delete()  # retention, later
        CallFactory(direction="inbound", trunk=known_month.unicom, arrived_at=at(day, 16), talk_seconds=600)
    usage_meter_missing(tenant=acme.tenant, first_day=day, last_day=day)
    assert _rows(acme.tenant, day, day)[(day, "storage_gb_days", "")] == Decimal("2.5")
    usage_meter_tenant(tenant=acme.tenant, first_day=day, last_day=day)
    rows = _rows(acme.tenant, day, day)
    assert (day, "storage_gb_days", "") not in rows
    assert rows[(day, "minutes_inbound", str(known_month.unicom.pk))] == 13


def test_meter_usage_command_and_task(acme, globex, known_month, capsys):
    day = known_month.day.isoformat()
    call_command("meter_usage", "--tenant", "all", "--since", day, "--until", day)
    out = capsys.readouterr().out
    assert "acme: 1 days" in out and "globex: 1 days" in out
    assert UsageDay.objects.filter(tenant=globex.tenant, day=known_month.day, item="minutes_outbound").exists()
    assert meter_usage_task() > 0  # yesterday and today, every tenant
    assert MeteredDay.objects.filter(tenant=acme.tenant, day=known_month.day).count() == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--tenant", "nobody"], "No tenant"),
        (["--tenant", "acme", "--since", "2026-02-30"], "expected a date"),
        (["--tenant", "acme", "--since", "2026-03-02", "--until", "2026-03-01"], "after --until"),
        (["--tenant", "acme", "--since", "2999-01-01", "--until", "2999-01-02"], "future"),
    ],
)
def test_meter_usage_command_refuses_bad_input(acme, args, message):
    before = UsageDay.objects.count()
    with pytest.raises(CommandError, match=message):
        call_command("meter_usage", *args)
    assert UsageDay.objects.count() == before


def test_generated_history_is_metered_when_written(acme, known_month):
    day = known_month.day
    with tenant_context(acme.tenant):
        history_written.send(
            sender=Call, since=at(day - timedelta(days=1), 0), until=at(day + timedelta(days=1), 0), tenant=acme.tenant
        )
    assert set(MeteredDay.objects.filter(tenant=acme.tenant).values_list("day", flat=True)) == {
        day - timedelta(days=1),
        day,
    }
    assert _rows(acme.tenant, day, day)[(day, "minutes_inbound", str(known_month.unicom.pk))] == 3
