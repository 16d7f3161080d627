"""Attendance per person and month: the payroll export, the reports and discipline read it here.

Built for a whole company at once: a handful of flat queries (published shifts, clock records
that are not voided, approved leave and overtime, open review flags), then the rules of
``apps/workforce/rules.py`` in Python. Nothing is stored: a correction or a late approval shows
in the next read. Shifts belong to the month of their date; a night shift's clock-out on the
1st is read from the next month's first hours.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone

from apps.workforce import rules
from apps.workforce.choices import ClockKind, LeaveKind, RequestStatus, ShiftStatus
from apps.workforce.models import ClockEvent, DismissalReviewFlag, LeaveRequest, OvertimeRequest, Shift
from apps.workforce.selectors.policy import PolicyTimeline, tenant_zone

# A sick spell that began before the period is numbered from its start: look back this far.
SICK_LOOKBACK_DAYS = 62

LEAVE_KINDS = [kind for kind, _label in LeaveKind.choices]


@dataclass
class ShiftDay:
    """One published shift with its matched clock records and judgement."""

    shift_id: int
    date: dt.date
    start: dt.datetime
    end: dt.datetime
    clock_in: dt.datetime | None
    clock_out: dt.datetime | None
    judgement: rules.ShiftJudgement
    leave_kind: str = ""
    sick_share: float = 0.0


@dataclass
class PersonMonth:
    user_id: int
    name: str = ""
    email: str = ""
    days: list[ShiftDay] = field(default_factory=list)
    overtime_hours: dict[str, Decimal] = field(
        default_factory=lambda: {kind: Decimal("0.00") for kind in rules.OVERTIME_DAY_KINDS}
    )
    review_flags: list[str] = field(default_factory=list)

    def row(self) -> dict[str, Any]:
        """The export contract's row (docs/api.md, "Attendance")."""
        leave_days = dict.fromkeys(LEAVE_KINDS, 0)
        flags: list[str] = []
        late_count = late_minutes = early = absent = scheduled = worked = 0
        sick = 0.0
        for day in self.days:
            judged = day.judgement
            scheduled += judged.scheduled_minutes
            worked += judged.worked_minutes
            if judged.on_leave:
                leave_days[day.leave_kind] += 1
                sick += day.sick_share
            if judged.late:
                late_count += 1
                late_minutes += judged.late_minutes
            early += judged.early_leave_minutes
            if judged.absent:
                absent += 1
                flags.append(f"absent:{day.date.isoformat()}")
            if judged.missing_clock_out:
                flags.append(f"missing_clock_out:{day.date.isoformat()}")
        flags += [f"review:{rule}" for rule in self.review_flags]
        return {
            "user_id": self.user_id,
            "user": self.name or self.email,
            "email": self.email,
            "scheduled_days": len(self.days),
            "scheduled_hours": _hours(scheduled),
            "worked_hours": _hours(worked),
            "late_count": late_count,
            "late_minutes": late_minutes,
            "early_leave_minutes": early,
            "absent_days": absent,
            "leave_days": leave_days,
            "sick_deduction_days": float(Decimal(str(sick)).quantize(Decimal("0.01"))),
            "overtime_hours": {kind: float(hours) for kind, hours in self.overtime_hours.items()},
            "flags": flags,
        }


def _hours(minutes: int) -> float:
    return float((Decimal(minutes) / Decimal(60)).quantize(Decimal("0.01")))


def attendance_people(
    since: dt.date,
    until: dt.date,
    *,
    user_ids: Iterable[int] | None = None,
    now: dt.datetime | None = None,
) -> dict[int, PersonMonth]:
    """Every person with a published shift, leave or approved overtime in ``since``–``until``
    (or only ``user_ids``), with each shift judged. Keyed by user id."""
    now = now or timezone.now()
    zone = tenant_zone()
    timeline = PolicyTimeline()
    id_filter = None if user_ids is None else set(user_ids)

    def scoped(queryset):
        return queryset if id_filter is None else queryset.filter(user_id__in=id_filter)

    ids_sql, ids_params = ("", []) if id_filter is None else (" AND user_id = ANY(%s)", [sorted(id_filter)])
    shift_rows = _fetch(  # table names from the models, values as parameters
        f"""SELECT id, user_id, date, (EXTRACT(EPOCH FROM start) * 1000000)::int8, (EXTRACT(EPOCH FROM "end") * 1000000)::int8,
                   break_minutes
              FROM {Shift._meta.db_table}
             WHERE status = %s AND date BETWEEN %s AND %s{ids_sql}
             ORDER BY user_id, start""",  # noqa: S608
        [ShiftStatus.PUBLISHED, since, until, *ids_params],
    )
    window_start = dt.datetime.combine(since, dt.time.min, tzinfo=zone) - rules.CLOCK_IN_WINDOW
    window_end = dt.datetime.combine(until + dt.timedelta(days=2), dt.time.min, tzinfo=zone) + rules.CLOCK_OUT_WINDOW
    ins: dict[int, list[dt.datetime]] = defaultdict(list)
    outs: dict[int, list[dt.datetime]] = defaultdict(list)
    clock_rows = _fetch(
        f"""SELECT user_id, kind, (EXTRACT(EPOCH FROM at) * 1000000)::int8
              FROM {ClockEvent._meta.db_table}
             WHERE voided_at IS NULL AND at >= %s AND at < %s{ids_sql}
             ORDER BY at""",  # noqa: S608
        [window_start, window_end, *ids_params],
    )
    for user_id, kind, epoch in clock_rows:
        (ins if kind == ClockKind.IN else outs)[user_id].append(_instant(epoch))

    lookback = since - dt.timedelta(days=SICK_LOOKBACK_DAYS)
    leaves: dict[int, list[tuple[str, dt.date, dt.date]]] = defaultdict(list)
    for user_id, kind, start_date, end_date in scoped(
        LeaveRequest.objects.filter(status=RequestStatus.APPROVED, start_date__lte=until, end_date__gte=lookback)
    ).values_list("user_id", "kind", "start_date", "end_date"):
        leaves[user_id].append((kind, start_date, end_date))

    people: dict[int, PersonMonth] = {}

    def person(user_id: int) -> PersonMonth:
        found = people.get(user_id)
        if found is None:
            found = people[user_id] = PersonMonth(user_id=user_id)
        return found

    by_user: dict[int, list[rules.ShiftSlot]] = defaultdict(list)
    for shift_id, user_id, day, start, end, break_minutes in shift_rows:
        by_user[user_id].append(rules.ShiftSlot(shift_id, day, _instant(start), _instant(end), break_minutes))

    for user_id, slots in by_user.items():
        pairs = rules.match_clock_events(slots, ins.get(user_id, []), outs.get(user_id, []))
        user_leaves = leaves.get(user_id, [])
        target = person(user_id)
        for slot, pair in zip(slots, pairs, strict=True):
            leave_kind = _leave_on(user_leaves, slot.date) if user_leaves else ""
            judgement = rules.judge_shift(
                slot, pair, policy=timeline.rules_on(slot.date), now=now, on_leave=bool(leave_kind)
            )
            target.days.append(
                ShiftDay(
                    slot.key, slot.date, slot.start, slot.end, pair.clock_in, pair.clock_out, judgement, leave_kind
                )
            )
    _apply_sick_deductions(people, leaves, since, timeline, scoped)

    for user_id in leaves:
        if any(start <= until and end >= since for _kind, start, end in leaves[user_id]):
            person(user_id)
    first = dt.datetime.combine(since, dt.time.min, tzinfo=zone)
    last = dt.datetime.combine(until + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
    for user_id, day_kind, start, end in scoped(
        OvertimeRequest.objects.filter(status=RequestStatus.APPROVED, start__gte=first, start__lt=last)
    ).values_list("user_id", "day_kind", "start", "end"):
        person(user_id).overtime_hours[day_kind] += rules.overtime_hours(start, end)
    for user_id, rule in scoped(DismissalReviewFlag.objects.filter(reviewed_at__isnull=True)).values_list(
        "user_id", "rule"
    ):
        if user_id in people:
            people[user_id].review_flags.append(rule)

    users = get_user_model().objects.filter(pk__in=list(people)).values_list("pk", "name", "email")
    for pk, name, email in users:
        people[pk].name, people[pk].email = name, email
    return people


def _fetch(sql: str, params: list) -> list[tuple]:
    """Rows of one raw query. The month's 40,000 shifts and 80,000 clock records are read with
    their instants as epoch microseconds: parsing 170,000 timestamps as text took most of the export's
    time (bench/workforce.py); ``_instant`` turns them back into aware datetimes ~10× faster."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def _instant(microseconds: int) -> dt.datetime:
    """Exact to the microsecond (a float would put 08:50:00 a microsecond late)."""
    return _EPOCH + dt.timedelta(microseconds=microseconds)


def _leave_on(user_leaves: list[tuple[str, dt.date, dt.date]], day: dt.date) -> str:
    for kind, start, end in user_leaves:
        if start <= day <= end:
            return kind
    return ""


def _apply_sick_deductions(people, leaves, since, timeline: PolicyTimeline, scoped) -> None:
    """Number the sick days of each spell, reading back before ``since`` for people whose sick
    leave began earlier (one extra query for those people only)."""
    early_sick = {
        user_id
        for user_id, rows in leaves.items()
        if user_id in people and any(kind == LeaveKind.SICK and start < since for kind, start, _end in rows)
    }
    earlier: dict[int, list[dt.date]] = defaultdict(list)
    if early_sick:
        for user_id, day in (
            Shift.objects.filter(
                status=ShiftStatus.PUBLISHED,
                user_id__in=early_sick,
                date__gte=since - dt.timedelta(days=SICK_LOOKBACK_DAYS),
                date__lt=since,
            )
            .order_by("user_id", "date")
            .values_list("user_id", "date")
        ):
            earlier[user_id].append(day)
    for user_id, target in people.items():
        user_leaves = leaves.get(user_id, [])
        if not any(kind == LeaveKind.SICK for kind, _start, _end in user_leaves):
            continue
        sequence = [(day, _leave_on(user_leaves, day) == LeaveKind.SICK) for day in earlier.get(user_id, [])]
        sequence += [(day.date, day.leave_kind == LeaveKind.SICK) for day in target.days]
        shares = rules.sick_deductions(sequence, policy=timeline.rules_on(since))
        for day in target.days:
            if day.leave_kind == LeaveKind.SICK:
                day.sick_share = shares.get(day.date, 0.0)


def attendance_month(
    month: str, *, user_ids: Iterable[int] | None = None, now: dt.datetime | None = None
) -> list[dict[str, Any]]:
    """The payroll rows of ``month`` (``YYYY-MM``), one per person, ordered by e-mail.
    Raises ValueError for a malformed month."""
    since, until = rules.month_bounds(month)
    people = attendance_people(since, until, user_ids=user_ids, now=now)
    return sorted((person.row() for person in people.values()), key=lambda row: row["email"])


EXPORT_HEADER = [
    "user",
    "email",
    "scheduled_days",
    "scheduled_hours",
    "worked_hours",
    "late_count",
    "late_minutes",
    "early_leave_minutes",
    "absent_days",
    *[f"leave_days_{kind}" for kind in LEAVE_KINDS],
    "sick_deduction_days",
    *[f"overtime_hours_{kind}" for kind in rules.OVERTIME_DAY_KINDS],
    "flags",
]


def export_rows(rows: list[dict[str, Any]]) -> Iterator[list[Any]]:
    """The header, then one flat list per person (CSV/XLSX: nested figures get a column each)."""
    yield list(EXPORT_HEADER)
    for row in rows:
        yield [
            row["user"],
            row["email"],
            row["scheduled_days"],
            row["scheduled_hours"],
            row["worked_hours"],
            row["late_count"],
            row["late_minutes"],
            row["early_leave_minutes"],
            row["absent_days"],
            *[row["leave_days"][kind] for kind in LEAVE_KINDS],
            row["sick_deduction_days"],
            *[row["overtime_hours"][kind] for kind in rules.OVERTIME_DAY_KINDS],
            "; ".join(row["flags"]),
        ]


def flatten(row: dict[str, Any]) -> dict[str, Any]:
    """One row as a flat dict keyed like :data:`EXPORT_HEADER` (for the DRF CSV/XLSX renderers)."""
    return dict(zip(EXPORT_HEADER, list(export_rows([row]))[1], strict=True))


def absence_history(
    user_id: int, *, since: dt.date, until: dt.date, now: dt.datetime | None = None
) -> list[tuple[dt.date, bool]]:
    """One person's scheduled dates in ``since``–``until`` with whether each was an absence
    (discipline reads it)."""
    person = attendance_people(since, until, user_ids=[user_id], now=now).get(user_id)
    if person is None:
        return []
    return [(day.date, day.judgement.absent) for day in person.days]
