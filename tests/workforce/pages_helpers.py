"""Shared set-up of the workforce page tests: people by role, shift types, a rostered shift."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django_tenants.utils import tenant_context

from apps.accounts.models import User
from apps.workforce.models import ShiftType
from apps.workforce.selectors.policy import tenant_zone
from apps.workforce.services.roster import roster_publish, shift_assign, shift_type_create
from tests.accounts.helpers import web_login
from tests.conftest import TenantWorld

_counter = 0
MONDAY = dt.date(2026, 9, 21)  # Mid-autumn on Friday 25th; the make-up workday is Sunday 20th


def person(world: TenantWorld, *roles: str, name: str = "") -> User:
    global _counter
    _counter += 1
    user = world.user(*roles, email=f"wf{_counter}-{'-'.join(roles)}@{world.tenant.slug}.test")
    if name:
        with tenant_context(world.tenant):
            User.objects.filter(pk=user.pk).update(name=name)
            user.refresh_from_db()
    return user


def login(world: TenantWorld, user: User):
    return web_login(world, user.email)


def shift_types(world: TenantWorld) -> dict[str, ShiftType]:
    with tenant_context(world.tenant):
        return {
            "D": shift_type_create(code="D", name="Day", start=dt.time(9), end=dt.time(18), break_minutes=60),
            "N": shift_type_create(code="N", name="Night", start=dt.time(22), end=dt.time(6), colour="#222266"),
        }


def rostered(world: TenantWorld, user: User, shift_type: ShiftType, day: dt.date, *, publish: bool = True):
    with tenant_context(world.tenant):
        shift = shift_assign(user=user, day=day, shift_type=shift_type)
        if publish:
            roster_publish(since=day, until=day, actor=None)
            shift.refresh_from_db()
        return shift


def started_type(world: TenantWorld, *, minutes_ago: int = 30, hours: int = 8, code: str = "NOW") -> tuple:
    """A shift type that started ``minutes_ago`` (local time) and the date it started on."""
    with tenant_context(world.tenant):
        begins = (
            (timezone.now() - dt.timedelta(minutes=minutes_ago))
            .astimezone(tenant_zone())
            .replace(second=0, microsecond=0)
        )
        ends = begins + dt.timedelta(hours=hours)
        kind = shift_type_create(
            code=code, name=f"Shift {code}", start=begins.time(), end=ends.time(), break_minutes=30
        )
        return kind, begins.date()
