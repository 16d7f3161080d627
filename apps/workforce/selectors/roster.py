"""What the roster editor and the agent's schedule page read: the people on a roster, their
shifts over a range of dates, the calendar of those dates (holidays and make-up workdays, 调休)
and the coverage of one day against the staffing requirement.

Supervisors see the people in their scope (``selectors.people``); HR and administrators everyone.
The roster shows active people who take calls or lead those who do, plus anyone who already has
a shift in the range (a colleague from another role lent for a week stays visible).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import Q

from apps.accounts.choices import Role
from apps.accounts.models import Team, User
from apps.calendar.selectors import DayInfo, calendar_for
from apps.workforce.choices import ShiftStatus
from apps.workforce.models import Shift
from apps.workforce.selectors.people import scope_user_ids
from apps.workforce.selectors.staffing import required_staff, scheduled_staff

ROSTERED_ROLES = (Role.AGENT, Role.SUPERVISOR)


def week_start(day: dt.date) -> dt.date:
    """The Monday of ``day``'s week (rosters are edited a week from Monday at a time)."""
    return day - dt.timedelta(days=day.weekday())


def month_range(day: dt.date) -> tuple[dt.date, dt.date]:
    first = day.replace(day=1)
    following = (first + dt.timedelta(days=32)).replace(day=1)
    return first, following - dt.timedelta(days=1)


def dates_between(since: dt.date, until: dt.date) -> list[dt.date]:
    return [since + dt.timedelta(days=n) for n in range((until - since).days + 1)]


def calendar_days(since: dt.date, until: dt.date) -> list[DayInfo]:
    """Each date with what the company's calendar says of it (holiday, in lieu, make-up workday)."""
    calendar = calendar_for()
    return [calendar.day_info(day) for day in dates_between(since, until)]


def roster_people(viewer: User, since: dt.date, until: dt.date, *, team: Team | None = None) -> list[User]:
    """Who the roster lists for ``viewer``, by name."""
    people = get_user_model().objects.filter(
        Q(is_active=True, roles__overlap=list(ROSTERED_ROLES)) | Q(shifts__date__range=(since, until))
    )
    scope = scope_user_ids(viewer)
    if scope is not None:
        people = people.filter(pk__in=scope)
    if team is not None:
        people = people.filter(Q(teams=team) | Q(workforce_profile__team=team))
    return list(people.distinct().order_by("name", "email"))


@dataclass(frozen=True)
class Cell:
    """One person on one date: their shift (or none) as the grid shows it."""

    user_id: int
    date: dt.date
    shift: Shift | None

    @property
    def key(self) -> str:
        return f"{self.user_id}:{self.date.isoformat()}"


def roster_rows(people: list[User], since: dt.date, until: dt.date) -> list[tuple[User, list[Cell]]]:
    """One row per person, one cell per date (one query for every shift)."""
    shifts = {
        (shift.user_id, shift.date): shift
        for shift in Shift.objects.filter(user__in=people, date__range=(since, until)).select_related("shift_type")
    }
    days = dates_between(since, until)
    return [(person, [Cell(person.pk, day, shifts.get((person.pk, day))) for day in days]) for person in people]


def draft_count(since: dt.date, until: dt.date, user_ids: list[int] | None = None) -> int:
    drafts = Shift.objects.filter(status=ShiftStatus.DRAFT, date__range=(since, until))
    if user_ids is not None:
        drafts = drafts.filter(user_id__in=user_ids)
    return drafts.count()


def my_shifts(user: User, since: dt.date, until: dt.date) -> list[Shift]:
    """The published shifts of ``user`` (drafts are the planner's, not yet the agent's)."""
    return list(
        Shift.objects.filter(user=user, status=ShiftStatus.PUBLISHED, date__range=(since, until))
        .select_related("shift_type")
        .prefetch_related("activities")
        .order_by("start")
    )


@dataclass(frozen=True)
class Interval:
    """One half-hour of a day: staff required (forecast → Erlang C → shrinkage) and rostered."""

    start: dt.time
    required: int
    scheduled: int

    @property
    def gap(self) -> int:
        return max(0, self.required - self.scheduled)

    @property
    def label(self) -> str:
        return f"{self.start:%H:%M}"


@dataclass(frozen=True)
class Coverage:
    day: dt.date
    intervals: list[Interval]

    @property
    def gap_count(self) -> int:
        return sum(1 for interval in self.intervals if interval.gap)

    @property
    def peak_required(self) -> int:
        return max((interval.required for interval in self.intervals), default=0)

    def as_json(self) -> dict:
        return {
            "date": self.day.isoformat(),
            "gaps": self.gap_count,
            "intervals": [
                {"start": i.label, "required": i.required, "scheduled": i.scheduled, "gap": i.gap}
                for i in self.intervals
            ],
        }


def coverage_day(day: dt.date) -> Coverage:
    """The roster's coverage of ``day`` per 30 minutes against the requirement; drafts count (the
    editor shows the roster it is drawing). Both figures come from ``selectors/staffing.py``."""
    required = required_staff(day)
    scheduled = scheduled_staff(day)
    intervals = [Interval(dt.time(slot // 2, 30 * (slot % 2)), required[slot], scheduled[slot]) for slot in range(48)]
    return Coverage(day, intervals)
