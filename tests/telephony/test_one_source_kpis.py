"""One source for the KPIs (apps/telephony/kpis.py): the simulator, the API, the wallboard and the
CDR flags agree, because they all call it.

The agreement test runs the real engine on the simulated switch in virtual time, writes the very
same calls as CDRs (through services/cdr.py, as the live engine does), and compares the
simulator's service level, ASA and abandon rate with ``GET /api/v1/kpis/queues`` and the
wallboard's queue rows.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django_tenants.utils import tenant_context

from apps.telephony import kpis
from apps.telephony.engine.config import QueueSettings
from apps.telephony.engine.simulation.inbound import SimulationOptions, build_simulation
from apps.telephony.engine.state import CallState
from apps.telephony.engine.store import MemoryStore
from apps.telephony.models import Call, Queue
from apps.telephony.selectors.wallboard import wallboard_queues
from apps.telephony.services import cdr
from tests.telephony.call_factories import T0, make_queue

# --- the rules themselves ------------------------------------------------------------------


def test_thresholds_are_inclusive() -> None:
    assert kpis.answered_within_sl(15.0, 15.0)
    assert not kpis.answered_within_sl(15.001, 15.0)
    assert not kpis.abandoned_after_sl(15.0, 15.0)
    assert kpis.abandoned_after_sl(15.001, 15.0)
    assert kpis.is_short_abandon(5.0, 5.0)
    assert not kpis.is_short_abandon(5.001, 5.0)


def test_a_short_abandon_limit_of_zero_turns_the_exclusion_off() -> None:
    assert not kpis.is_short_abandon(0.0, 0.0)


def test_no_calls_means_none_not_zero() -> None:
    assert kpis.service_level(0, 0, 0) is None
    assert kpis.abandon_rate(0, 0) is None
    assert kpis.outbound_abandon_rate(0, 0) is None
    assert kpis.asa_seconds(0.0, 0) is None
    assert kpis.aht_seconds(0.0, 0) is None
    assert kpis.occupancy(0.0, 0.0) is None
    assert kpis.as_percent(None) is None


def test_rates_are_fractions_and_percent_is_only_display() -> None:
    assert kpis.service_level(3, 5, 2) == pytest.approx(3 / 7)
    assert kpis.as_percent(kpis.service_level(3, 5, 2)) == 42.86
    assert kpis.abandon_rate(3, 11) == pytest.approx(3 / 11)


# --- the CDR flags follow the rules --------------------------------------------------------


@pytest.mark.parametrize(
    ("wait", "answered", "within_sl", "short"),
    [
        (15.0, True, True, False),  # answered exactly at T: within
        (15.5, True, False, False),
        (5.0, False, False, True),  # gone exactly at the short-abandon limit: short
        (5.5, False, False, False),
    ],
)
def test_cdr_flags_are_the_kpi_rules(acme, wait: float, answered: bool, within_sl: bool, short: bool) -> None:
    with tenant_context(acme.tenant):
        queue = make_queue(sl_threshold_seconds=15, short_abandon_seconds=5)
        call = cdr.call_open(uid=f"kpi-flag-{wait}-{answered}", direction="inbound", caller="1", callee="2", at=T0)
        cdr.call_queued(call, queue=queue, at=T0)
        end = T0 + timedelta(seconds=wait)
        if answered:
            cdr.call_answered(call, agent=None, at=end)
            end += timedelta(seconds=30)
        cdr.call_close(call, at=end, end_reason="completed" if answered else "abandoned", wrapup=False)
        call.refresh_from_db()
        assert call.answered_within_sl is within_sl
        assert call.short_abandon is short
        assert call.answered_within_sl == (answered and kpis.answered_within_sl(wait, 15))
        assert call.short_abandon == (not answered and kpis.is_short_abandon(wait, 5))


# --- simulator, API and wallboard on the same calls ----------------------------------------


def _simulate(queue: Queue, *, seed: int) -> tuple[MemoryStore, list[CallState], Any]:
    """A short overloaded hour with impatient callers (answers within and after T, short and long
    abandons); every finished inbound call is kept."""
    options = SimulationOptions(
        agents=2,
        arrivals_per_hour=90,
        aht_seconds=100,
        wrapup_seconds=10,
        patience_seconds=40,
        sl_threshold_seconds=queue.sl_threshold_seconds,
        short_abandon_seconds=queue.short_abandon_seconds,
        hours=1,
        seed=seed,
        queue=QueueSettings(queue_id=queue.pk, code=queue.code, name=queue.name),
    )
    clock, driver, _controller, store = build_simulation(options)
    finished: list[CallState] = []
    count = store._finish

    def keep(call: CallState) -> None:
        count(call)
        if call.queued is not None:
            finished.append(call)

    store._finish = keep  # type: ignore[method-assign]
    driver.start()
    clock.run()
    store.finish()
    return store, finished, clock


def _write_cdrs(queue: Queue, calls: list[CallState], clock: Any) -> None:
    rows = []
    for state in calls:
        row = cdr.call_build(
            uid=f"kpi-sim-{state.uid}",
            direction="inbound",
            caller=state.caller or "13800000000",
            callee=state.callee or "4000000000",
            at=clock.wall(state.arrived),
            is_simulated=True,
            lookup_customer=False,
        )
        row.queue = queue
        row.queued_at = clock.wall(state.queued)
        row.ivr_exited_at = row.queued_at
        if state.answered is not None:
            row.answered_at = clock.wall(state.answered)
        ended = state.ended
        assert ended is not None and state.queued is not None
        wrapup = state.wrapup_ended is not None and state.wrapup_ended > ended
        cdr.call_close_compute(row, at=clock.wall(ended), end_reason=state.end_reason, queue=queue, wrapup=wrapup)
        if row.status == "wrap_up" and state.wrapup_ended is not None:
            cdr.call_wrapup_end_compute(row, at=clock.wall(state.wrapup_ended))
        rows.append(row)
    cdr.calls_bulk_create(rows)


@pytest.fixture
def simulated(acme):
    with tenant_context(acme.tenant):
        queue = make_queue(sl_threshold_seconds=20, short_abandon_seconds=5)
        store, calls, clock = _simulate(queue, seed=11)
        _write_cdrs(queue, calls, clock)
    since = clock.wall(0)
    return {"queue": queue, "store": store, "calls": calls, "since": since, "until": clock.wall(clock.now() + 1)}


def _api_row(acme, simulated) -> dict[str, Any]:
    user = acme.user("supervisor")
    params = {"since": simulated["since"].isoformat(), "until": simulated["until"].isoformat()}
    response = acme.api(user).get("/api/v1/kpis/queues", params)
    assert response.status_code == 200, response.content
    return next(row for row in response.json()["queues"] if row["queue_id"] == simulated["queue"].pk)


def _wallboard_row(acme, simulated) -> dict[str, Any]:
    # Noon of the simulated day in the tenant's zone: "today" covers the whole run.
    with tenant_context(acme.tenant):
        rows = wallboard_queues(acme.tenant, now=simulated["until"] + timedelta(hours=3))
    return next(row for row in rows if row["queue_id"] == simulated["queue"].pk)


def test_the_run_exercises_every_rule(simulated) -> None:
    totals = simulated["store"].totals
    assert totals.answered_within_threshold > 0
    assert totals.answered > totals.answered_within_threshold  # some answered after T
    assert totals.short_abandoned > 0
    assert totals.abandoned_after_threshold > 0
    assert totals.abandoned > totals.short_abandoned + totals.abandoned_after_threshold  # gone within T, not short


def test_simulator_api_and_wallboard_agree(acme, simulated) -> None:
    store: MemoryStore = simulated["store"]
    figures = store.figures()
    api = _api_row(acme, simulated)
    board = _wallboard_row(acme, simulated)

    assert api["offered"] == figures["offered"] == board["offered"]
    assert api["answered"] == figures["answered"] == board["answered"]
    # simulate's ``abandoned`` counts short abandons (its documented contract); the API's does not.
    assert api["abandoned"] + api["short_abandons"] == figures["abandoned"]
    assert api["short_abandons"] == store.totals.short_abandoned
    assert board["abandoned"] == api["abandoned"]

    assert api["sl_percent"] == kpis.as_percent(store.service_level) == board["sl_percent"]
    assert api["abandon_rate"] == kpis.as_percent(store.abandon_rate) == board["abandon_rate"]
    assert api["asa_seconds"] == pytest.approx(store.asa_seconds, abs=0.006)
    assert board["asa_seconds"] == api["asa_seconds"]
    assert api["aht_seconds"] == pytest.approx(store.aht_seconds, abs=0.006)
    assert board["aht_seconds"] == api["aht_seconds"]


def test_every_caller_goes_through_the_kpi_module(acme, simulated, monkeypatch) -> None:
    """Swap the formulas: the simulator, the API and the wallboard all change with them."""
    monkeypatch.setattr(kpis, "service_level", lambda *args: 0.125)
    monkeypatch.setattr(kpis, "abandon_rate", lambda *args: 0.25)
    monkeypatch.setattr(kpis, "asa_seconds", lambda *args: 7.0)
    store: MemoryStore = simulated["store"]
    assert store.figures()["service_level"] == 0.125
    assert store.abandon_rate == 0.25
    assert store.figures()["asa_seconds"] == 7.0
    api = _api_row(acme, simulated)
    board = _wallboard_row(acme, simulated)
    for row in (api, board):
        assert row["sl_percent"] == 12.5
        assert row["abandon_rate"] == 25.0
        assert row["asa_seconds"] == 7.0


def test_no_calls_give_none_everywhere(acme) -> None:
    with tenant_context(acme.tenant):
        queue = make_queue(sl_threshold_seconds=20)
        rows = wallboard_queues(acme.tenant, now=T0)
        assert not Call.objects.filter(queue=queue).exists()
    board = next(row for row in rows if row["queue_id"] == queue.pk)
    assert board["sl_percent"] is None and board["abandon_rate"] is None and board["asa_seconds"] is None
    store = MemoryStore(clock=None)  # type: ignore[arg-type]
    figures = store.figures()
    assert figures["service_level"] is None and figures["asa_seconds"] is None
    assert store.abandon_rate is None
