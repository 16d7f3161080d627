"""GET /api/v1/reports/kpis: the contract, 400s with field messages, roles, tenant isolation."""

from __future__ import annotations

import pytest
from django_tenants.utils import tenant_context

from apps.reports.definitions import FIGURES
from tests.reports.kpi_world import SINCE, UNTIL, build

URL = "/api/v1/reports/kpis"
CONTRACT = [
    "offered",
    "answered",
    "abandoned",
    "short_abandons",
    "sl_percent",
    "asa_seconds",
    "abandon_rate",
    "handled",
    "aht_seconds",
    "talk_seconds_mean",
    "hold_seconds_mean",
    "wrapup_seconds_mean",
    "fcr_percent",
    "csat_mean",
    "csat_top2_percent",
    "containment_percent",
    "occupancy_percent",
]


@pytest.fixture
def world(acme):
    with tenant_context(acme.tenant):
        built = build(acme)
    return {**built, "tenant": acme}


def _get(world, user, **params):
    params.setdefault("since", SINCE.isoformat())
    params.setdefault("until", UNTIL.isoformat())
    return world["tenant"].api(user).get(URL, params)


def test_rows_carry_every_contract_figure_and_the_settings(world):
    response = _get(world, world["tenant"].user("supervisor"), group_by="queue")
    assert response.status_code == 200, response.content
    body = response.json()
    row = next(r for r in body["rows"] if r["key"] == world["a"].pk)
    assert set(CONTRACT) <= set(row)
    assert set(FIGURES) - {"occupancy_percent"} <= set(row)
    assert (row["offered"], row["sl_percent"], row["abandon_rate"], row["fcr_percent"]) == (11, 42.86, 27.27, 75.0)
    assert row["label"] == world["a"].name
    assert body["group_by"] == "queue"
    assert body["settings"]["short_abandons_excluded"] is True
    assert body["settings"]["fcr_window_hours"] == 72
    assert body["settings"]["sl_threshold_seconds"][world["a"].name] == 15
    assert body["settings_lines"]
    assert set(CONTRACT) <= set(body["totals"])


def test_occupancy_per_agent(world):
    body = _get(world, world["tenant"].admin(), group_by="agent").json()
    row = next(r for r in body["rows"] if r["key"] == world["agent"].pk)
    assert row["occupancy_percent"] == 40.0


def test_interval_rows_in_local_time_and_queue_filter(world):
    response = _get(
        world, world["tenant"].user("supervisor"), group_by="interval", interval_minutes="60", queue=world["a"].pk
    )
    assert response.status_code == 200
    rows = response.json()["rows"]
    assert [r["key"] for r in rows] == ["2025-03-03T16:00:00+08:00", "2025-03-03T17:00:00+08:00"]
    assert [r["offered"] for r in rows] == [0, 11]
    assert rows[0]["sl_percent"] is None


def test_dates_are_local_days(world):
    response = _get(world, world["tenant"].user("supervisor"), group_by="day", since="2025-03-03", until="2025-03-05")
    assert response.status_code == 200
    body = response.json()
    assert body["settings"]["since"] == "2025-03-03T00:00:00+08:00"
    assert [r["label"] for r in body["rows"]] == ["2025-03-03", "2025-03-04"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"group_by": "colour"}, "group_by"),
        ({}, "group_by"),
        ({"group_by": "team"}, "group_by"),
        ({"group_by": "interval", "interval_minutes": "20"}, "interval_minutes"),
        ({"group_by": "queue", "since": "yesterday"}, "since"),
        ({"group_by": "queue", "since": "0001-01-01"}, "since"),
        ({"group_by": "queue", "since": "9999-12-31T23:59:59-10:00", "until": "9999-12-31"}, "since"),
        ({"group_by": "queue", "since": UNTIL.isoformat(), "until": SINCE.isoformat()}, "until"),
        ({"group_by": "interval", "since": "2025-01-01", "until": "2025-06-01"}, "until"),
        ({"group_by": "queue", "queue": "abc"}, "queue"),
        ({"group_by": "queue", "queue": "999999"}, "queue"),
        ({"group_by": "queue", "agent": "0"}, "agent"),
        ({"group_by": "queue", "campaign": str(2**63)}, "campaign"),
    ],
)
def test_bad_parameters_are_400_with_field_messages(world, params, field):
    response = _get(world, world["tenant"].user("supervisor"), **params)
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "invalid"
    assert field in body["fields"]


@pytest.mark.parametrize("role", ["agent", "qa", "billing"])
def test_other_roles_are_refused(world, role):
    assert _get(world, world["tenant"].user(role), group_by="queue").status_code == 403


def test_anonymous_is_refused(world):
    assert world["tenant"].api().get(URL, {"group_by": "queue"}).status_code == 401


def test_another_tenant_sees_none_of_it(world, globex):
    response = globex.api(globex.admin()).get(
        URL, {"group_by": "queue", "since": SINCE.isoformat(), "until": UNTIL.isoformat()}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["totals"]["offered"] == 0
    assert world["a"].name not in body["settings"]["sl_threshold_seconds"]
    # and acme's queue id does not exist there
    response = globex.api(globex.admin()).get(URL, {"group_by": "queue", "queue": world["a"].pk})
    assert response.status_code == 400


def test_another_tenants_token_is_refused(world, globex):
    client = world["tenant"].api()
    client.credentials(HTTP_AUTHORIZATION=f"Token {globex.token(globex.admin())}")
    assert client.get(URL, {"group_by": "queue"}).status_code == 401


def test_the_schema_documents_the_endpoint(world):
    response = world["tenant"].api(world["tenant"].admin()).get("/api/schema/")
    assert response.status_code == 200
    schema = response.content.decode()
    assert "/api/v1/reports/kpis" in schema
    assert "interval_minutes" in schema
