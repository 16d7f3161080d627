"""Helpers for the tenancy tests: a snapshot of everything a sign-up could leave behind."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.db import connection
from django_tenants.utils import schema_context

from apps.tenants.choices import PoolNumberStatus
from apps.tenants.models import Domain, PoolNumber, SeatUsageDay, SipDirectoryEntry, Tenant, UsageEvent


@dataclass(frozen=True)
class PlatformState:
    tenants: int
    domains: int
    usage_events: int
    seat_days: int
    sip_entries: int
    available_numbers: frozenset[str]
    schemas: frozenset[str]


def schema_names() -> frozenset[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT nspname FROM pg_namespace")
        return frozenset(row[0] for row in cursor.fetchall())


def schema_exists(name: str) -> bool:
    return name in schema_names()


def platform_state() -> PlatformState:
    with schema_context("public"):
        return PlatformState(
            tenants=Tenant.objects.count(),
            domains=Domain.objects.count(),
            usage_events=UsageEvent.objects.count(),
            seat_days=SeatUsageDay.objects.count(),
            sip_entries=SipDirectoryEntry.objects.count(),
            available_numbers=frozenset(
                PoolNumber.objects.filter(status=PoolNumberStatus.AVAILABLE).values_list("number", flat=True)
            ),
            schemas=schema_names(),
        )


@pytest.fixture
def state_before(db) -> PlatformState:
    """The platform as it was when the test started; compare with ``platform_state()`` after."""
    return platform_state()


@pytest.fixture
def empty_pool(db) -> None:
    """Every pool number is taken (rolled back with the test)."""
    with schema_context("public"):
        PoolNumber.objects.filter(status=PoolNumberStatus.AVAILABLE).update(status=PoolNumberStatus.ASSIGNED)
