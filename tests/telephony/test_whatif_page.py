"""The what-if page (/wallboard/what-if/): a supervisor simulates an interval and reads it beside
Erlang C; bad or oversized inputs come back on the form with 400; agents and outsiders are refused."""

from __future__ import annotations

import json
import re

import pytest

from apps.accounts.choices import Role
from apps.telephony.engine import erlang
from apps.telephony.forms.whatif import MAX_AGENTS, MAX_CALLS, MAX_HOURS
from apps.telephony.views.whatif import whatif_compare
from tests.accounts.helpers import web_login

URL = "/wallboard/what-if/"

# DOMAIN §3's check: 100 calls in 30 min (200 per hour), AHT 180 s, 80% in 20 s → N = 14.
EXAMPLE = {
    "agents": "14",
    "arrivals_per_hour": "200",
    "aht_seconds": "180",
    "patience_seconds": "",
    "sl_threshold_seconds": "20",
    "sl_target_percent": "80",
    "hours": "4",
    "seed": "7",
}


@pytest.fixture
def supervisor(acme):
    user = acme.user(Role.SUPERVISOR)
    return web_login(acme, user.email)


def chart_of(html: str) -> dict:
    found = re.search(r'<script id="report-chart-data" type="application/json">(.*?)</script>', html, re.S)
    assert found, "the chart's data is on the page"
    return json.loads(found.group(1))


def test_the_empty_form_states_its_limits_and_runs_nothing(supervisor):
    page = supervisor.get(URL)
    html = page.content.decode()
    assert page.status_code == 200
    assert f"at most {MAX_AGENTS} agents" in html and f"{MAX_HOURS} hours" in html
    assert 'id="whatif-result"' not in html


def test_a_supervisor_compares_the_simulation_with_erlang_c(supervisor):
    page = supervisor.get(URL, EXAMPLE)
    html = page.content.decode()
    assert page.status_code == 200
    assert 'id="whatif-result"' in html
    assert "Erlang C needs 14 agents for 80% of calls answered within 20 s" in html
    spec = chart_of(html)
    assert spec["type"] == "bar" and spec["unit"] == "percent"
    assert [series["name"] for series in spec["series"]] == ["Simulated", "Erlang C"]
    predicted = erlang.service_level(14, 10.0, 180, 20) * 100
    assert spec["series"][1]["data"][0] == round(predicted, 1)
    assert spec["series"][1]["data"][1] is None  # Erlang C has no abandons
    assert "echarts.min.js" in html


def test_without_abandons_the_simulation_lands_near_erlang_c():
    """Erlang C's own assumptions (Poisson arrivals, exponential handle times, nobody hangs up):
    eight simulated hours agree with the formula within a few points."""
    data = {
        "agents": 14,
        "arrivals_per_hour": 200.0,
        "aht_seconds": 180.0,
        "patience_seconds": None,
        "sl_threshold_seconds": 20,
        "sl_target_percent": 80,
        "hours": 8.0,
        "seed": 3,
    }
    result = whatif_compare(data)
    assert result["required_agents"] == 14
    assert result["simulated"]["abandoned"] == 0
    assert abs(result["simulated"]["service_level"] - result["erlang"]["service_level"]) < 5
    assert abs(result["simulated"]["occupancy"] - result["erlang"]["occupancy"]) < 5


def test_impatient_callers_abandon_and_an_overloaded_queue_is_said_so(supervisor):
    page = supervisor.get(URL, {**EXAMPLE, "agents": "8", "patience_seconds": "30", "hours": "1"})
    html = page.content.decode()
    assert page.status_code == 200
    assert "data-overloaded" in html  # 8 agents for 10 Erlangs
    spec = chart_of(html)
    assert spec["series"][0]["data"][1] > 0  # simulated abandon rate
    assert spec["series"][1]["data"][0] == 0.0  # Erlang C: N ≤ A, nobody within the threshold


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("agents", "0", "greater than or equal to 1"),
        ("agents", str(MAX_AGENTS + 1), f"less than or equal to {MAX_AGENTS}"),
        ("arrivals_per_hour", "many", "Enter a number"),
        ("aht_seconds", "-5", "greater than or equal to 10"),
        ("hours", str(MAX_HOURS + 1), f"less than or equal to {MAX_HOURS}"),
        ("sl_target_percent", "100", "less than or equal to 99"),
    ],
)
def test_bad_inputs_are_refused_with_the_fields_message(supervisor, field, value, message):
    page = supervisor.get(URL, {**EXAMPLE, field: value})
    html = page.content.decode()
    assert page.status_code == 400
    assert message in html
    assert f'data-field="{field}"' in html and "has-error" in html
    assert 'id="whatif-result"' not in html


def test_a_run_beyond_the_call_cap_is_refused_not_truncated(supervisor):
    page = supervisor.get(URL, {**EXAMPLE, "arrivals_per_hour": "5000", "hours": "5"})
    html = page.content.decode()
    assert page.status_code == 400
    assert f"At most {MAX_CALLS:,} expected calls per run" in html
    assert "this would be 25,000" in html


def test_agents_and_outsiders_are_refused(acme, globex):
    agent = acme.user(Role.AGENT)
    assert web_login(acme, agent.email).get(URL, EXAMPLE).status_code == 403
    anonymous = acme.client().get(URL)
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    # acme's supervisor on globex's host: not signed in there.
    outsider = acme.user(Role.SUPERVISOR)
    client = web_login(acme, outsider.email)
    assert client.get(URL, HTTP_HOST=globex.host).status_code == 302


def test_an_administrator_may_plan_too(acme):
    page = web_login(acme, acme.admin_email).get(URL, EXAMPLE)
    assert page.status_code == 200
