"""Every KPI of the reports' engine against the hand-computed call set of tests/reports/kpi_world.py."""

from __future__ import annotations

import pytest
from django_tenants.utils import tenant_context

from apps.reports.selectors.kpis import kpi_settings, kpi_table
from apps.telephony.selectors.kpis import queue_kpis
from tests.reports.kpi_world import SINCE, UNTIL, build, rebuild


@pytest.fixture
def world(acme):
    with tenant_context(acme.tenant):
        yield build(acme)


def _row(table, key):
    return next(row for row in table["rows"] if row["key"] == key)


@pytest.fixture
def queue_a(world):
    return _row(kpi_table(since=SINCE, until=UNTIL, group_by="queue"), world["a"].pk)


def test_inbound_counts(queue_a):
    assert (queue_a["offered"], queue_a["answered"], queue_a["abandoned"], queue_a["short_abandons"]) == (11, 5, 3, 2)


def test_service_level_counts_exactly_t_as_within(queue_a):
    assert queue_a["sl_percent"] == round(100 * 3 / 7, 2)


def test_asa_abandon_rate_and_handle_times(queue_a):
    assert queue_a["asa_seconds"] == 16.0
    assert queue_a["abandon_rate"] == round(100 * 3 / 11, 2)
    assert queue_a["handled"] == 4
    assert queue_a["aht_seconds"] == 150.0
    assert (queue_a["talk_seconds_mean"], queue_a["hold_seconds_mean"], queue_a["wrapup_seconds_mean"]) == (
        127.5,
        3.75,
        18.75,
    )


def test_fcr_looks_past_the_period_and_counts_resolving_dispositions(queue_a):
    assert queue_a["fcr_percent"] == 75.0


def test_fcr_without_resolving_dispositions(world):
    settings = kpi_settings()
    settings.fcr_resolved_counts = False
    settings.save()
    row = _row(kpi_table(since=SINCE, until=UNTIL, group_by="queue"), world["a"].pk)
    assert row["fcr_percent"] == 50.0


def test_fcr_window_is_read_at_rebuild(world):
    settings = kpi_settings()
    settings.fcr_window_hours = 24 * 4  # caller 2's call after 73 h is now a repeat
    settings.save()
    rebuild()
    table = kpi_table(since=SINCE, until=UNTIL, group_by="queue")
    assert _row(table, world["a"].pk)["fcr_percent"] == 50.0
    assert table["settings"]["fcr_window_hours"] == 96


def test_csat_and_containment(queue_a, world):
    assert queue_a["csat_mean"] == 3.25
    assert queue_a["csat_top2_percent"] == 50.0
    totals = kpi_table(since=SINCE, until=UNTIL, group_by="queue")["totals"]
    assert totals["containment_percent"] == round(100 / 3, 2)


def test_blocked_rate_per_trunk(world):
    row = _row(kpi_table(since=SINCE, until=UNTIL, group_by="trunk"), world["trunk"].pk)
    assert row["blocked"] == 1
    assert row["blocked_rate"] == 50.0
    assert row["label"] == "trunk X"


def test_blocked_calls_count_against_the_numbers_queue(queue_a):
    assert queue_a["blocked"] == 1


def test_transfers_rona_callbacks_voicemails(world):
    by_agent = kpi_table(since=SINCE, until=UNTIL, group_by="agent")
    assert _row(by_agent, world["agent"].pk)["transfers"] == 1
    assert _row(by_agent, world["agent"].pk)["rona"] == 0
    assert _row(by_agent, world["agent2"].pk)["rona"] == 1
    totals = by_agent["totals"]
    assert (totals["transfers"], totals["rona"], totals["callbacks"], totals["voicemails"]) == (1, 1, 1, 1)


def test_occupancy_per_agent_from_state_changes(world):
    by_agent = kpi_table(since=SINCE, until=UNTIL, group_by="agent")
    assert _row(by_agent, world["agent"].pk)["occupancy_percent"] == 40.0
    by_queue = kpi_table(since=SINCE, until=UNTIL, group_by="queue")
    assert _row(by_queue, world["a"].pk)["occupancy_percent"] is None  # states belong to no queue


def test_occupancy_split_at_interval_boundaries(world):
    rows = kpi_table(since=SINCE, until=UNTIL, group_by="interval", interval_minutes=15)["rows"]
    by_label = {row["label"]: row["occupancy_percent"] for row in rows}
    assert by_label["2025-03-03 17:00"] == round(100 * 300 / 900, 2)  # ready 600 s, talking 300 s
    assert by_label["2025-03-03 17:15"] == 100.0  # hold 60 s, wrap-up 40 s
    assert by_label["2025-03-03 16:45"] is None


def test_short_abandons_counted_when_the_tenant_says_so(world):
    settings = kpi_settings()
    settings.short_abandons_excluded = False
    settings.save()
    table = kpi_table(since=SINCE, until=UNTIL, group_by="queue")
    row = _row(table, world["a"].pk)
    assert row["abandoned"] == 5
    assert row["abandon_rate"] == round(100 * 5 / 11, 2)
    assert row["sl_percent"] == round(100 * 3 / 7, 2)  # both short abandons left within T
    assert table["settings"]["short_abandons_excluded"] is False
    assert any("counted as abandoned" in line for line in table["settings_lines"])


def test_ratios_are_none_without_a_denominator(world):
    table = kpi_table(since=UNTIL.replace(year=2024), until=SINCE.replace(year=2024), group_by="queue")
    row = _row(table, world["a"].pk)
    assert row["offered"] == 0
    for key in ("sl_percent", "asa_seconds", "abandon_rate", "aht_seconds", "fcr_percent", "csat_mean"):
        assert row[key] is None


def test_rollups_equal_the_raw_queue_selector(world):
    raw = queue_kpis(since=SINCE, until=UNTIL, queue_ids=[world["a"].pk])[world["a"].pk]
    rolled = _row(kpi_table(since=SINCE, until=UNTIL, group_by="queue"), world["a"].pk)
    for key in ("offered", "answered", "abandoned", "short_abandons", "sl_percent", "asa_seconds"):
        assert rolled[key] == raw[key], key
    for key in ("abandon_rate", "handled", "aht_seconds", "blocked"):
        assert rolled[key] == raw[key], key


def test_rebuilding_twice_changes_nothing(world):
    first = kpi_table(since=SINCE, until=UNTIL, group_by="agent")
    rebuild()
    assert kpi_table(since=SINCE, until=UNTIL, group_by="agent")["rows"] == first["rows"]


def test_settings_are_stated(world):
    table = kpi_table(since=SINCE, until=UNTIL, group_by="queue")
    settings = table["settings"]
    assert settings["sl_threshold_seconds"][world["a"].name] == 15
    assert settings["fcr_window_hours"] == 72
    assert settings["time_zone"] == "Asia/Shanghai"
    assert settings["targets"] == {
        "abandon_rate_percent": 2.0,
        "asa_seconds": 15,
        "fcr_percent": 90.0,
        "occupancy_percent": 80.0,
    }
    assert any("72 hours" in line for line in table["settings_lines"])


def test_team_grouping_is_refused_until_teams_exist(world):
    with pytest.raises(ValueError, match="teams"):
        kpi_table(since=SINCE, until=UNTIL, group_by="team")
