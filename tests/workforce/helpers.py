"""Shared makers of the workforce tests (inside ``tenant_context``)."""

from __future__ import annotations

import datetime as dt
import itertools
import zoneinfo

from apps.accounts.models import Team, User
from apps.workforce.choices import ClockKind, ClockSource, RequestStatus, ShiftStatus
from apps.workforce.models import ClockEvent, LeaveRequest, OvertimeRequest, Shift, ShiftType
from apps.workforce.services.roster import shift_assign

SH = zoneinfo.ZoneInfo("Asia/Shanghai")
_serial = itertools.count(1)


def at(day: str, time: str) -> dt.datetime:
    return dt.datetime.fromisoformat(f"{day}T{time}").replace(tzinfo=SH)


def shift_type(code: str = "D", start: str = "09:00", end: str = "18:00", break_minutes: int = 60) -> ShiftType:
    found = ShiftType.objects.filter(code=code).first()
    if found:
        return found
    return ShiftType.objects.create(
        code=code,
        name=code,
        start=dt.time.fromisoformat(start),
        end=dt.time.fromisoformat(end),
        break_minutes=break_minutes,
    )


def roster(user: User, days: list[str], kind: ShiftType, *, publish: bool = True) -> list[Shift]:
    shifts = [shift_assign(user=user, day=dt.date.fromisoformat(day), shift_type=kind) for day in days]
    if publish:
        Shift.objects.filter(pk__in=[s.pk for s in shifts]).update(
            status=ShiftStatus.PUBLISHED, published_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
        )
    return shifts


def clock(user: User, kind: str, moment: dt.datetime) -> ClockEvent:
    return ClockEvent.objects.create(user=user, kind=kind, at=moment, source=ClockSource.WEB)


def clock_pair(user: User, day: str, clock_in: str, clock_out: str, out_day: str | None = None) -> None:
    clock(user, ClockKind.IN, at(day, clock_in))
    clock(user, ClockKind.OUT, at(out_day or day, clock_out))


def approved_leave(user: User, kind: str, start: str, end: str) -> LeaveRequest:
    return LeaveRequest.objects.create(
        user=user,
        kind=kind,
        start_date=dt.date.fromisoformat(start),
        end_date=dt.date.fromisoformat(end),
        status=RequestStatus.APPROVED,
    )


def approved_overtime(user: User, start: dt.datetime, end: dt.datetime, day_kind: str) -> OvertimeRequest:
    return OvertimeRequest.objects.create(
        user=user, start=start, end=end, reason="busy", day_kind=day_kind, status=RequestStatus.APPROVED
    )


def team(*, supervisors: list[User], members: list[User]) -> Team:
    made = Team.objects.create(name=f"WF team {next(_serial)}")
    made.supervisors.set(supervisors)
    made.members.set(members)
    return made
