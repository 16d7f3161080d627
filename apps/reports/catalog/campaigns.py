"""Campaign report: the calls of each outbound campaign (and the live answers its queue took)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from apps.reports.catalog.common import KpiReport
from apps.reports.registry import register


@register
class CampaignReport(KpiReport):
    code = "campaigns"
    title = _("Campaigns")
    description = _("Calls per campaign: answered by the customer and handled by an agent, abandons, handle time.")
    filters = ("since", "until", "campaign")
    group_by = "campaign"
    group_label = _("Campaign")
    figures = (
        "offered",
        "answered",
        "abandoned",
        "abandon_rate",
        "handled",
        "aht_seconds",
        "fcr_percent",
        "csat_mean",
    )
    chart_figures = ("answered", "abandoned")
    chart_type = "stacked_bar"
    # Only campaign calls: the inbound calls (no campaign) are not a campaign, and the totals of
    # the period would count them, so there is no Total line either.
    ungrouped = "drop"
    totals_line = False
