"""Where calendar data comes from, as plain tuples: the ``chinesecalendar`` package (official
schedules it ships) and the ``holidays`` package (statutory holidays computed by rule).

No database here: :mod:`apps.calendar.services` stores the package's years, and
:mod:`apps.calendar.selectors` adds the computed days, marked provisional, for the years whose
official schedule is not in the calendar yet.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import NamedTuple

from chinese_calendar import constants

from apps.calendar.choices import DayKind


class SourceDay(NamedTuple):
    date: dt.date
    kind: str
    name_zh: str
    name_en: str


# chinesecalendar names its holidays in English only.
PACKAGE_NAMES_ZH = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日",
}


def package_years() -> range:
    """The years ``chinesecalendar`` has the official schedule of (2004–2026 for 1.11)."""
    years = {day.year for day in constants.holidays} | {day.year for day in constants.workdays}
    return range(min(years), max(years) + 1)


def package_days() -> list[SourceDay]:
    """Every special date ``chinesecalendar`` knows, with the kinds the calendar uses."""
    days: list[SourceDay] = []
    for day, name in constants.holidays.items():
        kind = DayKind.IN_LIEU if day in constants.in_lieu_days else DayKind.HOLIDAY
        days.append(SourceDay(day, kind.value, PACKAGE_NAMES_ZH.get(name, name), name))
    for day, name in constants.workdays.items():
        days.append(SourceDay(day, DayKind.MAKEUP.value, PACKAGE_NAMES_ZH.get(name, name), name))
    return sorted(days)


@functools.lru_cache(maxsize=64)
def computed_days(year: int) -> tuple[SourceDay, ...]:
    """The statutory holidays of ``year`` computed by rule (lunar dates included) by ``holidays``.

    A substitute rest day ("observed", 补假) is a rest day moved, not a holiday of its own. The
    package cannot know the make-up workdays the State Council will set: there are none here.
    """
    import holidays  # noqa: PLC0415 -- heavy (0.17 s to import): only years the calendar has no schedule for need it

    english = holidays.China(years=year, language="en_US")
    chinese = holidays.China(years=year, language="zh_CN")
    days = []
    for day, name_en in sorted(english.items()):
        observed = "(observed)" in name_en or name_en.startswith("Day off")
        kind = DayKind.IN_LIEU if observed else DayKind.HOLIDAY
        days.append(SourceDay(day, kind.value, chinese.get(day, name_en), name_en))
    return tuple(days)
