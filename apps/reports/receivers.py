"""Signal receivers of the reports app (connected by :func:`connect` from ``ReportsConfig.ready``).

``apps.telephony.signals.history_written`` (sent by ``generate_history`` after it committed a
tenant's generated past, inside that tenant's schema) rebuilds the KPI rollups of that period, so
reports show generated history at once instead of only the last two hours the beat task refreshes.
"""

from __future__ import annotations

import logging

from apps.reports.services.rollups import rollups_rebuild_period
from apps.telephony import signals

logger = logging.getLogger(__name__)


def history_written_receiver(sender, since, until, **kwargs) -> None:
    written = rollups_rebuild_period(since=since, until=until)
    logger.info("KPI rollups rebuilt for %s – %s: %s", since, until, written)


def connect() -> None:
    # Looked up by name: the signal arrived with generate_history (issue 13), and the reports app
    # must not fail to start on a checkout where it is missing.
    signal = getattr(signals, "history_written", None)
    if signal is not None:
        signal.connect(history_written_receiver, dispatch_uid="reports-rollups-history-written")
