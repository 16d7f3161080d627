"""On history made by the real engine (generate_history), the rollups — rebuilt by the
history_written receiver — give the raw-CDR selector's figures, and FCR and occupancy as counted
straight from the rows."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django_tenants.utils import tenant_context

from apps.reports.selectors.kpis import kpi_table
from apps.telephony import kpis
from apps.telephony.models import AgentStateEvent, Call
from apps.telephony.selectors.kpis import queue_kpis
from apps.telephony.services.history import history_generate

SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = date(2026, 12, 3)


def test_generated_history_gives_the_raw_figures(acme):
    history_generate(tenant=acme.tenant, days=2, calls_per_day=300, agents=5, seed=5, today=TODAY)
    since = datetime.combine(TODAY - timedelta(days=2), time.min, tzinfo=SHANGHAI)
    until = datetime.combine(TODAY, time.min, tzinfo=SHANGHAI)
    with tenant_context(acme.tenant):
        raw = queue_kpis(since=since, until=until)
        table = kpi_table(since=since, until=until, group_by="queue")
        assert sum(row["offered"] for row in table["rows"]) > 100
        for row in table["rows"]:
            if row["key"] is None:
                continue
            for key in ("offered", "answered", "abandoned", "short_abandons", "sl_percent", "asa_seconds"):
                assert row[key] == raw[row["key"]][key], key
            for key in ("abandon_rate", "handled", "aht_seconds"):
                assert row[key] == raw[row["key"]][key], key

        # FCR from the rows: handled inbound queue calls whose caller does not call the queue again within 72 h
        calls = list(Call.objects.filter(direction="inbound", queue__isnull=False).select_related("disposition"))
        handled = [c for c in calls if since <= c.arrived_at < until and c.wrapup_ended_at and c.answered_at]
        resolved = 0
        for call in handled:
            repeat = any(
                o.caller == call.caller
                and o.queue_id == call.queue_id
                and call.arrived_at < o.arrived_at <= call.arrived_at + timedelta(hours=72)
                for o in calls
            )
            if not repeat or (call.disposition is not None and call.disposition.is_resolved):
                resolved += 1
        assert table["totals"]["fcr_percent"] == kpis.as_percent(resolved / len(handled))

        # occupancy of every agent from the state chain, clipped to the period
        busy = ready = 0.0
        for agent_id in set(AgentStateEvent.objects.values_list("agent_id", flat=True)):
            events = list(AgentStateEvent.objects.filter(agent_id=agent_id).order_by("at", "id"))
            for event, after in zip(events, [*events[1:], None], strict=True):
                start, end = max(event.at, since), min(after.at if after else until, until)
                seconds = (end - start).total_seconds()
                if seconds <= 0:
                    continue
                if event.to_state in ("talking", "hold", "wrap_up"):
                    busy += seconds
                elif event.to_state == "ready":
                    ready += seconds
        assert abs(table["totals"]["occupancy_percent"] - 100 * busy / (busy + ready)) < 0.01
