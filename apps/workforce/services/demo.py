"""The demo tenant's workforce (``make run``): an HR login, four shift types, a published roster
for the demo agents this week and next, clock records for the days already worked (one late
clock-in and one absence among them), and a few requests waiting for someone (the demo agent's
leave, overtime and a swap; a colleague's leave for the supervisor).

Idempotent and quick: rows are found by their natural keys (e-mail, code, person and date) and
made only when missing; clock records only for a day a person has none; requests only while the
person has none of that kind. ``ensure_demo`` calls :func:`workforce_demo_ensure`.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django_tenants.utils import tenant_context

from apps.accounts.choices import Role
from apps.accounts.models import User
from apps.tenants.models import Tenant
from apps.workforce import rules
from apps.workforce.choices import ClockKind, ClockSource, LeaveKind, ShiftStatus, SwapStatus
from apps.workforce.models import ClockEvent, LeaveRequest, OvertimeRequest, Shift, ShiftType, SwapRequest
from apps.workforce.selectors.policy import tenant_zone
from apps.workforce.services.leave import leave_request_create
from apps.workforce.services.overtime import overtime_request_create
from apps.workforce.services.policy import seed_workforce_defaults
from apps.workforce.services.roster import roster_publish
from apps.workforce.services.swaps import swap_request_create

HR_USER = ("hr@demo.local", "DemoHr!2026", "赵人事", [Role.HR])
DEMO_AGENT_EMAIL = "agent@demo.local"
MAX_AGENTS = 12
SHIFT_TYPES = [
    # code, name, start, end, break minutes, colour
    ("M", "早班 Morning", "08:00", "16:30", 30, "#4f9dff"),
    ("D", "中班 Day", "12:00", "20:30", 30, "#36b37e"),
    ("E", "晚班 Evening", "16:00", "00:30", 30, "#ffab00"),
    ("N", "夜班 Night", "22:00", "06:30", 30, "#6554c0"),
]


def _shift_types() -> list[ShiftType]:
    made = []
    for code, name, start, end, break_minutes, colour in SHIFT_TYPES:
        shift_type, _created = ShiftType.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "start": dt.time.fromisoformat(start),
                "end": dt.time.fromisoformat(end),
                "break_minutes": break_minutes,
                "colour": colour,
            },
        )
        made.append(shift_type)
    return made


def _hr() -> User:
    email, password, name, roles = HR_USER
    user = User.objects.filter(email=email).first()
    return user or User.objects.create_user(email, password, name=name, roles=roles)


def _agents() -> list[User]:
    agents = list(User.objects.filter(is_active=True, roles__contains=[Role.AGENT]).order_by("email")[: MAX_AGENTS * 2])
    agents.sort(key=lambda user: (user.email != DEMO_AGENT_EMAIL, user.email))
    return agents[:MAX_AGENTS]


def _roster(agents: list[User], types: list[ShiftType], monday: dt.date) -> int:
    """Five days on, two off, a different day off and shift type per agent; only missing days."""
    zone = tenant_zone()
    days = [monday + dt.timedelta(days=n) for n in range(14)]
    taken = set(Shift.objects.filter(date__range=(days[0], days[-1])).values_list("user_id", "date"))
    new = []
    for index, agent in enumerate(agents):
        kind = types[0] if agent.email == DEMO_AGENT_EMAIL else types[index % len(types)]
        for number, day in enumerate(days):
            if (number + index) % 7 in (5, 6) or (agent.pk, day) in taken:
                continue
            start, end = rules.shift_instants(day, kind.start, kind.end, zone)
            new.append(
                Shift(user=agent, date=day, shift_type=kind, start=start, end=end, break_minutes=kind.break_minutes)
            )
    Shift.objects.bulk_create(new)
    return len(new)


def _clock_history(agents: list[User], monday: dt.date, now: dt.datetime) -> int:
    """Clock records for the shifts of this week that have ended: on time, except the demo
    agent's first shift (12 minutes late) and one colleague's absence."""
    shifts = list(
        Shift.objects.filter(user__in=agents, status=ShiftStatus.PUBLISHED, date__gte=monday, end__lte=now).order_by(
            "date", "user_id"
        )
    )
    has = set(ClockEvent.objects.filter(shift__in=shifts).values_list("shift_id", flat=True))
    absent_user = next((a.pk for a in agents if a.email != DEMO_AGENT_EMAIL), None)
    late_done = absent_done = False
    events = []
    for shift in shifts:
        if shift.pk in has:
            continue
        if shift.user_id == absent_user and not absent_done:
            absent_done = True
            continue
        minutes_early = 15
        if shift.user.email == DEMO_AGENT_EMAIL and not late_done:
            late_done = True
            minutes_early = -2  # 2 minutes after the start: 12 minutes late by the 10-minute rule
        events.append(
            ClockEvent(
                user_id=shift.user_id,
                kind=ClockKind.IN,
                at=shift.start - dt.timedelta(minutes=minutes_early),
                source=ClockSource.WEB,
                shift=shift,
            )
        )
        events.append(
            ClockEvent(
                user_id=shift.user_id,
                kind=ClockKind.OUT,
                at=shift.end + dt.timedelta(minutes=3),
                source=ClockSource.WEB,
                shift=shift,
            )
        )
    ClockEvent.objects.bulk_create(events)
    return len(events)


def _requests(agents: list[User], monday: dt.date) -> int:
    made = 0
    demo = next((a for a in agents if a.email == DEMO_AGENT_EMAIL), None)
    colleague = next((a for a in agents if a.email != DEMO_AGENT_EMAIL), None)
    next_monday = monday + dt.timedelta(days=7)
    zone = tenant_zone()
    if demo is not None and not LeaveRequest.objects.filter(user=demo).exists():
        leave_request_create(
            user=demo,
            kind=LeaveKind.PERSONAL,
            start_date=next_monday + dt.timedelta(days=3),
            end_date=next_monday + dt.timedelta(days=3),
            reason="家中有事 Family matter",
            actor=demo,
        )
        made += 1
    if colleague is not None and not LeaveRequest.objects.filter(user=colleague).exists():
        leave_request_create(
            user=colleague,
            kind=LeaveKind.PERSONAL,
            start_date=next_monday + dt.timedelta(days=1),
            end_date=next_monday + dt.timedelta(days=1),
            reason="体检 Medical check-up",
            actor=colleague,
        )
        made += 1
    if demo is not None and not OvertimeRequest.objects.filter(user=demo).exists():
        start = dt.datetime.combine(next_monday + dt.timedelta(days=4), dt.time(17, 0), tzinfo=zone)
        overtime_request_create(
            user=demo, start=start, end=start + dt.timedelta(hours=2), reason="活动高峰 Campaign peak", actor=demo
        )
        made += 1
    if demo is not None and colleague is not None and not SwapRequest.objects.filter(requester=demo).exists():
        mine = Shift.objects.filter(user=demo, date__gte=next_monday, status=ShiftStatus.PUBLISHED).order_by("date")
        for shift in mine:
            if not Shift.objects.filter(user=colleague, date=shift.date).exists():
                swap_request_create(
                    requester=demo, counterpart=colleague, requester_shift=shift, note="能帮我顶一下班吗？Cover for me?"
                )
                made += 1
                break
    return made


def workforce_demo_ensure(tenant, *, now: dt.datetime | None = None) -> dict[str, int]:
    """Give the demo tenant (a ``Tenant`` or its schema name) its workforce; returns what was made."""
    if isinstance(tenant, str):
        tenant = Tenant.objects.get(schema_name=tenant)
    with tenant_context(tenant), transaction.atomic():
        seed_workforce_defaults(None)
        hr = _hr()
        types = _shift_types()
        agents = _agents()
        if not agents:
            return {"shifts": 0, "clock_events": 0, "requests": 0}
        now = now or timezone.now()
        today = now.astimezone(tenant_zone()).date()
        monday = today - dt.timedelta(days=today.weekday())
        shifts = _roster(agents, types, monday)
        roster_publish(since=monday, until=monday + dt.timedelta(days=13), actor=hr)
        return {
            "shifts": shifts,
            "clock_events": _clock_history(agents, monday, now),
            "requests": _requests(agents, monday),
            "pending_swaps": SwapRequest.objects.filter(status=SwapStatus.PENDING_COUNTERPART).count(),
        }
