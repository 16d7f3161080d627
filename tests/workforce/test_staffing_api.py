"""The read-only staffing and adherence API: figures, bad input → 400 with the error shape,
roles, and another tenant's data never answered."""

from __future__ import annotations

import datetime as dt

from django_tenants.utils import tenant_context

from apps.accounts.choices import Role
from tests.workforce.test_adherence import ann_world  # noqa: F401 -- the fixture
from tests.workforce.test_staffing_pages import TARGET, staffed  # noqa: F401 -- the fixture


def _api(world, *roles):
    with tenant_context(world.tenant):
        user = world.user(*roles)
    return world.api(user)


def test_staffing_api_gives_requirement_coverage_and_gaps(acme, staffed):  # noqa: F811
    response = _api(acme, Role.SUPERVISOR).get(f"/api/v1/workforce/staffing?day={TARGET}")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["day"] == str(TARGET) and body["interval_minutes"] == 30
    assert body["required"][20] == 12 and body["scheduled"][20] == 2 and body["published"][20] == 2
    assert body["gaps"] == [20, 21]
    hotline = next(queue for queue in body["queues"] if queue["queue_id"] == staffed.pk)
    assert hotline["forecast_calls"][20] == 50.0 and hotline["agents"][20] == 8 and hotline["staff"][20] == 12


def test_a_bad_day_is_a_400_with_the_field(acme):
    response = _api(acme, Role.HR).get("/api/v1/workforce/staffing?day=2025-13-01")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid" and "day" in response.json()["fields"]
    response = _api(acme, Role.HR).get("/api/v1/workforce/adherence?since=2025-03-05&until=2025-03-01")
    assert response.status_code == 400 and "until" in response.json()["fields"]


def test_adherence_api_per_person_and_team(acme, ann_world):  # noqa: F811
    response = _api(acme, Role.TENANT_ADMIN).get("/api/v1/workforce/adherence?since=2025-03-03&until=2025-03-03")
    assert response.status_code == 200
    body = response.json()
    assert [(row["user"], row["adherence_percent"], row["conformance_percent"]) for row in body["people"]] == [
        ("Ann", 86.5, 88.1)
    ]
    assert body["teams"][0]["team"] == "Red"
    assert _api(acme, Role.HR).get("/api/v1/workforce/adherence/live").json() == {"agents": []}


def test_agents_and_other_tenants_are_refused(acme, globex, staffed):  # noqa: F811
    agent = _api(acme, Role.AGENT)
    for url in (
        f"/api/v1/workforce/staffing?day={TARGET}",
        "/api/v1/workforce/adherence?since=2025-03-03&until=2025-03-03",
        "/api/v1/workforce/adherence/live",
    ):
        assert agent.get(url).status_code == 403, url
    outsider = globex.admin()
    token = globex.token(outsider)
    stranger = acme.api()
    stranger.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert stranger.get(f"/api/v1/workforce/staffing?day={TARGET}").status_code in (401, 403)
    # Globex's own answer knows nothing of Acme's queue.
    own = globex.api(outsider).get(f"/api/v1/workforce/staffing?day={TARGET}").json()
    assert all(queue["queue_id"] != staffed.pk or queue["name"] != "Hotline" for queue in own["queues"])
    assert own["required"] == [0] * 48


def test_the_api_answers_for_a_day_without_history(acme):
    body = _api(acme, Role.SUPERVISOR).get(f"/api/v1/workforce/staffing?day={dt.date(2025, 1, 1)}").json()
    assert body["required"] == [0] * 48 and body["gaps"] == []
