"""The standard reports (issue 13 item 4), one module each; importing this package registers them
(apps/reports/apps.py ``ready``)."""

from apps.reports.catalog import (  # noqa: F401
    abandons,
    agent_performance,
    agent_states,
    announced_wait,
    campaigns,
    csat,
    dispositions,
    interval,
    ivr_funnel,
    queue_performance,
)
