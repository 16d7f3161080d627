"""The one query API of the holiday calendar: every caller (IVR hours, campaign windows, the
engine, later rosters, SLAs and overtime pay) asks here whether a date is a working day.

For one date, first match wins:

1. the tenant's own exception (``TenantCalendarDay``): closed, or worked;
2. a stored platform day (``CalendarDay``: official, provisional or entered by the operator);
3. in a year that is not officially covered (``CalendarYear.official``), the statutory holidays
   computed by rule (``holidays`` package), source ``provisional``: never a silent fallback to
   plain weeks;
4. otherwise an ordinary weekday (working) or weekend (not working).

Reads come from a process cache: one immutable :class:`Calendar` snapshot per tenant (and one
for the platform alone), built from two small queries. A write bumps a version in the shared
cache (Redis) on commit and clears this process's snapshots at once; other processes notice the
new version within :data:`VERSION_CHECK_SECONDS`. A snapshot answers without touching the
database, so code on an event loop (the engine's IVR) may hold one and ask it directly.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
import uuid
from dataclasses import dataclass, field

from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy

from apps.calendar.choices import DayKind, DaySource, TenantDayKind
from apps.calendar.models import CalendarDay, CalendarYear, TenantCalendarDay
from apps.calendar.sources import computed_days

WARN_DAYS = 60
VERSION_KEY = "calendar:version"
VERSION_CHECK_SECONDS = 10.0

WORKDAY = "workday"  # an ordinary Monday–Friday
WEEKEND = "weekend"  # an ordinary Saturday or Sunday
TENANT = "tenant"  # source of a tenant's own exception

KIND_LABELS = {
    **dict(DayKind.choices),
    **dict(TenantDayKind.choices),
    WORKDAY: gettext_lazy("Workday"),
    WEEKEND: gettext_lazy("Weekend"),
}
SOURCE_LABELS = {**dict(DaySource.choices), TENANT: gettext_lazy("Your company"), "": ""}


@dataclass(frozen=True)
class DayInfo:
    """What one date is. ``kind``: holiday, in_lieu, makeup, workday or weekend; for a tenant's
    exception ``closed`` or ``worked`` (``platform_kind`` keeps what the platform says)."""

    date: dt.date
    kind: str
    is_working_day: bool
    source: str = ""  # official | provisional | manual | tenant | "" (an ordinary day)
    name_zh: str = ""
    name_en: str = ""
    platform_kind: str = ""
    platform_source: str = ""

    @property
    def name(self) -> str:
        language = translation.get_language() or ""
        if language.startswith("zh"):
            return self.name_zh or self.name_en
        return self.name_en or self.name_zh

    @property
    def kind_label(self) -> str:
        return str(KIND_LABELS.get(self.kind, self.kind))

    @property
    def source_label(self) -> str:
        return str(SOURCE_LABELS.get(self.source, self.source))

    @property
    def is_special(self) -> bool:
        return self.kind not in (WORKDAY, WEEKEND)

    @property
    def is_provisional(self) -> bool:
        return self.source == DaySource.PROVISIONAL or self.platform_source == DaySource.PROVISIONAL


@dataclass(frozen=True)
class _Entry:
    kind: str
    source: str
    name_zh: str
    name_en: str


@dataclass(frozen=True)
class Calendar:
    """An immutable snapshot: the platform's days, its officially covered years and (optionally)
    one tenant's exceptions. Pure lookups; safe on any thread or event loop."""

    days: dict[dt.date, _Entry] = field(default_factory=dict)
    official_years: frozenset[int] = frozenset()
    overrides: dict[dt.date, tuple[str, str]] = field(default_factory=dict)  # date -> (kind, name)
    tenant_id: int | None = None

    def is_official_year(self, year: int) -> bool:
        return year in self.official_years

    def platform_day(self, day: dt.date) -> DayInfo:
        entry = self.days.get(day)
        if entry is None and day.year not in self.official_years:
            entry = _computed(day)
        if entry is not None:
            return DayInfo(
                date=day,
                kind=entry.kind,
                is_working_day=entry.kind in (DayKind.MAKEUP, DayKind.WORKDAY),
                source=entry.source,
                name_zh=entry.name_zh,
                name_en=entry.name_en,
                platform_kind=entry.kind,
                platform_source=entry.source,
            )
        weekend = day.weekday() >= 5
        return DayInfo(date=day, kind=WEEKEND if weekend else WORKDAY, is_working_day=not weekend)

    def day_info(self, day: dt.date) -> DayInfo:
        platform = self.platform_day(day)
        override = self.overrides.get(day)
        if override is None:
            return platform
        kind, name = override
        return DayInfo(
            date=day,
            kind=kind,
            is_working_day=kind == TenantDayKind.WORKED,
            source=TENANT,
            name_zh=name or platform.name_zh,
            name_en=name or platform.name_en,
            platform_kind=platform.kind,
            platform_source=platform.source,
        )

    def is_working_day(self, day: dt.date) -> bool:
        return self.day_info(day).is_working_day

    def year_days(self, year: int) -> list[DayInfo]:
        """The special dates of a year (platform days, provisional days, tenant exceptions)."""
        dates = {day for day in self.days if day.year == year} | {d for d in self.overrides if d.year == year}
        if year not in self.official_years:
            dates |= {row.date for row in computed_days(year)}
        return [self.day_info(day) for day in sorted(dates)]


def _computed(day: dt.date) -> _Entry | None:
    for row in computed_days(day.year):
        if row.date == day:
            return _Entry(row.kind, DaySource.PROVISIONAL, row.name_zh, row.name_en)
    return None


# --- the process cache ------------------------------------------------------------------------------

_lock = threading.Lock()
_platform: Calendar | None = None
_tenants: dict[int, Calendar] = {}
_version: object = None
_checked_at = 0.0


def _shared_version():
    try:
        return cache.get(VERSION_KEY)
    except Exception:  # Redis down: keep serving this process's snapshots
        return _version


def _check_version() -> None:
    global _checked_at, _version
    now = time.monotonic()
    if now - _checked_at < VERSION_CHECK_SECONDS:
        return
    _checked_at = now
    version = _shared_version()
    if version != _version:
        clear_local_cache()
        _version = version


def clear_local_cache() -> None:
    """Forget this process's snapshots (the next read loads them again)."""
    global _platform
    with _lock:
        _platform = None
        _tenants.clear()


def invalidate() -> None:
    """Called by every write: this process reloads at once, the others when they see the new
    version (after the transaction commits)."""
    clear_local_cache()

    def bump() -> None:
        global _version
        version = uuid.uuid4().hex
        try:
            cache.set(VERSION_KEY, version, timeout=None)
        except Exception:
            return
        _version = version
        clear_local_cache()

    transaction.on_commit(bump)


def _load_platform() -> Calendar:
    days = {
        row[0]: _Entry(row[1], row[2], row[3], row[4])
        for row in CalendarDay.objects.values_list("date", "kind", "source", "name_zh", "name_en")
    }
    official = frozenset(CalendarYear.objects.filter(official=True).values_list("year", flat=True))
    return Calendar(days=days, official_years=official)


def _tenant_id(tenant) -> int | None:
    if tenant is None:
        return None
    if isinstance(tenant, int):
        return tenant
    if getattr(tenant, "schema_name", "public") == "public":
        return None
    return getattr(tenant, "pk", None)


def calendar_for(tenant=None) -> Calendar:
    """The snapshot for a tenant (a ``Tenant``, its id, or None for the platform alone)."""
    global _platform
    _check_version()
    tenant_id = _tenant_id(tenant)
    platform = _platform
    if platform is None:
        platform = _load_platform()
        with _lock:
            _platform = platform
    if tenant_id is None:
        return platform
    snapshot = _tenants.get(tenant_id)
    if snapshot is None or snapshot.days is not platform.days:
        overrides = {
            day: (kind, name)
            for day, kind, name in TenantCalendarDay.objects.filter(tenant_id=tenant_id).values_list(
                "date", "kind", "name"
            )
        }
        snapshot = Calendar(
            days=platform.days, official_years=platform.official_years, overrides=overrides, tenant_id=tenant_id
        )
        with _lock:
            _tenants[tenant_id] = snapshot
    return snapshot


def current_tenant():
    """The tenant of the connection's schema (None on the public schema)."""
    tenant = getattr(connection, "tenant", None)
    return tenant if _tenant_id(tenant) is not None else None


# --- the query API ----------------------------------------------------------------------------------


def is_working_day(day: dt.date, *, tenant=None) -> bool:
    return calendar_for(tenant).is_working_day(day)


def day_info(day: dt.date, tenant=None) -> DayInfo:
    return calendar_for(tenant).day_info(day)


def year_days(year: int, tenant=None) -> list[DayInfo]:
    return calendar_for(tenant).year_days(year)


def today() -> dt.date:
    """The platform's local date (a function so tests can freeze it)."""
    return timezone.localdate()


@dataclass(frozen=True)
class Coverage:
    """Which days of ``start``–``until`` the official schedule does not cover yet."""

    start: dt.date
    until: dt.date
    uncovered: list[tuple[dt.date, dt.date]]  # inclusive ranges
    provisional: list[DayInfo]

    @property
    def complete(self) -> bool:
        return not self.uncovered


def coverage(until: dt.date | None = None, *, start: dt.date | None = None) -> Coverage:
    """The ranges between ``start`` (today) and ``until`` (default: :data:`WARN_DAYS` ahead) in
    years not officially covered, and the provisional holidays the calendar uses there."""
    start = start or today()
    until = until or start + dt.timedelta(days=WARN_DAYS)
    snapshot = calendar_for(None)
    ranges: list[tuple[dt.date, dt.date]] = []
    provisional: list[DayInfo] = []
    for year in range(start.year, until.year + 1):
        if snapshot.is_official_year(year):
            continue
        first = max(start, dt.date(year, 1, 1))
        last = min(until, dt.date(year, 12, 31))
        ranges.append((first, last))
        provisional += [info for info in snapshot.year_days(year) if first <= info.date <= last and info.is_special]
    return Coverage(start=start, until=until, uncovered=ranges, provisional=provisional)
