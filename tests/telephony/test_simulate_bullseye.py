"""Bullseye in the simulator: the real controller and ACD on a virtual clock show the trade-off
(more calls answered by the top-level agents than with longest idle, for a few seconds of ASA)."""

from __future__ import annotations

import json
import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from apps.telephony.engine.simulation.inbound import SimulationOptions, run_simulation
from tests.accounts.helpers import web_login

LEVELS = (10,) * 4 + (6,) * 4 + (3,) * 4
RINGS = ((9, 0.0), (5, 15.0), (1, 30.0))


def _run(strategy: str, rings=(), seed: int = 1) -> dict:
    options = SimulationOptions(
        agents=12,
        arrivals_per_hour=120,
        aht_seconds=180,
        patience_seconds=None,
        sl_threshold_seconds=20,
        hours=4,
        seed=seed,
        agent_levels=LEVELS,
        strategy=strategy,
        rings=rings,
    )
    return run_simulation(options).figures


def test_bullseye_gives_the_top_level_more_calls_for_a_little_asa():
    """12 agents (4 each at levels 10, 6 and 3), 6 Erlangs: longest idle spreads the calls
    evenly (about a third to level 10); bullseye first waits 15 s for a level-9+ agent, then 30 s
    for level 5+, so the top level takes well over half, and callers wait a few seconds more."""
    plain = _run("longest_idle")
    bullseye = _run("bullseye", RINGS)
    # Nobody hangs up (patience none); the seeded runs differ once agents differ (one random stream).
    assert plain["answered"] == plain["offered"] and bullseye["answered"] == bullseye["offered"]
    assert abs(plain["offered"] - bullseye["offered"]) < 0.1 * plain["offered"]
    assert abs(plain["top_level_share"] - 1 / 3) < 0.05
    assert bullseye["top_level_share"] > plain["top_level_share"] + 0.15
    assert sum(bullseye["answered_by_level"].values()) == bullseye["answered"]
    assert bullseye["answered_by_level"]["3"] < plain["answered_by_level"]["3"] / 2
    # The cost: some ASA (the calls that wait for a ring to widen), but not a collapse.
    assert plain["asa_seconds"] < bullseye["asa_seconds"] < plain["asa_seconds"] + 15
    assert bullseye["service_level"] > 0.75
    # Calls answered in each ring; most in the inner two.
    rings = bullseye["answered_by_ring"]
    assert set(rings) == {"1", "2", "3"} and sum(rings.values()) == bullseye["answered"]
    assert rings["1"] + rings["2"] > rings["3"]
    assert "answered_by_ring" not in plain


def test_the_same_seed_gives_the_same_run():
    assert _run("bullseye", RINGS, seed=7) == _run("bullseye", RINGS, seed=7)


def simulate(*args: str) -> dict:
    out = StringIO()
    call_command("simulate", "--tenant", "acme", *args, "--json", stdout=out)
    return json.loads(out.getvalue())


BASE = ("--agents", "12", "--arrivals-per-hour", "120", "--aht", "180", "--hours", "1", "--seed", "3")


def test_simulate_command_runs_a_bullseye_queue(acme):
    result = simulate(*BASE, "--agent-levels", "10:4,6:4,3:4", "--strategy", "bullseye", "--rings", "9:0,5:15,1:30")
    assert set(result["answered_by_level"]) == {"3", "6", "10"}
    assert sum(result["answered_by_ring"].values()) == result["answered"]
    assert 0 <= result["top_level_share"] <= 1
    plain = simulate(*BASE, "--agent-levels", "10:4,6:4,3:4")
    assert "answered_by_ring" not in plain and plain["answered_by_level"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--agent-levels", "10:4,6:4"), "--agent-levels name 8 agents"),
        (("--agent-levels", "10-4"), "number:number"),
        (("--agent-levels", "11:12"), "levels go from 1 to 10"),
        (("--strategy", "bullseye", "--rings", "9:0"), "needs --agent-levels"),
        (("--agent-levels", "10:12", "--strategy", "bullseye"), "--rings"),
        (("--agent-levels", "10:12", "--strategy", "bullseye", "--rings", "9:0,9:10"), "levels descending"),
        (("--agent-levels", "10:12", "--strategy", "bullseye", "--rings", "9:5"), "starts at once"),
        (("--agent-levels", "10:12", "--rings", "9:0"), "needs --strategy bullseye"),
    ],
)
def test_simulate_command_refuses_bad_routing_options(acme, args, message):
    with pytest.raises(CommandError, match=message):
        simulate(*BASE, *args)


# --- the what-if page ----------------------------------------------------------------------------------

WHATIF = "/wallboard/what-if/"
WHATIF_INPUTS = {
    "agents": "12",
    "arrivals_per_hour": "120",
    "aht_seconds": "180",
    "patience_seconds": "",
    "sl_threshold_seconds": "20",
    "sl_target_percent": "80",
    "hours": "2",
    "seed": "1",
    "agent_levels": "10:4, 6:4, 3:4",
}


@pytest.fixture
def planner(acme):
    return web_login(acme, acme.user("supervisor").email)


def _share(html: str) -> float:
    found = re.search(r'data-figure="top_level_share"><th scope="row">[^<]*</th><td class="num">([0-9.]+)%', html)
    assert found, "the top level's share is on the page"
    return float(found.group(1))


def test_whatif_page_compares_longest_idle_and_bullseye(planner):
    plain = planner.get(WHATIF, WHATIF_INPUTS)
    assert plain.status_code == 200
    bullseye = planner.get(WHATIF, {**WHATIF_INPUTS, "strategy": "bullseye", "rings": "9:0, 5:15, 1:30"})
    assert bullseye.status_code == 200
    html = bullseye.content.decode()
    assert 'data-figure="answered_by_ring"' in html and 'data-figure="answered_by_ring"' not in plain.content.decode()
    assert _share(html) > _share(plain.content.decode()) + 15


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"agent_levels": "10:4"}, "agent_levels", "These levels name 4 agents, not 12."),
        ({"agent_levels": "ten"}, "agent_levels", "Write level:count"),
        ({"strategy": "bullseye"}, "rings", "Give the rings"),
        ({"strategy": "bullseye", "rings": "9:0, 9:15"}, "rings", "levels descending"),
        ({"rings": "9:0"}, "rings", "Rings are for the bullseye routing."),
        ({"strategy": "bullseye", "agent_levels": "", "rings": "9:0"}, "agent_levels", "give the agents' levels"),
    ],
)
def test_whatif_page_refuses_bad_routing_inputs_with_400(planner, changes, field, message):
    response = planner.get(WHATIF, {**WHATIF_INPUTS, **changes})
    assert response.status_code == 400
    html = response.content.decode()
    block = html.split(f'data-field="{field}"', 1)[1].split('<div class="field', 1)[0]
    assert message in block.replace("&#x27;", "'")
    assert 'id="whatif-result"' not in html


def test_simulate_table_shows_who_answered(acme):
    out = StringIO()
    call_command(
        "simulate", "--tenant", "acme", *BASE, "--agent-levels", "10:4,6:4,3:4", "--strategy", "bullseye",
        "--rings", "9:0,5:15,1:30", stdout=out,
    )  # fmt: skip
    table = out.getvalue()
    assert "by level       L3: " in table and "top level" in table and "by ring        ring 1: " in table
