"""The what-if page (/wallboard/what-if/): a supervisor planning a day asks "with N agents, this
many calls and this handle time, what service level do we get?".

The answer comes twice, side by side: from the real controller and ACD on a virtual clock
(:mod:`apps.telephony.engine.simulation.inbound`, what ``manage.py simulate`` runs: callers who
hang up, random arrivals, the queue's own rules) and from Erlang C
(:mod:`apps.telephony.engine.erlang`: a formula with no abandons). The page is telephony's own,
so it calls the engine's simulation and formulas directly (ARCHITECTURE §10 restricts the
departments, not the core). Nothing is written: the form is a GET, a run is pure computation
bounded by the form's caps (apps/telephony/forms/whatif.py), and bad input is answered 400 with
the form's messages.
"""

from __future__ import annotations

import math
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from apps.accounts.choices import Role
from apps.accounts.views import role_required
from apps.telephony.engine import erlang
from apps.telephony.engine.simulation.inbound import SimulationOptions, run_simulation
from apps.telephony.forms.whatif import (
    MAX_AGENTS,
    MAX_ARRIVALS_PER_HOUR,
    MAX_CALLS,
    MAX_HOURS,
    WhatIfForm,
)

PLANNER_ROLES = (Role.SUPERVISOR, Role.TENANT_ADMIN)


def _percent(fraction: float | None) -> float | None:
    return None if fraction is None else round(fraction * 100, 1)


def _seconds(value: float | None) -> float | None:
    return None if value is None or math.isinf(value) else round(value, 1)


def whatif_compare(data: dict[str, Any]) -> dict[str, Any]:
    """Simulate the interval described by the form's ``data`` and predict it with Erlang C.

    Returns ``{"simulated": {...}, "erlang": {...}, "traffic", "required_agents", "overloaded"}``
    with rates as percentages (0–100) and times in seconds; a figure that does not exist (no
    answered call, N ≤ A for Erlang C) is ``None``."""
    agents, rate, aht = data["agents"], data["arrivals_per_hour"], data["aht_seconds"]
    threshold, hours = data["sl_threshold_seconds"], data["hours"]
    patience = data.get("patience_seconds") or None
    run = run_simulation(
        SimulationOptions(
            agents=agents,
            arrivals_per_hour=rate,
            aht_seconds=aht,
            patience_seconds=patience,
            sl_threshold_seconds=threshold,
            hours=hours,
            seed=data.get("seed") or 0,
            agent_levels=data.get("agent_levels") or (),
            strategy=data.get("strategy") or None,
            rings=data.get("rings") or (),
        )
    )
    store = run.store
    traffic = erlang.traffic_erlangs(rate, 3600, aht)
    overloaded = agents <= traffic
    required = erlang.required_agents(
        calls=rate,
        interval_seconds=3600,
        aht_seconds=aht,
        sl_target=data["sl_target_percent"] / 100,
        sl_threshold_seconds=threshold,
    )
    return {
        "traffic": round(traffic, 2),
        "overloaded": overloaded,
        "required_agents": required.agents,
        "simulated": {
            "offered": store.totals.offered,
            "answered": store.totals.answered,
            "abandoned": store.totals.abandoned,
            "service_level": _percent(store.service_level),
            "asa_seconds": _seconds(store.asa_seconds),
            "abandon_rate": _percent(store.abandon_rate),
            "occupancy": _percent(store.occupancy),
            "wall_seconds": round(run.wall_seconds, 3),
            # With skill levels: who answered (apps/telephony/engine/simulation/inbound.py routing_figures).
            "top_level_share": _percent(run.figures.get("top_level_share")),
            "answered_by_level": run.figures.get("answered_by_level"),
            "answered_by_ring": run.figures.get("answered_by_ring"),
        },
        "erlang": {
            "service_level": _percent(erlang.service_level(agents, traffic, aht, threshold)),
            "asa_seconds": _seconds(erlang.average_speed_of_answer(agents, traffic, aht)),
            "wait_probability": _percent(erlang.erlang_c(agents, traffic)),
            "occupancy": _percent(erlang.occupancy(agents, traffic)),
        },
    }


def whatif_chart(result: dict[str, Any]) -> dict[str, Any]:
    """The chart spec of apps/reports/charts.py (drawn by ECharts, static/js/report_chart.js):
    service level, abandon rate and occupancy, simulated beside Erlang C (which has no abandons)."""
    simulated, predicted = result["simulated"], result["erlang"]
    return {
        "type": "bar",
        "title": _("Simulated and Erlang C"),
        "categories": [_("Service level"), _("Abandon rate"), _("Occupancy")],
        "series": [
            {
                "name": _("Simulated"),
                "data": [simulated["service_level"], simulated["abandon_rate"], simulated["occupancy"]],
            },
            {"name": _("Erlang C"), "data": [predicted["service_level"], None, predicted["occupancy"]]},
        ],
        "unit": "percent",
    }


@role_required(*PLANNER_ROLES)
def whatif(request: HttpRequest) -> HttpResponse:
    """GET without inputs: the form with a worked example; GET with inputs: the comparison, or
    the form's messages with status 400."""
    asked = any(name in request.GET for name in WhatIfForm.base_fields)
    form = WhatIfForm(request.GET if asked else None)
    context: dict[str, Any] = {
        "form": form,
        "caps": {"agents": MAX_AGENTS, "arrivals": MAX_ARRIVALS_PER_HOUR, "hours": MAX_HOURS, "calls": MAX_CALLS},
    }
    if not asked:
        return render(request, "telephony/whatif.html", context)
    if not form.is_valid():
        return render(request, "telephony/whatif.html", context, status=400)
    result = whatif_compare(form.cleaned_data)
    context.update(result=result, chart=whatif_chart(result), inputs=form.cleaned_data)
    return render(request, "telephony/whatif.html", context)
