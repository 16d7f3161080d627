"""Signal receivers of billing (connected by :func:`connect` from ``BillingConfig.ready``).

``apps.telephony.signals.history_written`` (sent by ``generate_history`` after it committed a
tenant's generated past) re-meters those days, so the platform's billing page shows the demo
tenant's last month at once instead of after the next nightly meter. Re-metering replaces the
days' rows, so this is safe whatever was metered before.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.utils import timezone

from apps.billing.periods import billing_zone
from apps.billing.services.metering import usage_meter_tenant
from apps.telephony import signals

logger = logging.getLogger(__name__)


def history_written_receiver(sender, since: datetime, until: datetime, tenant, **kwargs) -> None:
    first_day = timezone.localtime(since, billing_zone()).date()
    last_day = timezone.localtime(until - timedelta(microseconds=1), billing_zone()).date()
    result = usage_meter_tenant(tenant=tenant, first_day=first_day, last_day=last_day)
    logger.info("billing meter re-read %s for %s – %s: %s rows", tenant.slug, first_day, last_day, result.rows)


def connect() -> None:
    signals.history_written.connect(history_written_receiver, dispatch_uid="billing-meter-history-written")
