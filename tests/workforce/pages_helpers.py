"""Shared set-up of the workforce page tests: people by role, shift types, a rostered shift."""

from __future__ import annotations

import datetime as dt

from django_tenants.utils import tenant_context

from apps.accounts.models import User
from apps.workforce.models import ShiftType
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
