"""Rollups equal raw-CDR counting on random history; the refresh, the command, the signal receiver."""

from __future__ import annotations

import io
import json
import random
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import CommandError, call_command
from django_tenants.utils import tenant_context

from apps.reports import receivers
from apps.reports.models import CallRollup
from apps.reports.selectors.kpis import kpi_table
from apps.reports.services.rollups import rollups_rebuild_period, rollups_refresh
from apps.reports.tasks import rollups_refresh_task
from apps.telephony import kpis
from apps.telephony.choices import CallEndReason
from apps.telephony.models import Call
from apps.telephony.selectors.kpis import queue_kpis
from tests.reports.kpi_world import answered, unanswered
from tests.telephony.call_factories import make_agent, make_disposition, make_queue

START = datetime(2025, 5, 1, 16, 0, tzinfo=UTC)  # 00:00 on 2 May in Asia/Shanghai


def random_history(tenant_world, seed: int, calls: int = 300):
    """Calls over 3 local days, crossing midnights and interval boundaries, 3 queues, 3 agents,
    a few repeat callers, random outcomes; the expected FCR/CSAT computed in Python from the rows."""
    rng = random.Random(seed)
    queues = [make_queue(sl_threshold_seconds=rng.choice([10, 15, 20]), short_abandon_seconds=5) for _ in range(3)]
    agents = [make_agent(tenant_world.user("agent")) for _ in range(3)]
    solved = make_disposition()
    for _ in range(calls):
        queue = rng.choice(queues)
        arrived = START + timedelta(seconds=rng.randrange(0, 3 * 86400))
        caller = f"139{rng.randrange(0, 40):08d}"
        if rng.random() < 0.65:
            answered(
                queue,
                rng.choice(agents),
                wait=rng.choice([0, 3, 10, 15, 20, 45]),
                talk=rng.randrange(10, 400),
                hold=rng.choice([0, 0, 15]),
                wrapup=rng.choice([0, 10, 30]),
                wrapup_done=rng.random() < 0.95,
                caller=caller,
                arrived_at=arrived,
                queued_at=arrived + timedelta(seconds=5),
                survey_score=rng.choice([None, None, 1, 2, 3, 4, 5]),
                disposition=solved if rng.random() < 0.3 else None,
            )
        else:
            reason = rng.choice([CallEndReason.ABANDONED] * 4 + [CallEndReason.CALLBACK, CallEndReason.VOICEMAIL])
            unanswered(
                queue,
                wait=rng.choice([1, 5, 6, 12, 15, 30, 90]),
                abandoned=reason == CallEndReason.ABANDONED,
                reason=reason,
                arrived=arrived,
                caller=caller,
            )
    rollups_rebuild_period(since=START - timedelta(days=1), until=START + timedelta(days=7))
    return queues, agents


def expected_fcr(since, until, window=timedelta(hours=72), resolved_counts=True):
    calls = list(Call.objects.filter(direction="inbound", queue__isnull=False).order_by("arrived_at", "id"))
    handled = resolved = 0
    for call in calls:
        if not (since <= call.arrived_at < until) or call.wrapup_ended_at is None or call.answered_at is None:
            continue
        handled += 1
        repeat = any(
            other.caller == call.caller
            and other.queue_id == call.queue_id
            and call.arrived_at < other.arrived_at <= call.arrived_at + window
            for other in calls
        )
        is_resolved = call.disposition_id is not None and call.disposition.is_resolved
        if not repeat or (resolved_counts and is_resolved):
            resolved += 1
    return kpis.as_percent(resolved / handled if handled else None)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_rollups_equal_raw_queries_on_random_history(acme, seed):
    with tenant_context(acme.tenant):
        queues, _agents = random_history(acme, seed)
        # a period cut inside days and inside 15-minute buckets' worth of local time
        since = START + timedelta(hours=7, minutes=30)
        until = START + timedelta(days=2, hours=13, minutes=45)
        raw = queue_kpis(since=since, until=until, queue_ids=[q.pk for q in queues])
        table = kpi_table(since=since, until=until, group_by="queue", queue_ids=[q.pk for q in queues])
        for row in table["rows"]:
            for key in ("offered", "answered", "abandoned", "short_abandons", "sl_percent", "asa_seconds"):
                assert row[key] == raw[row["key"]][key], (seed, key)
            for key in ("abandon_rate", "handled", "aht_seconds"):
                assert row[key] == raw[row["key"]][key], (seed, key)
        assert table["totals"]["fcr_percent"] == expected_fcr(since, until)
        scores = [
            c.survey_score
            for c in Call.objects.filter(arrived_at__gte=since, arrived_at__lt=until, survey_score__isnull=False)
        ]
        assert table["totals"]["csat_mean"] == kpis.rounded(sum(scores) / len(scores), 2)
        # every grouping re-aggregates to the same totals
        for group_by in ("interval", "day", "agent", "disposition"):
            other = kpi_table(since=since, until=until, group_by=group_by, interval_minutes=60)
            assert sum(r["offered"] for r in other["rows"]) == table["totals"]["offered"], group_by
            assert sum(r["handled"] for r in other["rows"]) == table["totals"]["handled"], group_by
            assert other["totals"]["sl_percent"] == table["totals"]["sl_percent"], group_by
        # the agent rows (a15/aday) and the full rows (m15/day, with a campaign filter) agree
        by_agent = kpi_table(since=since, until=until, group_by="agent")
        agent = next(row for row in by_agent["rows"] if row["key"] is not None)
        one = kpi_table(since=since, until=until, group_by="day", agent_ids=[agent["key"]])["totals"]
        full = kpi_table(since=since, until=until, group_by="disposition", agent_ids=[agent["key"]])["totals"]
        for key in ("answered", "handled", "aht_seconds", "asa_seconds", "csat_mean", "occupancy_percent"):
            assert one[key] == agent[key] == full[key], (seed, key)


def test_days_and_intervals_are_local(acme):
    with tenant_context(acme.tenant):
        queue = make_queue()
        agent = make_agent(acme.user("agent"))
        midnight = START + timedelta(days=1)  # 00:00 on 3 May in Shanghai
        # arrives at 23:59:50 local, answered after midnight: counted on the day it arrived
        answered(
            queue,
            agent,
            wait=20,
            arrived_at=midnight - timedelta(seconds=10),
            queued_at=midnight - timedelta(seconds=5),
        )
        answered(queue, agent, wait=5, arrived_at=midnight, queued_at=midnight + timedelta(seconds=1))
        answered(queue, agent, wait=5, arrived_at=midnight + timedelta(minutes=29, seconds=59))
        answered(queue, agent, wait=5, arrived_at=midnight + timedelta(minutes=30))
        rollups_rebuild_period(since=START, until=START + timedelta(days=3))
        days = kpi_table(since=START, until=START + timedelta(days=2), group_by="day")
        assert [(r["label"], r["offered"]) for r in days["rows"]] == [("2025-05-02", 1), ("2025-05-03", 3)]
        assert days["rows"][1]["key"] == "2025-05-03T00:00:00+08:00"
        halves = kpi_table(
            since=midnight - timedelta(hours=1), until=midnight + timedelta(hours=1), group_by="interval"
        )
        assert [(r["label"], r["offered"]) for r in halves["rows"]] == [
            ("2025-05-02 23:00", 0),
            ("2025-05-02 23:30", 1),
            ("2025-05-03 00:00", 2),
            ("2025-05-03 00:30", 1),
        ]


def test_overflowed_and_campaign_calls_count_once_in_the_queue_they_waited_in(acme):
    from apps.telephony.models import CallEvent, Campaign

    with tenant_context(acme.tenant):
        first, second = make_queue(), make_queue()
        agent = make_agent(acme.user("agent"))
        moved = answered(second, agent, wait=40, arrived_at=START, queued_at=START + timedelta(seconds=5))
        CallEvent.objects.create(
            call=moved, kind="overflow", at=START + timedelta(seconds=30), data={"from_queue_id": first.pk}
        )
        campaign = Campaign.objects.create(name="Renewals", queue=second)
        answered(second, agent, wait=2, arrived_at=START, direction="outbound", campaign=campaign)
        rollups_rebuild_period(since=START, until=START + timedelta(hours=1))
        table = kpi_table(since=START, until=START + timedelta(hours=1), group_by="queue")
        offered = {row["key"]: row["offered"] for row in table["rows"]}
        assert (offered[first.pk], offered[second.pk]) == (0, 2)
        by_campaign = kpi_table(since=START, until=START + timedelta(hours=1), group_by="campaign")
        assert {row["key"]: row["offered"] for row in by_campaign["rows"]} == {campaign.pk: 1, None: 1}
        assert by_campaign["rows"][0]["label"] == "Renewals"
        # FCR is an inbound figure: the campaign call is handled but not in the FCR base
        assert by_campaign["rows"][0]["fcr_percent"] is None


def test_refresh_rolls_recent_buckets_and_earlier_fcr(acme):
    with tenant_context(acme.tenant):
        queue = make_queue()
        agent = make_agent(acme.user("agent"))
        now = START + timedelta(hours=10)
        old = now - timedelta(hours=5)
        answered(queue, agent, wait=5, caller="555", arrived_at=old, queued_at=old + timedelta(seconds=5))
        rollups_rebuild_period(since=START, until=now)
        assert kpi_table(since=START, until=now, group_by="queue")["totals"]["fcr_percent"] == 100.0
        fresh = now - timedelta(minutes=20)
        unanswered(queue, wait=30, arrived=fresh, caller="555")  # the caller is back: not resolved
        written = rollups_refresh(now=now)
        assert written["fcr_buckets"] == 1
        totals = kpi_table(since=START, until=now, group_by="queue")["totals"]
        assert (totals["offered"], totals["fcr_percent"]) == (2, 0.0)
        # a minute later the repeat is old news: the earlier bucket is not rebuilt again
        assert rollups_refresh(now=now + timedelta(minutes=1))["fcr_buckets"] == 0


def test_refresh_catches_up_after_a_stopped_beat(acme):
    with tenant_context(acme.tenant):
        queue = make_queue()
        agent = make_agent(acme.user("agent"))
        now = START + timedelta(hours=10)
        rollups_refresh(now=now)
        later = now + timedelta(hours=5)
        answered(queue, agent, wait=5, arrived_at=now + timedelta(hours=1), queued_at=now + timedelta(hours=1))
        rollups_refresh(now=later)
        assert kpi_table(since=now, until=later, group_by="queue")["totals"]["offered"] == 1


def test_refresh_task_is_named_and_runs_every_tenant(acme, globex):
    assert rollups_refresh_task.name == "reports.rollups_refresh"
    assert rollups_refresh_task()["tenants"] >= 2


def test_history_receiver_rebuilds_the_period(acme):
    with tenant_context(acme.tenant):
        queue = make_queue()
        answered(queue, make_agent(acme.user("agent")), wait=5, arrived_at=START, queued_at=START)
        assert not CallRollup.objects.exists()
        receivers.connect()
        receivers.history_written_receiver(Call, since=START, until=START + timedelta(hours=1))
        assert kpi_table(since=START, until=START + timedelta(hours=1), group_by="queue")["totals"]["offered"] == 1


def test_generated_history_reaches_the_rollups_through_the_signal(acme):
    """ReportsConfig.ready connects the receiver to apps.telephony.signals.history_written."""
    from apps.telephony import signals  # noqa: PLC0415 -- the attribute is looked up, as receivers.py does

    signal = getattr(signals, "history_written", None)
    with tenant_context(acme.tenant):
        queue = make_queue()
        answered(queue, make_agent(acme.user("agent")), wait=5, arrived_at=START, queued_at=START)
        if signal is None:  # a checkout without generate_history: nothing to connect to
            receivers.connect()
            assert not CallRollup.objects.exists()
            return
        signal.send(sender=Call, since=START, until=START + timedelta(hours=1), tenant=acme.tenant)
        assert kpi_table(since=START, until=START + timedelta(hours=1), group_by="queue")["totals"]["offered"] == 1


def test_rebuild_command(acme):
    with tenant_context(acme.tenant):
        answered(make_queue(), make_agent(acme.user("agent")), wait=5, arrived_at=START, queued_at=START)
    out = io.StringIO()
    call_command(
        "rebuild_rollups", "--tenant", "acme", "--since", "2025-05-02", "--until", "2025-05-03", "--json", stdout=out
    )
    result = json.loads(out.getvalue())
    assert result["since"] == "2025-05-02T00:00:00+08:00"
    assert result["call_rows"] == 1
    with pytest.raises(CommandError, match="no tenant"):
        call_command("rebuild_rollups", "--tenant", "nope")
    with pytest.raises(CommandError, match="ISO 8601"):
        call_command("rebuild_rollups", "--tenant", "acme", "--since", "yesterday")
    with pytest.raises(CommandError, match="after"):
        call_command("rebuild_rollups", "--tenant", "acme", "--since", "2025-05-03", "--until", "2025-05-02")


def test_rebuilds_take_the_tenants_rollup_lock(acme):
    """Overlapping rebuilds (the beat and the command) are serialised by a transaction-level
    advisory lock: while one holds it, a second connection cannot take it."""
    import psycopg  # noqa: PLC0415
    from django.db import connection  # noqa: PLC0415

    with tenant_context(acme.tenant):
        queue = make_queue()
        answered(queue, make_agent(acme.user("agent")), wait=5, arrived_at=START, queued_at=START)
        rollups_rebuild_period(since=START, until=START + timedelta(hours=1))
        with connection.cursor() as cursor:
            cursor.execute("SELECT hashtext('reports.rollups:' || current_schema())")
            (key,) = cursor.fetchone()
            # the test's transaction has taken it (the rebuild ran inside it); another session cannot
            params = connection.get_connection_params()
            other = psycopg.connect(**{k: v for k, v in params.items() if k not in ("cursor_factory", "context")})
            try:
                taken = other.execute("SELECT pg_try_advisory_xact_lock(%s)", [key]).fetchone()[0]
            finally:
                other.close()
        assert taken is False
