"""The pacers' decisions on constructed situations (plain Python, no engine, no database)."""

from __future__ import annotations

import pytest

from apps.telephony.dialer.contract import CampaignSettings
from apps.telephony.dialer.pacing import (
    THETA_MIN,
    WARMUP_LINES,
    AbandonControl,
    PacingSnapshot,
    PowerPacer,
    PredictivePacer,
    PreviewPacer,
    ProgressivePacer,
    make_pacer,
)

LIVE_AGE = 8.0  # in the trained model every live answer comes 8 s after the dial
FAILED_AGE = 25.0  # everything else resolves at the ring timeout


def settings(**overrides) -> CampaignSettings:
    values = {"campaign_id": 1, "mode": "predictive", "wrapup_seconds": 10.0}
    values.update(overrides)
    return CampaignSettings(**values)


def trained(p_live: float = 0.25, talk: float = 120.0, wrap: float = 10.0, **overrides) -> PredictivePacer:
    """A predictive pacer that has seen 1,000 lines (a share ``p_live`` live at 8 s, the rest
    failing at 25 s) and 200 calls of ``talk`` seconds with ``wrap`` seconds of wrap-up."""
    pacer = PredictivePacer(settings(**overrides))
    lives = round(1000 * p_live)
    for index in range(1000):
        if index < lives:
            pacer.observe_line(LIVE_AGE, live=True)
        else:
            pacer.observe_line(FAILED_AGE, live=False)
    for _ in range(200):
        pacer.observe_talk(talk)
        pacer.observe_wrapup(wrap)
    assert not pacer.warming_up
    return pacer


def snapshot(**values) -> PacingSnapshot:
    values.setdefault("now", 100.0)
    values.setdefault(
        "logged_in", values.get("ready", 0) + len(values.get("talking", ())) + len(values.get("wrapping", ()))
    )
    return PacingSnapshot(**values)


# --- progressive, power, preview ---------------------------------------------------------------


def test_progressive_dials_one_line_per_ready_agent_not_covered():
    pacer = ProgressivePacer()
    assert pacer.decide(snapshot(ready=5)) == 5
    assert pacer.decide(snapshot(ready=5, line_ages=[3.0, 10.0])) == 3
    assert pacer.decide(snapshot(ready=5, line_ages=[3.0], amd_pending=1, waiting=1)) == 2
    assert pacer.decide(snapshot(ready=2, line_ages=[1.0, 2.0, 3.0])) == 0


def test_power_keeps_ratio_lines_per_ready_agent():
    pacer = PowerPacer(2.5)
    assert pacer.decide(snapshot(ready=4)) == 10
    assert pacer.decide(snapshot(ready=4, line_ages=[1.0] * 7)) == 3
    assert pacer.decide(snapshot(ready=1)) == 3  # 2.5 lines, rounded up
    assert pacer.decide(snapshot(ready=0, talking=[10.0])) == 0


def test_power_ratio_below_one_is_refused():
    with pytest.raises(ValueError):
        PowerPacer(0.5)


def test_preview_offers_one_contact_per_ready_agent():
    assert PreviewPacer().decide(snapshot(ready=3, talking=[5.0])) == 3


def test_make_pacer_follows_the_mode():
    assert isinstance(make_pacer(settings(mode="preview")), PreviewPacer)
    assert isinstance(make_pacer(settings(mode="progressive")), ProgressivePacer)
    assert make_pacer(settings(mode="power", ratio=3)).ratio == 3
    assert isinstance(make_pacer(settings(mode="predictive")), PredictivePacer)


# --- predictive ------------------------------------------------------------------------------------


def test_predictive_dials_progressively_while_warming_up():
    pacer = PredictivePacer(settings())
    for _ in range(WARMUP_LINES - 1):
        pacer.observe_line(FAILED_AGE, live=False)
    assert pacer.warming_up
    assert pacer.decide(snapshot(ready=6, line_ages=[2.0])) == 5
    assert pacer.last.warming_up is True


def test_predictive_dials_several_lines_per_ready_agent_at_a_low_answer_rate():
    lines = trained(p_live=0.25).decide(snapshot(ready=10))
    assert 10 < lines < 60  # more than progressive; bounded by the abandon threshold


def test_predictive_dials_more_lines_when_fewer_are_answered():
    rich = trained(p_live=0.5).decide(snapshot(ready=10))
    poor = trained(p_live=0.1).decide(snapshot(ready=10))
    assert poor > rich


def test_predictive_does_not_dial_when_every_agent_just_started_talking():
    """Fixed 120 s talks that began now cannot end within the next live answer's reach."""
    assert trained().decide(snapshot(ready=0, talking=[0.0] * 10)) == 0


def test_predictive_counts_agents_about_to_leave_wrap_up():
    pacer = trained()
    about_to_free = pacer.decide(snapshot(ready=0, talking=[0.0] * 10, wrapping=[9.0] * 5))
    just_started = pacer.decide(snapshot(ready=0, talking=[0.0] * 10, wrapping=[0.0] * 5))
    assert about_to_free > 0
    assert about_to_free >= just_started


def test_predictive_counts_agents_about_to_finish_a_call():
    pacer = trained(talk=120.0, wrap=0.0, wrapup_seconds=0.0)
    assert pacer.decide(snapshot(ready=0, talking=[116.0] * 8)) > 0
    assert pacer.decide(snapshot(ready=0, talking=[20.0] * 8)) == 0


def test_old_ringing_lines_count_for_less_than_young_ones():
    """A line ringing for 12 s has passed the 8 s at which every live answer came: it is as
    good as dead, while a line of 2 s still carries its whole chance."""
    pacer = trained()
    after_young = pacer.decide(snapshot(ready=10, line_ages=[2.0] * 20))
    after_old = pacer.decide(snapshot(ready=10, line_ages=[12.0] * 20))
    assert after_old > after_young


def test_predictive_never_exceeds_free_trunk_channels():
    assert trained().decide(snapshot(ready=20, free_channels=3)) == 3
    assert trained().decide(snapshot(ready=20, free_channels=0)) == 0


def test_predictive_dials_nothing_without_agents():
    assert trained().decide(snapshot(ready=0)) == 0


def test_abandons_tighten_the_threshold_and_fewer_lines_follow():
    pacer = trained()
    situation = snapshot(ready=10, talking=[60.0] * 20)
    before = pacer.decide(situation)
    theta = pacer.control.theta()
    for _ in range(10):
        pacer.observe_live_outcome(abandoned=True)
    assert pacer.control.theta() < theta / 5
    assert pacer.decide(situation) < before


def test_served_live_answers_loosen_the_threshold():
    control = AbandonControl(settings())
    theta = control.theta()
    for _ in range(2000):
        control.observe(abandoned=False)
    assert control.theta() > theta


def test_a_thirty_day_rate_at_the_limit_drops_the_threshold_to_its_floor():
    control = AbandonControl(settings(history_live_answers=10_000, history_abandoned=300))
    assert control.theta() == THETA_MIN
    healthy = AbandonControl(settings(history_live_answers=10_000, history_abandoned=100))
    assert healthy.theta() > THETA_MIN


def test_estimated_amd_false_positives_count_against_the_limit():
    """2 % of live people hung up by the detector leave 0.6 % of the 3 % limit (with its margin)
    to pacing; 3 % of them leave nothing."""
    assert AbandonControl(settings(amd_false_positive_rate=0.02)).budget == pytest.approx(0.0062, abs=1e-4)
    assert AbandonControl(settings(amd_false_positive_rate=0.03)).budget == 0.0
    run, _window = AbandonControl(settings(amd_false_positive_rate=0.02)).rates()
    assert run is None
    control = AbandonControl(settings(amd_false_positive_rate=0.02))
    for _ in range(98):
        control.observe(abandoned=False)
    run, window = control.rates()
    assert run == pytest.approx(0.02)
    assert window == pytest.approx(0.02)


def test_a_lower_threshold_means_fewer_lines():
    pacer = trained()
    situation = snapshot(ready=10, line_ages=[3.0] * 5, talking=[100.0] * 10)
    pacer.control.log_theta = -2.0
    loose = pacer.decide(situation)
    pacer.control.log_theta = -9.0
    tight = pacer.decide(situation)
    assert loose > tight
    assert pacer.last.threshold < 0.001


def test_a_small_campaign_keeps_a_wider_margin_for_the_false_positives_it_cannot_see():
    control = AbandonControl(settings(amd_false_positive_rate=0.02))
    small = control.current_budget()
    control.live = 20_000
    assert small < control.current_budget() < control.budget
    assert AbandonControl(settings()).current_budget() == AbandonControl(settings()).budget
