"""Time in reports: the tenant's zone, 15-minute buckets and local days.

One copy for the rollup writer (services/rollups.py), the KPI reader (selectors/kpis.py) and the
report framework (registry.py): if they cut periods differently, a figure read back from the
rollups would not be the figure that was written."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, datetime, timedelta

from django.conf import settings as django_settings

from apps.core.tenancy import current_tenant

BUCKET = timedelta(minutes=15)  # the rollups' grain; every interval grouping is a multiple of it


def tenant_zone() -> zoneinfo.ZoneInfo:
    """The current tenant's time zone (days, intervals and printed times are local to it); the
    project's zone outside a tenant or for a zone name the system does not know."""
    name = getattr(current_tenant(), "time_zone", None) or django_settings.TIME_ZONE
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(django_settings.TIME_ZONE)


def floor_bucket(at: datetime) -> datetime:
    """The start of the 15-minute bucket holding ``at`` (buckets are aligned in UTC, which every
    zone with whole-quarter-hour offsets shares)."""
    epoch = int(at.timestamp())
    return datetime.fromtimestamp(epoch - epoch % 900, tz=UTC)


def ceil_bucket(at: datetime) -> datetime:
    floor = floor_bucket(at)
    return floor if floor == at else floor + BUCKET


def local_day_start(at: datetime, zone: zoneinfo.ZoneInfo) -> datetime:
    """Local midnight of the day holding ``at``."""
    return at.astimezone(zone).replace(hour=0, minute=0, second=0, microsecond=0)
