"""``/api/v1/qa/sampling-rules`` and ``/api/v1/qa/assignments``: who may do what, the run and its
preview, the board's filters, reassigning, bad input (400, nothing changed) and tenants apart."""

from __future__ import annotations

import itertools

import pytest
from django_tenants.utils import tenant_context

from apps.accounts.choices import Role
from apps.audit.models import AuditEntry
from apps.qa.models import Assignment, SamplingRule
from tests.qa.factories import make_scorecard
from tests.qa.test_sampling import WEEK, agent, calls

RULES = "/api/v1/qa/sampling-rules"
_people = itertools.count(1)
ASSIGNMENTS = "/api/v1/qa/assignments"


@pytest.fixture
def lead(acme):
    return person(acme, Role.QA_LEAD)


@pytest.fixture
def analysts(acme):
    return person(acme, Role.QA), person(acme, Role.QA)


@pytest.fixture
def scorecard(acme):
    with tenant_context(acme.tenant):
        return make_scorecard()


@pytest.fixture
def week_of_calls(acme):
    with tenant_context(acme.tenant):
        people = [agent() for _ in range(2)]
        for person in people:
            calls(person, 6)
        return people


def person(world, role):
    """A user of ``world`` with ``role`` (an e-mail of its own: ``world.user`` counts the public schema's)."""
    return world.user(role, email=f"sampling-{role}-{next(_people)}@{world.tenant.slug}.test")


def body(card, people, **extra) -> dict:
    data = {
        "name": "Weekly 2 per agent",
        "scorecard": card.pk,
        "period": "week",
        "per_agent": 2,
        "evaluators": [user.pk for user in people],
        "seed": 3,
        "due_days": 4,
        "require_recording": False,
    }
    data.update(extra)
    return data


def test_a_lead_creates_reads_changes_and_deletes_a_rule(acme, lead, analysts, scorecard):
    api = acme.api(lead)
    created = api.post(RULES, body(scorecard, analysts, include_csat_at_most=2, strata=["queue"]), format="json")
    assert created.status_code == 201, created.json()
    rule = created.json()
    assert rule["per_agent"] == 2 and rule["strata"] == ["queue"] and rule["include_csat_at_most"] == 2
    assert sorted(rule["evaluators"]) == sorted(user.pk for user in analysts)
    assert api.get(f"{RULES}/{rule['id']}").json()["name"] == "Weekly 2 per agent"
    listed = api.get(RULES).json()
    assert [row["id"] for row in listed["results"]] == [rule["id"]]
    assert listed["results"][0]["open_assignments"] == 0

    changed = api.patch(f"{RULES}/{rule['id']}", {"percent": 5, "per_agent": None}, format="json")
    assert changed.status_code == 200, changed.json()
    assert changed.json()["percent"] == "5.00" and changed.json()["per_agent"] is None
    with tenant_context(acme.tenant):
        entry = AuditEntry.objects.filter(action="sampling_rule.changed").latest("pk")
        assert entry.before == {"per_agent": 2, "percent": None}
        assert entry.after == {"per_agent": None, "percent": "5.00"}

    assert api.delete(f"{RULES}/{rule['id']}").status_code == 204
    assert api.get(f"{RULES}/{rule['id']}").status_code == 404


def test_bad_rules_are_400_with_field_messages_and_change_nothing(acme, lead, analysts, scorecard):
    api = acme.api(lead)
    agent_user = person(acme, Role.AGENT)
    bad = api.post(
        RULES,
        body(scorecard, analysts, percent="abc", evaluators=[agent_user.pk], period="year", scorecard=999999),
        format="json",
    )
    assert bad.status_code == 400
    assert set(bad.json()["fields"]) == {"percent", "evaluators", "period", "scorecard"}
    with tenant_context(acme.tenant):
        assert not SamplingRule.objects.exists()
    rule = api.post(RULES, body(scorecard, analysts), format="json").json()
    refused = api.patch(f"{RULES}/{rule['id']}", {"per_agent": 0, "name": "x"}, format="json")
    assert refused.status_code == 400 and set(refused.json()["fields"]) == {"per_agent"}
    assert api.get(f"{RULES}/{rule['id']}").json()["name"] == "Weekly 2 per agent"


@pytest.mark.parametrize(
    ("role", "read", "write"),
    [
        (Role.QA_LEAD, 200, 201),
        (Role.TENANT_ADMIN, 200, 201),
        (Role.QA, 200, 403),
        (Role.SUPERVISOR, 403, 403),
        (Role.AGENT, 403, 403),
    ],
)
def test_who_may_read_and_write_rules(acme, analysts, scorecard, role, read, write):
    api = acme.api(person(acme, role))
    assert api.get(RULES).status_code == read
    assert api.post(RULES, body(scorecard, analysts), format="json").status_code == write


def test_run_previews_then_creates_once(acme, lead, analysts, scorecard, week_of_calls):
    api = acme.api(lead)
    rule = api.post(RULES, body(scorecard, analysts), format="json").json()
    run = f"{RULES}/{rule['id']}/run"

    preview = api.post(run, {"period_start": WEEK.isoformat(), "dry_run": True}, format="json")
    assert preview.status_code == 200, preview.json()
    data = preview.json()
    assert (data["eligible"], data["picked"], data["created"], data["dry_run"]) == (12, 4, 0, True)
    assert data["by_reason"] == {"random": 4}
    assert {pick["assignee"] for pick in data["picks"]} == {user.pk for user in analysts}
    with tenant_context(acme.tenant):
        assert not Assignment.objects.exists()

    made = api.post(run, {"period_start": "2026-01-07"}, format="json")  # a Wednesday: its week
    assert made.status_code == 201
    assert (made.json()["period_start"], made.json()["created"]) == ("2026-01-05", 4)
    assert [pick["call"] for pick in made.json()["picks"]] == [pick["call"] for pick in data["picks"]]
    again = api.post(run, {"period_start": WEEK.isoformat()}, format="json").json()
    assert (again["created"], again["already_assigned"]) == (0, 4)
    with tenant_context(acme.tenant):
        assert Assignment.objects.filter(rule_id=rule["id"]).count() == 4
        assert AuditEntry.objects.filter(action="sampling_rule.run").count() == 1


def test_run_refuses_bad_input(acme, lead, analysts, scorecard):
    api = acme.api(lead)
    rule = api.post(RULES, body(scorecard, analysts), format="json").json()
    run = f"{RULES}/{rule['id']}/run"
    assert api.post(run, {"period_start": "last week"}, format="json").json()["fields"].keys() == {"period_start"}
    assert api.post(run, {"period_start": "2999-01-04"}, format="json").status_code == 400
    assert api.post(run, {"dry_run": "maybe"}, format="json").json()["fields"].keys() == {"dry_run"}
    assert acme.api(analysts[0]).post(run, {}, format="json").status_code == 403


def test_the_board_filters_and_an_analyst_sees_only_their_own(acme, lead, analysts, scorecard, week_of_calls):
    api = acme.api(lead)
    rule = api.post(RULES, body(scorecard, analysts), format="json").json()
    api.post(f"{RULES}/{rule['id']}/run", {"period_start": WEEK.isoformat()}, format="json")
    ann, bob = analysts
    everything = api.get(ASSIGNMENTS).json()
    assert everything["count"] == 4
    mine = acme.api(ann).get(ASSIGNMENTS).json()
    assert mine["count"] == 2 and {row["assignee"]["id"] for row in mine["results"]} == {ann.pk}
    # An analyst's filter on someone else finds nothing of theirs.
    assert acme.api(ann).get(ASSIGNMENTS, {"assignee": bob.pk}).json()["count"] == 0
    assert api.get(ASSIGNMENTS, {"assignee": bob.pk, "status": "open"}).json()["count"] == 2
    assert api.get(ASSIGNMENTS, {"status": "done"}).json()["count"] == 0
    assert api.get(ASSIGNMENTS, {"assignee": "none"}).json()["count"] == 0
    row = everything["results"][0]
    assert row["reason"] == "random" and row["status"] == "pending" and row["period_start"] == "2026-01-05"
    # The week ends at local midnight on the 12th; plus 4 days: midnight of the 16th in Shanghai.
    assert row["due_at"] == "2026-01-15T16:00:00+00:00"
    assert api.get(ASSIGNMENTS, {"status": "lost"}).status_code == 400
    assert api.get(ASSIGNMENTS, {"assignee": "ann"}).status_code == 400
    assert acme.api(person(acme, Role.AGENT)).get(ASSIGNMENTS).status_code == 403


def test_reassign_and_skip(acme, lead, analysts, scorecard, week_of_calls):
    api = acme.api(lead)
    rule = api.post(RULES, body(scorecard, analysts), format="json").json()
    api.post(f"{RULES}/{rule['id']}/run", {"period_start": WEEK.isoformat()}, format="json")
    ann, bob = analysts
    row = api.get(ASSIGNMENTS, {"assignee": ann.pk}).json()["results"][0]
    moved = api.post(f"{ASSIGNMENTS}/{row['id']}/reassign", {"assignee": bob.pk}, format="json")
    assert moved.status_code == 200 and moved.json()["assignee"]["id"] == bob.pk
    with tenant_context(acme.tenant):
        entry = AuditEntry.objects.filter(action="qa_assignment.reassigned").latest("pk")
        assert (entry.before, entry.after) == ({"assignee": ann.pk}, {"assignee": bob.pk})

    agent_user = person(acme, Role.AGENT)
    refused = api.post(f"{ASSIGNMENTS}/{row['id']}/reassign", {"assignee": agent_user.pk}, format="json")
    assert refused.status_code == 400 and "assignee" in refused.json()["fields"]
    assert api.post(f"{ASSIGNMENTS}/{row['id']}/reassign", {}, format="json").status_code == 400
    assert acme.api(bob).post(f"{ASSIGNMENTS}/{row['id']}/reassign", {"assignee": ann.pk}).status_code == 403
    with tenant_context(acme.tenant):
        assert Assignment.objects.get(pk=row["id"]).assignee_id == bob.pk

    pooled = api.post(f"{ASSIGNMENTS}/{row['id']}/reassign", {"assignee": None}, format="json")
    assert pooled.status_code == 200 and pooled.json()["assignee"] is None
    skipped = api.post(f"{ASSIGNMENTS}/{row['id']}/skip")
    assert skipped.status_code == 200 and skipped.json()["status"] == "skipped"
    assert api.post(f"{ASSIGNMENTS}/{row['id']}/skip").status_code == 400
    assert api.post(f"{ASSIGNMENTS}/999999/skip").status_code == 404


def test_another_tenant_sees_none_of_it(acme, globex, lead, analysts, scorecard, week_of_calls):
    api = acme.api(lead)
    rule = api.post(RULES, body(scorecard, analysts), format="json").json()
    api.post(f"{RULES}/{rule['id']}/run", {"period_start": WEEK.isoformat()}, format="json")
    outsider = globex.api(person(globex, Role.QA_LEAD))
    assert outsider.get(RULES).json()["count"] == 0
    assert outsider.get(ASSIGNMENTS).json()["count"] == 0
    assert outsider.get(f"{RULES}/{rule['id']}").status_code == 404
    # acme's token on globex's host is nobody there.
    token = acme.token(lead)
    stranger = globex.api()
    stranger.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert stranger.get(RULES).status_code in (401, 403)
