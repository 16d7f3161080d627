"""Billing over generated history (the demo's path): the receiver meters the days written, and the
closed month's minutes equal the CDRs' talk time rounded up per call."""

from __future__ import annotations

import math
from collections import Counter
from datetime import timedelta

from django_tenants.utils import tenant_context

from apps.billing.models import InvoiceLine
from apps.billing.periods import billing_today, day_end, day_start, previous_month
from apps.billing.services.invoices import billing_close_month
from apps.telephony.models import Call
from apps.telephony.services.history import history_generate


def test_a_month_of_generated_history_is_billed_minute_by_minute(acme):
    month = previous_month(billing_today().replace(day=1))
    history_generate(tenant=acme.tenant, days=2, calls_per_day=80, agents=4, seed=5, today=month + timedelta(days=20))
    first, last = month + timedelta(days=18), month + timedelta(days=19)
    with tenant_context(acme.tenant):
        calls = Call.objects.filter(
            arrived_at__gte=day_start(first), arrived_at__lt=day_end(last), talk_seconds__gt=0
        ).values_list("direction", "talk_seconds")
        expected = Counter()
        for direction, talk in calls:
            if direction in ("inbound", "outbound"):
                expected[direction] += math.ceil(talk / 60)
    assert expected["inbound"] > 0
    invoice = billing_close_month(tenant=acme.tenant, month=month)
    billed = Counter()
    for line in InvoiceLine.objects.filter(invoice=invoice, item__startswith="minutes_"):
        billed[line.item.removeprefix("minutes_")] += int(line.quantity)
    assert billed == expected
