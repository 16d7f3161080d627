"""Erlang B/C staffing maths against DOMAIN.md §3 and textbook values."""

from __future__ import annotations

import math

import pytest

from apps.telephony.engine import erlang

# DOMAIN.md §3: 100 calls in 30 min, AHT 180 s, 80 % in 20 s, 30 % shrinkage.
WORKED = {"calls": 100, "interval_seconds": 1800, "aht_seconds": 180, "sl_target": 0.8, "sl_threshold_seconds": 20}


def test_traffic_of_the_worked_example_is_ten_erlangs():
    assert erlang.traffic_erlangs(100, 1800, 180) == pytest.approx(10.0)


def test_worked_example_needs_fourteen_agents():
    assert erlang.required_agents(**WORKED, shrinkage=0.3).agents == 14


def test_worked_example_service_level():
    assert erlang.required_agents(**WORKED, shrinkage=0.3).service_level == pytest.approx(0.888, abs=0.0005)


def test_worked_example_wait_probability():
    assert erlang.required_agents(**WORKED, shrinkage=0.3).wait_probability == pytest.approx(0.174, abs=0.0005)


def test_worked_example_rosters_twenty_staff_after_shrinkage():
    assert erlang.required_agents(**WORKED, shrinkage=0.3).staff == 20


def test_thirteen_agents_miss_the_target_of_the_worked_example():
    assert erlang.service_level(13, 10.0, 180, 20) < 0.8


def test_erlang_b_matches_the_recursion_for_small_cases():
    # B(1, A) = A / (1 + A); B(2, A) = A² / 2 / (1 + A + A² / 2)
    assert erlang.erlang_b(1, 2.0) == pytest.approx(2 / 3)
    assert erlang.erlang_b(2, 2.0) == pytest.approx(2.0 / 5.0)


def test_erlang_c_of_one_agent_is_the_utilisation():
    assert erlang.erlang_c(1, 0.5) == pytest.approx(0.5)


def test_a_queue_with_no_more_agents_than_traffic_always_waits():
    assert erlang.erlang_c(10, 10.0) == 1.0
    assert erlang.service_level(10, 12.0, 180, 20) == 0.0
    assert math.isinf(erlang.average_speed_of_answer(10, 10.0, 180))


def test_asa_of_the_worked_example():
    # C·AHT / (N − A) = 0.17413 × 180 / 4
    assert erlang.average_speed_of_answer(14, 10.0, 180) == pytest.approx(7.836, abs=0.001)


def test_occupancy_is_traffic_over_agents():
    assert erlang.occupancy(14, 10.0) == pytest.approx(10 / 14)


def test_occupancy_cap_adds_agents():
    capped = erlang.required_agents(**WORKED, max_occupancy=0.7)
    assert capped.agents == 15
    assert capped.occupancy <= 0.7


def test_erlang_b_stays_finite_for_large_centres():
    assert 0 < erlang.erlang_b(500, 450.0) < 1
    assert (
        erlang.required_agents(
            calls=100_000, interval_seconds=86_400, aht_seconds=300, sl_target=0.8, sl_threshold_seconds=20
        ).agents
        > 347
    )


@pytest.mark.parametrize("shrinkage", [-0.1, 1.0])
def test_shrinkage_must_be_a_fraction_below_one(shrinkage):
    with pytest.raises(ValueError, match="shrinkage"):
        erlang.required_agents(**WORKED, shrinkage=shrinkage)


def test_sl_target_is_a_fraction():
    with pytest.raises(ValueError, match="sl_target"):
        erlang.required_agents(**{**WORKED, "sl_target": 80})
