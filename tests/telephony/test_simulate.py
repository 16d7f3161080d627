"""The ``simulate`` command: its JSON contract, agreement with Erlang C, blocking, abandons, errors."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django_tenants.utils import tenant_context

from apps.telephony.engine import erlang
from apps.telephony.models import Call, Queue

CONTRACT_KEYS = {
    "offered",
    "answered",
    "abandoned",
    "blocked",
    "service_level",
    "asa_seconds",
    "aht_seconds",
    "occupancy",
    "wall_seconds",
}


def simulate(*args: str) -> dict:
    out = StringIO()
    call_command("simulate", "--tenant", "acme", *args, "--json", stdout=out)
    lines = out.getvalue().strip().splitlines()
    assert len(lines) == 1
    return json.loads(lines[0])


def test_output_is_one_json_object_with_the_contract_keys(acme):
    result = simulate("--agents", "3", "--arrivals-per-hour", "60", "--aht", "120", "--hours", "2", "--seed", "1")
    assert set(result) == CONTRACT_KEYS
    assert 0 <= result["service_level"] <= 1
    assert 0 <= result["occupancy"] <= 1
    assert result["offered"] == result["answered"] + result["abandoned"]


def test_agrees_with_erlang_c_under_its_assumptions(acme):
    """Exponential talk, Poisson arrivals, no abandons, no wrap-up: M/M/N, which Erlang C solves.

    2 agents, A = 1 Erlang (30 calls/h × 120 s), T = 20 s, about 30,000 calls. Across seeds
    this set-up gives a standard deviation of about 0.006 for the service level and 4 % for the
    ASA, so the tolerances (0.03 and 15 %) are about 5 and 4 standard deviations: a failure
    means the engine queues wrongly, not bad luck. The seed is fixed anyway.
    """
    agents, rate, aht, threshold, hours = 2, 30.0, 120.0, 20, 1000
    result = simulate(
        "--agents", str(agents), "--arrivals-per-hour", str(rate), "--aht", str(aht), "--talk-dist", "exp",
        "--wrapup", "0", "--patience", "none", "--sl-threshold", str(threshold), "--hours", str(hours),
        "--seed", "2026",
    )  # fmt: skip
    traffic = rate / 3600 * aht
    expected_sl = erlang.service_level(agents, traffic, aht, threshold)
    expected_asa = erlang.average_speed_of_answer(agents, traffic, aht)
    assert result["offered"] > 28_000
    assert result["abandoned"] == 0
    assert result["answered"] == result["offered"]
    assert abs(result["service_level"] - expected_sl) < 0.03
    assert result["asa_seconds"] == pytest.approx(expected_asa, rel=0.15)
    assert result["occupancy"] == pytest.approx(erlang.occupancy(agents, traffic), abs=0.02)
    assert result["aht_seconds"] == pytest.approx(aht, rel=0.03)


def test_arrivals_beyond_the_trunk_channels_are_blocked(acme):
    result = simulate(
        "--agents", "1", "--arrivals-per-hour", "600", "--aht", "300", "--talk-dist", "fixed",
        "--hours", "1", "--channels", "2", "--seed", "3",
    )  # fmt: skip
    assert result["blocked"] > 0
    assert result["offered"] + result["blocked"] > result["offered"]


def test_without_a_channel_cap_nothing_is_blocked(acme):
    result = simulate("--agents", "1", "--arrivals-per-hour", "600", "--aht", "300", "--hours", "1", "--seed", "3")
    assert result["blocked"] == 0


def test_patience_produces_abandons(acme):
    result = simulate(
        "--agents", "1", "--arrivals-per-hour", "120", "--aht", "120", "--patience", "30", "--hours", "4",
        "--seed", "5",
    )  # fmt: skip
    assert result["abandoned"] > 0
    assert result["answered"] + result["abandoned"] == result["offered"]


def test_no_patience_means_no_abandons_even_when_overloaded(acme):
    result = simulate("--agents", "1", "--arrivals-per-hour", "40", "--aht", "120", "--hours", "2", "--seed", "5")
    assert result["abandoned"] == 0


def test_wrapup_counts_in_aht_and_occupancy(acme):
    common = ["--agents", "2", "--arrivals-per-hour", "30", "--aht", "100", "--talk-dist", "fixed", "--hours", "4"]
    without = simulate(*common, "--wrapup", "0", "--seed", "9")
    with_wrapup = simulate(*common, "--wrapup", "20", "--seed", "9")
    assert without["aht_seconds"] == pytest.approx(100.0)
    assert with_wrapup["aht_seconds"] == pytest.approx(120.0)
    assert with_wrapup["occupancy"] > without["occupancy"]


def test_same_seed_gives_the_same_figures(acme):
    args = ["--agents", "2", "--arrivals-per-hour", "50", "--aht", "100", "--talk-dist", "lognormal", "--seed", "4"]
    first = simulate(*args)
    second = simulate(*args)
    first.pop("wall_seconds")
    second.pop("wall_seconds")
    assert first == second


def test_runs_in_a_scratch_queue_and_writes_no_calls(acme):
    simulate("--agents", "1", "--arrivals-per-hour", "30", "--aht", "60", "--seed", "1")
    with tenant_context(acme.tenant):
        scratch = Queue.objects.filter(is_scratch=True)
        assert scratch.count() == 1
        assert not Call.objects.filter(queue=scratch.first()).exists()
    simulate("--agents", "1", "--arrivals-per-hour", "30", "--aht", "60", "--seed", "2")
    with tenant_context(acme.tenant):
        assert Queue.objects.filter(is_scratch=True).count() == 1


def test_record_sample_writes_that_many_cdrs_with_recordings(acme):
    simulate("--agents", "1", "--arrivals-per-hour", "30", "--aht", "30", "--seed", "1", "--record-sample", "2")
    with tenant_context(acme.tenant):
        calls = Call.objects.filter(queue__is_scratch=True)
        assert calls.count() == 2
        assert all(call.recording.duration_seconds > 0 for call in calls)


def test_human_readable_output_without_json(acme):
    out = StringIO()
    call_command(
        "simulate", "--tenant", "acme", "--agents", "1", "--arrivals-per-hour", "30", "--aht", "60", stdout=out
    )
    assert "service level" in out.getvalue()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--agents", "0"], "--agents"),
        (["--agents", "two"], "--agents"),
        (["--arrivals-per-hour", "0"], "--arrivals-per-hour"),
        (["--aht", "-5"], "--aht"),
        (["--talk-dist", "gamma"], "--talk-dist"),
        (["--patience", "soon"], "--patience"),
        (["--hours", "0"], "--hours"),
        (["--arrivals-per-hour", "1e9", "--hours", "100"], "at most"),
    ],
)
def test_bad_options_are_refused_with_a_clear_message(acme, args, message):
    base = {"--agents": "1", "--arrivals-per-hour": "10", "--aht": "60"}
    for flag, value in zip(args[::2], args[1::2], strict=True):
        base[flag] = value
    argv = [item for pair in base.items() for item in pair]
    with pytest.raises(CommandError, match=message):
        call_command("simulate", "--tenant", "acme", *argv, "--json", stdout=StringIO())


def test_unknown_tenant_is_refused(db):
    with pytest.raises(CommandError, match="no tenant"):
        call_command(
            "simulate", "--tenant", "nope", "--agents", "1", "--arrivals-per-hour", "10", "--aht", "60",
            stdout=StringIO(),
        )  # fmt: skip


def test_keyword_options_are_checked_too(acme):
    with pytest.raises(CommandError, match="--agents"):
        call_command("simulate", tenant="acme", agents=0, arrivals=10, aht=60, stdout=StringIO())
