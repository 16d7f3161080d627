"""The standard reports (apps/reports/catalog/) against hand-made CDRs and state changes: the rows
each report prints, its chart, and the links from its figures to the calls behind them."""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django_tenants.utils import tenant_context

from apps.accounts.choices import Role
from apps.reports import registry
from apps.reports.registry import ReportParams
from apps.reports.services.rollups import rollups_rebuild
from apps.telephony.choices import AgentState
from apps.telephony.models import AgentStateEvent, IvrFlow, IvrFlowVersion, PauseReason
from tests.telephony.call_factories import T0, at, make_agent, make_disposition, make_queue, stored_call

CODES = {
    "interval",
    "queue_performance",
    "agent_performance",
    "agent_states",
    "abandons",
    "campaigns",
    "dispositions",
    "ivr_funnel",
    "csat",
}


def _params(**extra) -> ReportParams:
    return ReportParams(
        since=T0 - timedelta(hours=1),
        until=T0 + timedelta(hours=23),
        queue_ids=extra.pop("queue_ids", []),
        agent_ids=extra.pop("agent_ids", []),
        campaign_ids=extra.pop("campaign_ids", []),
        interval_minutes=extra.pop("interval_minutes", 30),
    )


def _query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def _answered(queue, agent, *, wait: float, offset: float = 0, **fields):
    return stored_call(
        queue=queue,
        agent=agent,
        arrived_at=at(offset),
        queued_at=at(offset),
        offered_at=at(offset + wait - 2),
        answered_at=at(offset + wait),
        ended_at=at(offset + wait + 100),
        wrapup_ended_at=at(offset + wait + 120),
        wait_seconds=wait,
        talk_seconds=100,
        wrapup_seconds=20,
        answered_within_sl=wait <= queue.sl_threshold_seconds,
        sl_threshold_seconds=queue.sl_threshold_seconds,
        status="ended",
        **fields,
    )


def _abandoned(queue, *, wait: float, offset: float = 0, short: bool = False):
    return stored_call(
        queue=queue,
        arrived_at=at(offset),
        queued_at=at(offset),
        ended_at=at(offset + wait),
        wait_seconds=wait,
        abandoned=True,
        short_abandon=short,
        sl_threshold_seconds=queue.sl_threshold_seconds,
        status="ended",
        end_reason="abandoned",
    )


@pytest.fixture
def traffic(acme):
    """Queue "Sales": two answered calls (10 s and 40 s waits), one abandoned after 30 s and one
    short abandon (2 s); one answered call in "Support"."""
    agent_user = acme.user(Role.AGENT, email="catalog-agent@acme.test")
    with tenant_context(acme.tenant):
        sales = make_queue("catalog-sales", name="Sales", sl_threshold_seconds=20)
        support = make_queue("catalog-support", name="Support")
        agent = make_agent(agent_user)
        solved = make_disposition("catalog-solved", "Solved")
        calls = [
            _answered(sales, agent, wait=10, disposition=solved, survey_score=5),
            _answered(sales, agent, wait=40, offset=600, survey_score=2),
            _abandoned(sales, wait=30, offset=1200),
            _abandoned(sales, wait=2, offset=1300, short=True),
            _answered(support, agent, wait=5, offset=2000, survey_score=4),
        ]
        rollups_rebuild(since=T0 - timedelta(days=1), until=T0 + timedelta(days=1))
        yield {"sales": sales, "support": support, "agent": agent, "solved": solved, "calls": calls}


def test_every_standard_report_is_registered(db):
    assert {report.code for report in registry.all_reports()} >= CODES
    for code in CODES:
        report = registry.get(code)
        assert str(report.title) and str(report.description)
        assert set(report.filters) <= {"since", "until", "queue", "agent", "campaign", "interval"}


def test_abandons_lists_each_abandoned_call_with_its_wait_and_shortness(acme, traffic):
    with tenant_context(acme.tenant):
        report = registry.get("abandons")
        params = _params()
        rows = report.rows(params)
        assert [(row["queue"], row["wait_seconds"], row["is_short"]) for row in rows] == [
            ("Sales", 30, False),
            ("Sales", 2, True),
        ]
        assert [row["short"] for row in rows] == ["No", "Yes"]
        assert report.drill_url(params, rows[0], "wait_seconds") == f"/calls/{traffic['calls'][2].uid}/"
        chart = report.chart(params, rows)
        assert chart is not None and chart["type"] == "stacked_bar"
        series = {item["name"]: item["data"] for item in chart["series"]}
        assert sum(series["Abandoned"]) == 1 and sum(series["Short abandons"]) == 1
        assert chart["categories"][0] == "0–5 s" and series["Short abandons"][0] == 1
        # Another queue's filter leaves them out.
        assert report.rows(_params(queue_ids=[traffic["support"].pk])) == []


def test_agent_states_sums_time_per_state_and_not_ready_per_reason(acme):
    agent_user = acme.user(Role.AGENT, email="states-agent@acme.test")
    with tenant_context(acme.tenant):
        agent = make_agent(agent_user)
        lunch = PauseReason.objects.create(code="catalog-lunch", name="Lunch")
        changes = [
            (0, AgentState.OFFLINE, AgentState.READY, None, 0),
            (100, AgentState.READY, AgentState.TALKING, None, 100),
            (160, AgentState.TALKING, AgentState.WRAP_UP, None, 60),
            (190, AgentState.WRAP_UP, AgentState.NOT_READY, lunch, 30),
            (490, AgentState.NOT_READY, AgentState.READY, None, 300),
        ]
        for offset, before, after, reason, seconds in changes:
            AgentStateEvent.objects.create(
                agent=agent,
                at=at(offset),
                from_state=before,
                to_state=after,
                reason=reason,
                seconds_in_previous=seconds,
            )
        report = registry.get("agent_states")
        params = _params(agent_ids=[agent.pk])
        (row,) = report.rows(params)
        assert row["state_ready"] == 100
        assert row["state_talking"] == 60
        assert row["state_wrap_up"] == 30
        assert row["state_not_ready"] == 300
        assert row[f"reason_{lunch.pk}"] == 300
        assert row["occupancy_percent"] == round(90 / 190 * 100, 2)
        assert row["changes"] == 5
        keys = [column.key for column in report.columns(params)]
        assert f"reason_{lunch.pk}" in keys and "state_talking" in keys
        talking = report.drill_url(params, row, "state_talking")
        assert talking is not None and _query(talking)["agent"] == [str(agent.pk)]
        assert report.drill_url(params, row, "state_ready") is None
        assert report.display("state_not_ready", 300) == "0:05:00"
        assert report.display("state_ready", 3725.4) == "1:02:05"
        assert report.display("occupancy_percent", 47.37) is None


def test_ivr_funnel_counts_each_stage_and_containment_per_flow_and_exit_node(acme, traffic):
    with tenant_context(acme.tenant):
        flow = IvrFlow.objects.create(name="Main menu")
        graph = {"nodes": {"n1": {"type": "menu", "label": "Welcome"}, "n2": {"type": "play"}}}
        version = IvrFlowVersion.objects.create(flow=flow, number=1, graph=graph)
        sales = traffic["sales"]
        menu = {"node": "n1", "type": "menu", "input": "1"}
        message = {"node": "n2", "type": "play"}
        stored_call(ivr_version=version, arrived_at=at(10), ivr_path=[menu, message])  # ended in the IVR
        stored_call(ivr_version=version, arrived_at=at(20), ivr_path=[menu, message])  # ended in the IVR
        stored_call(
            ivr_version=version,
            arrived_at=at(30),
            ivr_path=[menu, {"node": "n9", "type": "survey", "input": "5"}],  # surveyed after the call
            reached_agent_request=True,
            queue=sales,
            queued_at=at(40),
            answered_at=at(50),
        )
        stored_call(
            ivr_version=version,
            arrived_at=at(60),
            ivr_path=[menu],
            reached_agent_request=True,
            queue=sales,
            queued_at=at(70),
        )
        report = registry.get("ivr_funnel")
        params = _params()
        rows = report.rows(params)
        stages = ("entered", "asked_agent", "queued", "answered", "contained")
        assert [(row["label"], *(row[stage] for stage in stages)) for row in rows] == [
            ("Main menu", 4, 2, 2, 1, 2),
            ("Main menu › Message", 2, 0, 0, 0, 2),
            ("Main menu › Welcome", 2, 2, 2, 1, 0),
        ]
        assert [row["containment_percent"] for row in rows] == [50.0, 100.0, 0.0]
        chart = report.chart(params, rows)
        assert chart is not None and chart["series"] == [{"name": "Main menu", "data": [4, 2, 2, 1]}]


def test_queue_performance_rows_are_the_kpi_table_and_figures_open_their_calls(acme, traffic):
    with tenant_context(acme.tenant):
        report = registry.get("queue_performance")
        params = _params()
        rows, totals = report.rows_and_totals(params)
        by_label = {row["label"]: row for row in rows}
        sales = by_label["Sales"]
        assert (sales["offered"], sales["answered"], sales["abandoned"], sales["short_abandons"]) == (4, 2, 1, 1)
        # SL: 1 within 20 s ÷ (2 answered + 1 abandoned after 20 s).
        assert sales["sl_percent"] == pytest.approx(33.33, abs=0.01)
        assert totals is not None and totals["offered"] == 5
        link = report.drill_url(params, sales, "abandoned")
        assert link is not None
        query = _query(link)
        assert query["queue"] == [str(traffic["sales"].pk)] and query["abandoned"] == ["true"]
        assert "since" in query and "until" in query
        assert report.drill_url(params, sales, "label") is None
        chart = report.chart(params, rows)
        assert chart is not None and chart["categories"] == [row["label"] for row in rows]


def test_interval_rows_link_to_their_own_half_hour(acme, traffic):
    with tenant_context(acme.tenant):
        report = registry.get("interval")
        params = _params(interval_minutes=30)
        rows = [row for row in report.rows(params) if row["offered"]]
        assert sum(row["offered"] for row in rows) == 5
        first = rows[0]
        query = _query(report.drill_url(params, first, "offered") or "")
        since, until = (datetime.fromisoformat(query[name][0]) for name in ("since", "until"))
        assert until - since == timedelta(minutes=30)
        assert since.minute in (0, 30)


def test_agent_performance_and_dispositions_and_csat(acme, traffic):
    with tenant_context(acme.tenant):
        params = _params()
        agent = traffic["agent"]
        (row,) = [row for row in registry.get("agent_performance").rows(params) if row["key"] == agent.pk]
        assert row["answered"] == 3 and row["handled"] == 3
        dispositions = registry.get("dispositions")
        solved = [row for row in dispositions.rows(params) if row["key"] == traffic["solved"].pk]
        assert solved and solved[0]["handled"] == 1
        link = dispositions.drill_url(params, solved[0], "handled")
        assert link is not None and _query(link)["disposition"] == ["catalog-solved"]
        csat = registry.get("csat").rows(params)
        queues = {row["label"]: row for row in csat if row["group"] == "queue"}
        assert queues["Sales"]["responses"] == 2
        assert (queues["Sales"]["score_5"], queues["Sales"]["score_2"]) == (1, 1)
        agents = [row for row in csat if row["group"] == "agent"]
        assert agents[0]["responses"] == 3 and agents[0]["score_4"] == 1


def test_campaign_report_groups_by_campaign(acme, traffic):
    with tenant_context(acme.tenant):
        report = registry.get("campaigns")
        params = _params()
        rows = report.rows(params)
        assert all("label" in row for row in rows)
        assert [column.key for column in report.columns(params)][0] == "label"
