"""The expected wait announced to callers against the wait they really had (issue 18 item 3).

Every queue announcement with an estimate is a ``CallEvent`` of kind ``announcement`` with
``data.expected_wait_seconds`` (apps/telephony/engine/controller/queueing.py). For a call that
was answered, the realised remaining wait of that announcement is ``answered_at − at``; the
error is estimate − realised (positive: the caller was told longer than they waited). Calls that
were not answered (abandoned, overflowed, callbacks) have no realised wait and are only counted.
Runs inside the tenant's schema and never imports the telephony engine (ARCHITECTURE §10).
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from apps.telephony.models import CallEvent


@dataclass
class ErrorSummary:
    """The errors (seconds) of one group's announcements."""

    errors: list[float] = field(default_factory=list)
    unanswered: int = 0
    calls: set[str] = field(default_factory=set)

    @property
    def count(self) -> int:
        return len(self.errors)

    @property
    def mean_absolute_error(self) -> float | None:
        return sum(abs(e) for e in self.errors) / len(self.errors) if self.errors else None

    @property
    def bias(self) -> float | None:
        return sum(self.errors) / len(self.errors) if self.errors else None

    def percentile(self, share: float) -> float | None:
        """The ``share`` percentile (0–1) of the absolute errors, nearest rank."""
        if not self.errors:
            return None
        ordered = sorted(abs(e) for e in self.errors)
        rank = max(1, math.ceil(share * len(ordered)))
        return ordered[rank - 1]

    def within(self, seconds: float) -> float | None:
        """The share (0–1) of announcements whose estimate was off by at most ``seconds``."""
        if not self.errors:
            return None
        return sum(1 for e in self.errors if abs(e) <= seconds) / len(self.errors)


def announced_wait_errors(
    *, since: datetime, until: datetime, queue_ids: list[int] | None = None
) -> dict[tuple[int | None, str], ErrorSummary]:
    """``(queue id, queue name) -> ErrorSummary`` for the announcements of calls that arrived in
    ``[since, until)``."""
    events = CallEvent.objects.filter(
        kind="announcement",
        call__arrived_at__gte=since,
        call__arrived_at__lt=until,
        data__has_key="expected_wait_seconds",
    )
    if queue_ids:
        events = events.filter(call__queue_id__in=queue_ids)
    found: dict[tuple[int | None, str], ErrorSummary] = defaultdict(ErrorSummary)
    rows: Any = events.values_list(
        "at", "data", "call__uid", "call__answered_at", "call__queue_id", "call__queue__name"
    )
    for at, data, uid, answered_at, queue_id, queue_name in rows.iterator():
        estimate = (data or {}).get("expected_wait_seconds")
        if not isinstance(estimate, int | float) or isinstance(estimate, bool):
            continue  # announced without an estimate (no answers yet to estimate from)
        summary = found[(queue_id, queue_name or "")]
        summary.calls.add(uid)
        if answered_at is None or answered_at < at:
            summary.unanswered += 1
            continue
        summary.errors.append(float(estimate) - (answered_at - at).total_seconds())
    return dict(found)
