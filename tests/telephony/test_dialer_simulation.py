"""Whole campaigns on the virtual clock: the abandon limit holds, predictive beats progressive,
and the ``simulate_campaign`` command keeps its contract."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django_tenants.utils import tenant_context

from apps.telephony.engine.simulation.campaigns import CampaignSimulationOptions, run_campaign_simulation
from apps.telephony.models import Call, Recording

CONTRACT_KEYS = {
    "dials",
    "live_answers",
    "abandoned",
    "abandon_rate",
    "talk_minutes_per_agent_hour",
    "occupancy",
    "contacts_finished",
    "wall_seconds",
}


def simulation(mode: str, *, answer_rate: float, seed: int = 1, agents: int = 20, hours: float = 2.0, **extra):
    options = CampaignSimulationOptions(
        mode=mode,
        agents=agents,
        contacts=100_000,
        answer_rate=answer_rate,
        machine_rate=0.15,
        aht_seconds=120,
        wrapup_seconds=10,
        hours=hours,
        seed=seed,
        **extra,
    )
    return run_campaign_simulation(options).figures


@pytest.mark.parametrize("answer_rate", [0.1, 0.6])
def test_predictive_stays_within_the_abandon_limit_at_low_and_high_answer_rates(answer_rate):
    figures = simulation("predictive", answer_rate=answer_rate)
    assert figures["live_answers"] > 1000
    assert figures["abandon_rate"] <= 0.03
    assert figures["abandoned"] > 0  # it does use the allowance: it is not progressive in disguise


def test_predictive_respects_a_stricter_limit():
    figures = simulation("predictive", answer_rate=0.25, max_abandon=0.01)
    assert figures["abandon_rate"] <= 0.01


def test_predictive_keeps_agents_busier_than_progressive():
    progressive = simulation("progressive", answer_rate=0.25)
    predictive = simulation("predictive", answer_rate=0.25)
    assert predictive["talk_minutes_per_agent_hour"] >= 1.25 * progressive["talk_minutes_per_agent_hour"]
    assert predictive["occupancy"] > progressive["occupancy"]


def test_progressive_never_abandons_when_the_detector_makes_no_mistakes():
    figures = simulation("progressive", answer_rate=0.5, agents=10, hours=1)
    assert figures["live_answers"] > 100
    assert figures["abandoned"] == 0


def test_progressive_abandons_only_the_detector_false_positives():
    result = run_campaign_simulation(
        CampaignSimulationOptions(
            mode="progressive", agents=10, contacts=10_000, answer_rate=0.5, machine_rate=0.1,
            amd_false_positive=0.05, aht_seconds=120, hours=1, seed=2,
        )
    )  # fmt: skip
    assert result.figures["abandoned"] == result.driver.amd_false_positives > 0


def test_the_same_seed_gives_the_same_figures():
    assert simulation("predictive", answer_rate=0.3, hours=0.5) == simulation("predictive", answer_rate=0.3, hours=0.5)


def test_a_small_list_finishes_and_counts_its_contacts():
    result = run_campaign_simulation(
        CampaignSimulationOptions(
            mode="predictive", agents=5, contacts=40, answer_rate=0.5, machine_rate=0.1, aht_seconds=60, hours=8,
        )
    )  # fmt: skip
    assert result.figures["contacts_finished"] == 40
    assert result.source.counts(1)["remaining"] == 0
    assert result.clock.now() < 8 * 3600  # stopped when the list was done


# --- the command ------------------------------------------------------------------------------------


def simulate_campaign(*args: str) -> dict:
    out = StringIO()
    call_command("simulate_campaign", "--tenant", "acme", *args, "--json", stdout=out)
    lines = out.getvalue().strip().splitlines()
    assert len(lines) == 1
    return json.loads(lines[0])


BASE = ["--agents", "5", "--contacts", "2000", "--answer-rate", "0.3", "--machine-rate", "0.15", "--aht", "90",
        "--hours", "0.5", "--seed", "4"]  # fmt: skip


def test_output_is_one_json_object_with_the_contract_keys(acme):
    result = simulate_campaign("--mode", "predictive", *BASE, "--amd-false-positive", "0.02", "--wrapup", "5")
    assert set(result) == CONTRACT_KEYS
    assert result["live_answers"] <= result["dials"]
    assert result["abandoned"] <= result["live_answers"]
    assert result["abandon_rate"] == pytest.approx(result["abandoned"] / result["live_answers"], abs=1e-5)
    assert 0 < result["occupancy"] <= 1
    assert 0 < result["talk_minutes_per_agent_hour"] <= 60


def test_power_mode_needs_its_ratio(acme):
    result = simulate_campaign("--mode", "power", "--ratio", "2", *BASE)
    assert set(result) == CONTRACT_KEYS
    with pytest.raises(CommandError, match="--ratio is required"):
        simulate_campaign("--mode", "power", *BASE)
    with pytest.raises(CommandError, match="--ratio applies to power mode only"):
        simulate_campaign("--mode", "progressive", "--ratio", "2", *BASE)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--answer-rate", "1.5"], "--answer-rate:? must be at most 1"),
        (["--answer-rate", "abc"], "--answer-rate:? must be a number"),
        (["--agents", "0"], "--agents:? must be at least 1"),
        (["--aht", "0"], "--aht:? must be greater than 0"),
        (["--machine-rate", "0.9"], "--answer-rate \\+ --machine-rate must be at most 1"),
        (["--max-abandon", "-0.1"], "--max-abandon:? must be at least 0"),
        (["--ring-timeout", "10"], "--ring-timeout:? must be at least 15"),
        (["--hours", "nan"], "--hours:? must be greater than 0"),
    ],
)
def test_bad_arguments_are_refused_with_a_clear_message(acme, args, message):
    values = dict(zip(BASE[::2], BASE[1::2], strict=True))
    for flag, value in zip(args[::2], args[1::2], strict=True):
        values[flag] = value
    flat = [item for pair in values.items() for item in pair]
    with pytest.raises(CommandError, match=message):
        call_command(
            "simulate_campaign", "--tenant", "acme", "--mode", "predictive", *flat, "--json", stdout=StringIO()
        )


def test_bad_keyword_arguments_are_refused_too(acme):
    with pytest.raises(CommandError, match="--answer-rate:? must be at most 1"):
        call_command(
            "simulate_campaign", tenant="acme", mode="progressive", agents=5, contacts=10, answer_rate=2,
            machine_rate=0, aht=60, hours=1, stdout=StringIO(),
        )  # fmt: skip


def test_an_unknown_tenant_is_refused(db):
    with pytest.raises(CommandError, match="There is no tenant 'nobody'"):
        call_command("simulate_campaign", "--tenant", "nobody", "--mode", "predictive", *BASE, stdout=StringIO())


def test_nothing_is_written_unless_a_sample_is_asked_for(acme):
    with tenant_context(acme.tenant):
        before = Call.objects.count()
    simulate_campaign("--mode", "progressive", *BASE)
    with tenant_context(acme.tenant):
        assert Call.objects.count() == before
    simulate_campaign("--mode", "progressive", *BASE, "--record-sample", "3")
    with tenant_context(acme.tenant):
        written = list(Call.objects.filter(uid__startswith="simulate-").order_by("id"))
        assert len(written) == 3
        assert all(call.direction == "outbound" and call.is_simulated for call in written)
        assert Recording.objects.filter(call__in=written).count() == 3
