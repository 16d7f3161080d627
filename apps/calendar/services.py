"""Writes to the holiday calendar: seeding from the package, the operator's days and imports of
the State Council schedule, tenants' exceptions. Every write invalidates the calendar cache."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from apps.calendar import selectors
from apps.calendar.choices import DayKind, DaySource, TenantDayKind
from apps.calendar.models import CalendarDay, CalendarYear, TenantCalendarDay
from apps.calendar.sources import package_days, package_years
from apps.core.errors import ApplicationError

MAX_IMPORT_BYTES = 256 * 1024
MAX_IMPORT_ROWS = 400
YEAR_RANGE = (2000, 2100)
KIND_ALIASES = {
    "holiday": DayKind.HOLIDAY,
    "休": DayKind.HOLIDAY,
    "in_lieu": DayKind.IN_LIEU,
    "makeup": DayKind.MAKEUP,
    "班": DayKind.MAKEUP,
    "workday": DayKind.WORKDAY,
}


def seed_from_package(*, day_model=CalendarDay, year_model=CalendarYear) -> int:
    """Store the official schedules ``chinesecalendar`` ships, for the years not in the calendar
    yet (a year already there, official or not, belongs to the operator). Idempotent; run by the
    data migration and by ``manage.py calendar_seed`` after upgrading the package."""
    known = set(year_model.objects.values_list("year", flat=True))
    years = [year for year in package_years() if year not in known]
    if not years:
        return 0
    wanted = set(years)
    rows = [
        day_model(
            date=row.date,
            year=row.date.year,
            kind=row.kind,
            name_zh=row.name_zh,
            name_en=row.name_en,
            source=DaySource.OFFICIAL,
        )
        for row in package_days()
        if row.date.year in wanted
    ]
    day_model.objects.filter(year__in=years).delete()
    day_model.objects.bulk_create(rows)
    year_model.objects.bulk_create(
        [year_model(year=year, official=True, note="chinesecalendar") for year in years], ignore_conflicts=True
    )
    return len(rows)


@transaction.atomic
def calendar_seed() -> int:
    added = seed_from_package()
    if added:
        selectors.invalidate()
    return added


def _check_year(year: int) -> None:
    if not YEAR_RANGE[0] <= year <= YEAR_RANGE[1]:
        raise ApplicationError(
            "invalid", _("Choose a year between 2000 and 2100."), fields={"year": [_("Out of range.")]}
        )


def _day_errors(*, date: dt.date, kind: str, name_zh: str, name_en: str) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if kind not in DayKind.values:
        errors["kind"] = [_("Unknown kind “%(kind)s”: use holiday, in_lieu, makeup or workday.") % {"kind": kind}]
    elif kind == DayKind.MAKEUP and date.weekday() < 5:
        errors["date"] = [_("%(date)s is a weekday: a make-up workday is a Saturday or Sunday.") % {"date": date}]
    elif kind == DayKind.WORKDAY and date.weekday() >= 5:
        errors["date"] = [_("%(date)s is a weekend day: a weekend day worked is a make-up workday.") % {"date": date}]
    elif kind == DayKind.HOLIDAY and not (name_zh or name_en):
        errors["name_en"] = [_("A holiday needs a name.")]
    if len(name_zh) > 80 or len(name_en) > 80:
        errors.setdefault("name_en", []).append(_("Names have at most 80 characters."))
    return errors


@transaction.atomic
def calendar_day_set(
    *, date: dt.date, kind: str, name_zh: str = "", name_en: str = "", source: str = DaySource.MANUAL, user=None
) -> CalendarDay:
    """Add or replace the platform's entry for one date (it wins over a provisional one)."""
    _check_year(date.year)
    name_zh, name_en = (name_zh or "").strip(), (name_en or "").strip()
    fields: dict[str, list[Any]] = dict(_day_errors(date=date, kind=kind, name_zh=name_zh, name_en=name_en))
    if source not in DaySource.values:
        fields["source"] = [_("Unknown source.")]
    if fields:
        raise ApplicationError("invalid", _("The calendar day has invalid fields."), fields=fields)
    day, _created = CalendarDay.objects.update_or_create(
        date=date,
        defaults={"kind": kind, "name_zh": name_zh, "name_en": name_en, "source": source, "updated_by": user},
    )
    selectors.invalidate()
    return day


@transaction.atomic
def calendar_day_delete(*, date: dt.date) -> None:
    deleted, _rows = CalendarDay.objects.filter(date=date).delete()
    if not deleted:
        raise ApplicationError("not_found", _("No calendar entry on %(date)s.") % {"date": date}, status=404)
    selectors.invalidate()


@transaction.atomic
def calendar_year_set_official(*, year: int, official: bool, note: str = "") -> CalendarYear:
    """Mark a year officially covered (its whole schedule is entered) or not."""
    _check_year(year)
    row, _created = CalendarYear.objects.update_or_create(
        year=year, defaults={"official": official, "note": (note or "")[:200]}
    )
    selectors.invalidate()
    return row


# --- import of the State Council schedule -----------------------------------------------------------


@dataclass(frozen=True)
class ImportResult:
    year: int
    days: int


def _parse_rows(content: bytes, filename: str) -> tuple[int | None, list[dict]]:
    text = content.decode("utf-8-sig")
    stripped = text.lstrip()
    if filename.lower().endswith(".json") or stripped.startswith(("{", "[")):
        try:
            data = json.loads(text)
        except ValueError as error:
            raise ApplicationError(
                "invalid_file", _("The file is not valid JSON: %(error)s") % {"error": error}
            ) from None
        year = None
        if isinstance(data, dict):
            year = data.get("year")
            data = data.get("days")
        if not isinstance(data, list) or not all(isinstance(row, dict) for row in data):
            raise ApplicationError(
                "invalid_file",
                _('A JSON calendar is {"year": 2027, "days": [{"date", "kind", "name_zh", "name_en"}]}.'),
            )
        if year is not None and not isinstance(year, int):
            raise ApplicationError("invalid_file", _("The year must be a number."))
        return year, data
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames or not {"date", "kind"} <= {name.strip() for name in reader.fieldnames}:
        raise ApplicationError("invalid_file", _("A CSV calendar has the columns date, kind, name_zh, name_en."))
    return None, [{(key or "").strip(): (value or "") for key, value in row.items()} for row in reader]


@transaction.atomic
def calendar_import(*, content: bytes, filename: str = "", year: int | None = None, user=None) -> ImportResult:
    """Replace one year's platform days by the official schedule in a CSV or JSON file and mark the
    year officially covered. Every row is checked first: a bad file changes nothing."""
    if len(content) > MAX_IMPORT_BYTES:
        raise ApplicationError("invalid_file", _("The file is too large (at most 256 KB)."))
    try:
        file_year, rows = _parse_rows(content, filename)
    except UnicodeDecodeError:
        raise ApplicationError("invalid_file", _("The file is not UTF-8 text.")) from None
    if not rows:
        raise ApplicationError("invalid_file", _("The file has no days."))
    if len(rows) > MAX_IMPORT_ROWS:
        raise ApplicationError("invalid_file", _("The file has too many rows."))
    problems: list[str] = []
    parsed: dict[dt.date, dict] = {}
    for number, row in enumerate(rows, start=1):
        try:
            date = dt.date.fromisoformat(str(row.get("date", "")).strip())
        except ValueError:
            problems.append(
                _("Row %(row)s: “%(value)s” is not a date (YYYY-MM-DD).")
                % {"row": number, "value": row.get("date", "")}
            )
            continue
        kind = KIND_ALIASES.get(str(row.get("kind", "")).strip().lower(), str(row.get("kind", "")).strip())
        name_zh, name_en = str(row.get("name_zh") or "").strip(), str(row.get("name_en") or "").strip()
        for errors in _day_errors(date=date, kind=kind, name_zh=name_zh, name_en=name_en).values():
            problems += [_("Row %(row)s: %(error)s") % {"row": number, "error": error} for error in errors]
        if date in parsed:
            problems.append(_("Row %(row)s: %(date)s appears twice.") % {"row": number, "date": date})
        parsed[date] = {"kind": kind, "name_zh": name_zh, "name_en": name_en}
    years = {date.year for date in parsed}
    target = year or file_year or (next(iter(years)) if len(years) == 1 else None)
    if target is None:
        problems.append(_("The file mixes years: import one year at a time."))
    else:
        _check_year(target)
        strays = sorted(date for date in parsed if date.year != target)
        if strays:
            problems.append(
                _("%(count)s dates are not in %(year)s (first: %(date)s).")
                % {"count": len(strays), "year": target, "date": strays[0]}
            )
    if problems or target is None:
        raise ApplicationError(
            "invalid_file", _("The calendar file has errors; nothing was imported."), fields={"file": problems[:50]}
        )
    CalendarDay.objects.filter(year=target).delete()
    CalendarDay.objects.bulk_create(
        [
            CalendarDay(date=date, year=date.year, source=DaySource.OFFICIAL, updated_by=user, **fields)
            for date, fields in sorted(parsed.items())
        ]
    )
    CalendarYear.objects.update_or_create(year=target, defaults={"official": True, "note": filename[:200]})
    selectors.invalidate()
    return ImportResult(year=target, days=len(parsed))


# --- a tenant's exceptions --------------------------------------------------------------------------


@transaction.atomic
def tenant_day_set(*, tenant, date: dt.date, kind: str, name: str = "") -> TenantCalendarDay:
    """Close an extra day, or work a holiday, for this tenant only."""
    fields: dict[str, list[Any]] = {}
    if kind not in TenantDayKind.values:
        fields["kind"] = [_("Choose closed or worked.")]
    if len(name or "") > 80:
        fields["name"] = [_("At most 80 characters.")]
    if not YEAR_RANGE[0] <= date.year <= YEAR_RANGE[1]:
        fields["date"] = [_("Choose a date between 2000 and 2100.")]
    if fields:
        raise ApplicationError("invalid", _("The calendar exception has invalid fields."), fields=fields)
    row, _created = TenantCalendarDay.objects.update_or_create(
        tenant=tenant, date=date, defaults={"kind": kind, "name": (name or "").strip()}
    )
    selectors.invalidate()
    return row


@transaction.atomic
def tenant_day_delete(*, row: TenantCalendarDay) -> None:
    row.delete()
    selectors.invalidate()
