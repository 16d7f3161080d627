"""The company's opening hours, for departments that count business time (ticket SLAs in
apps/crm). They read the hours here rather than through the model or apps/telephony/ivr, so the
rules of a day (weekly hours, overrides, holidays and make-up workdays) stay in one place:
:func:`apps.telephony.ivr.hours.day_plan`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from apps.calendar import selectors as calendar_selectors
from apps.telephony.ivr.hours import HoursSpec, day_plan, zone
from apps.telephony.models import BusinessHours
from apps.telephony.models.ivr import default_weekly_hours


@dataclass(frozen=True)
class OpeningHours:
    """One set of hours, ready to evaluate without the database: its id and name (None and "" for
    the built-in default), its zone, and the open intervals of any local date."""

    id: int | None
    name: str
    zone: ZoneInfo
    intervals: Callable[[dt.date], list[list[str]]]


def _opening_hours(spec: HoursSpec, *, pk: int | None, name: str) -> OpeningHours:
    return OpeningHours(id=pk, name=name, zone=zone(spec), intervals=lambda day: day_plan(spec, day).intervals)


def business_hours_choices() -> list[tuple[int, str]]:
    """Every set of hours, (id, name), by name."""
    return list(BusinessHours.objects.order_by("name", "pk").values_list("pk", "name"))


def opening_hours(hours_id: int | None = None) -> OpeningHours:
    """The hours ``hours_id``; when it is None or gone, the company's first hours (the ones
    provisioning made for the default IVR); with no hours at all, Monday to Friday 09:00–18:00
    in Asia/Shanghai following the Chinese holiday calendar."""
    rows = BusinessHours.objects.prefetch_related("overrides").order_by("pk")
    row = rows.filter(pk=hours_id).first() if hours_id is not None else None
    if row is None:
        row = rows.first()
    if row is None:
        spec = HoursSpec(
            weekly=default_weekly_hours(),
            calendar=calendar_selectors.calendar_for(calendar_selectors.current_tenant()),
        )
        return _opening_hours(spec, pk=None, name="")
    return _opening_hours(HoursSpec.from_model(row), pk=row.pk, name=row.name)
