"""Campaigns in ``run_engine``: loading them from the database, and the contact source as the event loop sees it.

:func:`load_campaigns` (sync, inside the tenant's schema) reads every running or paused
campaign as :class:`~apps.telephony.dialer.contract.CampaignSettings` plus its status.

:class:`DeferredContactSource` puts the database contact source
(``apps.telephony.services.campaigns.source.DbContactSource``) behind the engine's
:class:`~apps.telephony.engine.dbstore.DbStore` worker: the pacing loop takes contacts from a
small prefetched buffer, and reports, releases and counts run in the worker, in order with
the CDR jobs. So the loop never waits for a query, and an attempt's report always finds its
call's CDR already written.
"""

from __future__ import annotations

import logging
import math
from collections import deque
from dataclasses import replace
from typing import Any

from apps.telephony.choices import CampaignStatus
from apps.telephony.dialer.contract import DialTarget
from apps.telephony.models import Campaign
from apps.telephony.selectors.campaigns.dialing import campaign_settings

logger = logging.getLogger(__name__)

PREFETCH_MIN = 2  # contacts kept ready even when the pacer asked for fewer
PREFETCH_MAX = 50
BUFFER_MAX_AGE = 30.0  # seconds a prefetched contact may wait; older ones go back to the list
COUNTS_EVERY = 5.0  # seconds between two refreshes of the remaining/attempted/finished counts


def load_campaigns() -> dict[int, tuple[str, Any]]:
    """``{campaign id: (status, CampaignSettings)}`` of the running and paused campaigns."""
    campaigns = (
        Campaign.objects.filter(status__in=(CampaignStatus.RUNNING, CampaignStatus.PAUSED))
        .select_related("queue", "trunk")
        .order_by("id")
    )
    loaded = {}
    for campaign in campaigns:
        settings = replace(
            campaign_settings(campaign), script=campaign.script, abandon_message=campaign.abandon_message
        )
        loaded[campaign.pk] = (campaign.status, settings)
    return loaded


class DeferredContactSource:
    """A :class:`~apps.telephony.dialer.contract.ContactSource` for one campaign on the event loop.

    ``take`` answers from the buffer at once (possibly with fewer contacts than asked, even
    none) and asks the worker to refill it to what the pacer wanted; prefetched contacts are
    marked as being dialled in the database, so a restart's ``recover`` closes them like any
    other open attempt. ``close`` gives the unused ones back."""

    def __init__(self, source: Any, store: Any, campaign_id: int) -> None:
        self.source = source
        self.store = store
        self.campaign_id = campaign_id
        self.buffer: deque[tuple[float, DialTarget]] = deque()
        self.want = PREFETCH_MIN
        self._filling = False
        self._closed = False
        self._counts: dict[str, int | None] = {"remaining": None, "attempted": None, "finished": None}
        self._counts_at = -math.inf
        self._counting = False

    # --- the ContactSource protocol ------------------------------------------------------------
    def take(self, campaign_id: int, count: int, now: float) -> list[DialTarget]:
        self._expire(now)
        taken: list[DialTarget] = []
        while self.buffer and len(taken) < count:
            taken.append(self.buffer.popleft()[1])
        self.want = max(PREFETCH_MIN, min(PREFETCH_MAX, count))
        self._refill(now)
        return taken

    def report(
        self,
        campaign_id: int,
        target: DialTarget,
        outcome: str,
        now: float,
        *,
        call_uid: str = "",
        agent_id: int | None = None,
    ) -> None:
        source = self.source

        def work() -> None:
            source.report(campaign_id, target, outcome, now, call_uid=call_uid, agent_id=agent_id)

        self.store.defer(work)

    def release(self, campaign_id: int, target: DialTarget) -> None:
        source = self.source
        self.store.defer(lambda: source.release(campaign_id, target))

    def counts(self, campaign_id: int) -> dict[str, int | None]:
        now = self.store.clock.now()
        if not self._counting and now - self._counts_at >= COUNTS_EVERY:
            self._counting = True
            self._counts_at = now
            source = self.source
            self.store.defer(lambda: source.counts(campaign_id), self._counted)
        return dict(self._counts)

    # --- plumbing ---------------------------------------------------------------------------------
    def _refill(self, now: float) -> None:
        missing = self.want - len(self.buffer)
        if self._filling or self._closed or missing <= 0:
            return
        self._filling = True
        source, campaign_id = self.source, self.campaign_id
        self.store.defer(lambda: source.take(campaign_id, missing, now), lambda targets: self._filled(targets, now))

    def _filled(self, targets: list[DialTarget] | None, asked: float) -> None:
        self._filling = False
        if not targets:
            return
        if self._closed:
            for target in targets:
                self.release(self.campaign_id, target)
            return
        self.buffer.extend((asked, target) for target in targets)

    def _counted(self, counts: dict[str, int] | None) -> None:
        self._counting = False
        if counts:
            self._counts = dict(counts)

    def _expire(self, now: float) -> None:
        while self.buffer and now - self.buffer[0][0] > BUFFER_MAX_AGE:
            self.release(self.campaign_id, self.buffer.popleft()[1])

    def close(self) -> None:
        """The campaign stopped or paused: prefetched contacts go back to the list."""
        self._closed = True
        while self.buffer:
            self.release(self.campaign_id, self.buffer.popleft()[1])

    def reopen(self) -> None:
        self._closed = False
