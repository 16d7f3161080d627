"""Queue performance: the queue KPIs of DOMAIN §2, one row per queue."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from apps.reports.catalog.common import KpiReport
from apps.reports.registry import register


@register
class QueuePerformance(KpiReport):
    code = "queue_performance"
    title = _("Queue performance")
    description = _("Offered, answered and abandoned calls, service level, speed of answer and handle time per queue.")
    filters = ("since", "until", "queue")
    group_by = "queue"
    group_label = _("Queue")
    figures = (
        "offered",
        "answered",
        "abandoned",
        "short_abandons",
        "sl_percent",
        "asa_seconds",
        "abandon_rate",
        "handled",
        "aht_seconds",
        "fcr_percent",
        "csat_mean",
    )
    chart_figures = ("answered", "abandoned")
    chart_type = "stacked_bar"
    ungrouped = "drop_empty"  # calls that never reached a queue have no queue figures
