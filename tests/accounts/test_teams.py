"""The administrator's Teams page: create a team with its supervisors and agents, change it,
delete it; the supervisor then sees their team's evaluations (apps/qa) — and only administrators
reach the page. Audited as team.created / team.changed / team.deleted."""

from __future__ import annotations

from django_tenants.utils import tenant_context

from apps.accounts.models import Team
from apps.audit.models import AuditEntry
from apps.qa.selectors.evaluations import evaluations_visible_to
from tests.accounts.helpers import web_login
from tests.qa.factories import make_agent_call, make_evaluation, make_scorecard


def _people(acme):
    with tenant_context(acme.tenant):
        return {
            "boss": acme.user("supervisor"),
            "ann": acme.user("agent"),
            "bob": acme.user("agent"),
            "qa": acme.user("qa"),
        }


def test_an_administrator_creates_a_team_and_its_supervisor_sees_its_members_evaluations(acme):
    people = _people(acme)
    client = web_login(acme, acme.admin_email)
    page = client.get("/console/teams/").content.decode()
    assert "No teams yet." in page and people["ann"].email in page
    response = client.post(
        "/console/teams/", {"name": "Inbound A", "supervisors": [people["boss"].pk], "members": [people["ann"].pk]}
    )
    assert response.status_code == 302
    with tenant_context(acme.tenant):
        team = Team.objects.get(name="Inbound A")
        assert list(team.supervisors.all()) == [people["boss"]] and list(team.members.all()) == [people["ann"]]
        entry = AuditEntry.objects.get(action="team.created")
        assert entry.after == {
            "name": "Inbound A",
            "supervisors": [people["boss"].email],
            "members": [people["ann"].email],
        }
        scorecard = make_scorecard()
        ann_eval = make_evaluation(make_agent_call(people["ann"]), scorecard, people["qa"])
        make_evaluation(make_agent_call(people["bob"]), scorecard, people["qa"])
        assert list(evaluations_visible_to(people["boss"])) == [ann_eval]
    assert f'data-team="{team.pk}"' in client.get("/console/teams/").content.decode()


def test_bad_input_is_refused_beside_the_field_and_nothing_is_saved(acme):
    people = _people(acme)
    client = web_login(acme, acme.admin_email)
    client.post("/console/teams/", {"name": "Outbound", "members": [people["bob"].pk]})
    duplicate = client.post("/console/teams/", {"name": "outbound"})
    assert duplicate.status_code == 400 and "A team with this name exists." in duplicate.content.decode()
    not_an_agent = client.post("/console/teams/", {"name": "X", "members": [people["boss"].pk]})
    assert not_an_agent.status_code == 400  # a supervisor is not offered as a member
    with tenant_context(acme.tenant):
        assert list(Team.objects.values_list("name", flat=True)) == ["Outbound"]


def test_an_administrator_changes_and_deletes_a_team(acme):
    people = _people(acme)
    client = web_login(acme, acme.admin_email)
    client.post("/console/teams/", {"name": "Day", "members": [people["ann"].pk]})
    with tenant_context(acme.tenant):
        team = Team.objects.get()
    page = client.get(f"/console/teams/{team.pk}/").content.decode()
    assert 'value="Day"' in page
    changed = client.post(
        f"/console/teams/{team.pk}/",
        {"name": "Day shift", "supervisors": [people["boss"].pk], "members": [people["bob"].pk]},
    )
    assert changed.status_code == 302
    with tenant_context(acme.tenant):
        team.refresh_from_db()
        assert team.name == "Day shift" and list(team.members.all()) == [people["bob"]]
        entry = AuditEntry.objects.get(action="team.changed")
        assert entry.before["members"] == [people["ann"].email] and entry.after["members"] == [people["bob"].email]
    assert client.post(f"/console/teams/{team.pk}/", {"delete": "1"}).status_code == 302
    with tenant_context(acme.tenant):
        assert not Team.objects.exists()
        assert AuditEntry.objects.filter(action="team.deleted").count() == 1


def test_only_administrators_reach_the_teams_page(acme):
    people = _people(acme)
    for who in ("boss", "ann", "qa"):
        client = web_login(acme, people[who].email)
        assert client.get("/console/teams/").status_code == 403
        assert client.post("/console/teams/", {"name": "Sneaky"}).status_code == 403
    with tenant_context(acme.tenant):
        assert not Team.objects.exists()
