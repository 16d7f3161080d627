"""The demo's workforce (apps/workforce/services/demo.py): made once, quickly, and again nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django_tenants.utils import tenant_context

from apps.workforce.choices import ClockKind, ShiftStatus
from apps.workforce.models import ClockEvent, LeaveRequest, OvertimeRequest, Shift, ShiftType, SwapRequest
from apps.workforce.services.demo import workforce_demo_ensure
from tests.workforce.helpers import SH

pytestmark = pytest.mark.django_db


def test_the_demo_is_made_once(acme):
    with tenant_context(acme.tenant):
        acme.user("agent", email="agent@demo.local")
        for _ in range(4):
            acme.user("agent")
    now = dt.datetime(2026, 12, 10, 12, 0, tzinfo=SH)  # a Thursday
    first = workforce_demo_ensure(acme.tenant.schema_name, now=now)
    assert first["shifts"] == 5 * 10  # five agents, two weeks of five days
    assert first["requests"] == 4
    second = workforce_demo_ensure(acme.tenant, now=now)
    assert second["shifts"] == 0 and second["clock_events"] == 0 and second["requests"] == 0
    with tenant_context(acme.tenant):
        assert ShiftType.objects.count() == 4
        assert not Shift.objects.exclude(status=ShiftStatus.PUBLISHED).exists()
        assert Shift.objects.filter(date__range=(dt.date(2026, 12, 7), dt.date(2026, 12, 20))).count() == 50
        assert ClockEvent.objects.filter(kind=ClockKind.IN).exists()
        assert LeaveRequest.objects.count() == 2 and OvertimeRequest.objects.count() == 1
        assert SwapRequest.objects.count() == 1
