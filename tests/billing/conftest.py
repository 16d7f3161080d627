"""A known month of usage in two tenants: the calls, recordings, seat-days and numbers the
metering, rating and close tests compute by hand."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.test import Client
from django_tenants.utils import schema_context, tenant_context
from rest_framework.test import APIClient

from apps.accounts.models import User
from apps.billing.periods import billing_today, billing_zone, previous_month
from apps.telephony.models import Call, Recording, Trunk
from apps.tenants.choices import PoolNumberStatus
from apps.tenants.models import PoolNumber, SeatUsageDay
from apps.tenants.services.usage import seat_days_record
from tests.conftest import PASSWORD, TenantWorld
from tests.factories import CallFactory, TrunkFactory


def at(day: date, hour: int, minute: int = 0, second: int = 0) -> datetime:
    """A moment of a billing day, Asia/Shanghai."""
    return datetime.combine(day, time(hour, minute, second), tzinfo=billing_zone())


@dataclass
class KnownMonth:
    month: date
    day: date  # D: the 10th
    unicom: Trunk  # acme's second trunk: 0.08/min, 310 CNY/month
    acme_default: Trunk
    globex_default: Trunk


def _call(**fields) -> Call:
    return CallFactory(**fields)


@pytest.fixture
def known_month(acme: TenantWorld, globex: TenantWorld) -> KnownMonth:
    month = previous_month(billing_today().replace(day=1))
    day = month + timedelta(days=9)
    long_ago = at(month - timedelta(days=10), 9)
    with tenant_context(acme.tenant):
        Trunk.objects.all().update(created_at=long_ago, per_minute_rate=Decimal("0.1200"), monthly_rental=0)
        acme_default = Trunk.objects.get(is_default=True)
        unicom = TrunkFactory(
            name="Unicom", per_minute_rate=Decimal("0.0800"), monthly_rental=Decimal("310.00"), created_at=long_ago
        )
        first = _call(direction="inbound", trunk=unicom, arrived_at=at(day, 10), talk_seconds=61)  # 2 min
        second = _call(direction="inbound", trunk=unicom, arrived_at=at(day, 11), talk_seconds=60)  # 1 min
        _call(direction="outbound", trunk=unicom, arrived_at=at(day, 12), talk_seconds=1)  # 1 min
        _call(direction="inbound", trunk=unicom, arrived_at=at(day, 13), talk_seconds=0)  # unanswered
        _call(direction="internal", trunk=unicom, arrived_at=at(day, 14), talk_seconds=100)  # not billed
        _call(direction="inbound", trunk=None, arrived_at=at(day, 15), talk_seconds=30)  # default trunk, 1 min
        _call(direction="outbound", trunk=unicom, arrived_at=at(day - timedelta(days=1), 23, 59, 30), talk_seconds=120)
        _call(direction="outbound", trunk=unicom, arrived_at=at(day, 0, 0, 10), talk_seconds=59.5)  # 1 min
        Recording.objects.create(
            call=first,
            file="r/1.wav",
            duration_seconds=61,
            size_bytes=2_000_000_000,
            created_at=at(day - timedelta(days=1), 12),
        )
        Recording.objects.create(
            call=second, file="r/2.wav", duration_seconds=60, size_bytes=500_000_000, created_at=at(day, 12)
        )
    with tenant_context(globex.tenant):
        Trunk.objects.all().update(created_at=long_ago, per_minute_rate=Decimal("0.1000"), monthly_rental=0)
        globex_default = Trunk.objects.get(is_default=True)
        _call(direction="outbound", trunk=globex_default, arrived_at=at(day, 10), talk_seconds=125)  # 3 min
    with schema_context("public"):
        SeatUsageDay.objects.filter(tenant__in=[acme.tenant, globex.tenant]).delete()
        seat_days_record(tenant_id=acme.tenant.pk, seats=5, day=day)
        seat_days_record(tenant_id=globex.tenant.pk, seats=2, day=day)
        PoolNumber.objects.filter(tenant__in=[acme.tenant, globex.tenant]).update(assigned_at=at(billing_today(), 0, 1))
        PoolNumber.objects.create(
            number="4000999001",
            status=PoolNumberStatus.ASSIGNED,
            tenant=acme.tenant,
            assigned_at=at(day - timedelta(days=1), 8),
        )
    return KnownMonth(month=month, day=day, unicom=unicom, acme_default=acme_default, globex_default=globex_default)


def _public_user(email: str, *, staff: bool) -> User:
    with schema_context("public"):
        if staff:
            return User.objects.create_superuser(email, PASSWORD)
        return User.objects.create_user(email, PASSWORD)


@pytest.fixture
def staff(db) -> User:
    return _public_user("billing-ops@platform.test", staff=True)


@pytest.fixture
def outsider(db) -> User:
    return _public_user("not-staff@platform.test", staff=False)


def console(user: User | None = None, language: str = "en") -> Client:
    client = Client(HTTP_HOST=settings.PLATFORM_DOMAIN, HTTP_ACCEPT_LANGUAGE=language)
    if user is not None:
        with schema_context("public"):
            client.force_login(user)
    return client


def platform_api(user: User | None = None) -> APIClient:
    client = APIClient(HTTP_HOST=settings.PLATFORM_DOMAIN)
    if user is not None:
        with schema_context("public"):
            client.force_login(user)
    return client
