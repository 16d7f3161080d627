"""Which attendance policy judges a day, and the tenant's time zone for rostering."""

from __future__ import annotations

import bisect
import datetime as dt
import zoneinfo

from django.conf import settings

from apps.core.tenancy import current_tenant
from apps.workforce.models import WorkforcePolicy
from apps.workforce.rules import Policy


def policy_on(day: dt.date) -> WorkforcePolicy:
    """The version in effect on ``day``; the defaults (unsaved) for a tenant that has none."""
    policy = WorkforcePolicy.objects.filter(effective_from__lte=day).order_by("-effective_from").first()
    return policy or WorkforcePolicy(effective_from=WorkforcePolicy.DEFAULT_EFFECTIVE_FROM)


class PolicyTimeline:
    """Every version at once, for judging many days (one query): ``rules_on(day)``."""

    def __init__(self) -> None:
        rows = list(WorkforcePolicy.objects.order_by("effective_from"))
        if not rows:
            rows = [WorkforcePolicy(effective_from=WorkforcePolicy.DEFAULT_EFFECTIVE_FROM)]
        self._dates = [row.effective_from for row in rows]
        self._rules = [Policy.of(row) for row in rows]
        self._rows = rows
        self._by_day: dict[dt.date, Policy] = {}

    def rules_on(self, day: dt.date) -> Policy:
        found = self._by_day.get(day)
        if found is None:
            found = self._by_day[day] = self._rules[max(0, bisect.bisect_right(self._dates, day) - 1)]
        return found

    def row_on(self, day: dt.date) -> WorkforcePolicy:
        return self._rows[max(0, bisect.bisect_right(self._dates, day) - 1)]


def tenant_zone() -> zoneinfo.ZoneInfo:
    """The company's time zone (rosters are wall-clock times there)."""
    name = getattr(current_tenant(), "time_zone", None) or settings.TIME_ZONE
    try:
        return zoneinfo.ZoneInfo(name)
    except zoneinfo.ZoneInfoNotFoundError:
        return zoneinfo.ZoneInfo(settings.TIME_ZONE)
