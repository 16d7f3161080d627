"""The sampling pages (/qa/sampling/, /qa/assignments/): a QA lead writes a rule on the form,
previews what it picks, creates the assignments, sees each analyst's workload and moves a call;
others are refused; bad input comes back on the form and saves nothing."""

from __future__ import annotations

import pytest
from django_tenants.utils import tenant_context

from apps.accounts.choices import Role
from apps.qa.models import Assignment, SamplingRule
from tests.accounts.helpers import web_login
from tests.qa.factories import make_scorecard
from tests.qa.test_sampling import WEEK, agent, calls
from tests.qa.test_sampling_api import person


@pytest.fixture
def setup(acme):
    lead = person(acme, Role.QA_LEAD)
    ann, bob = person(acme, Role.QA), person(acme, Role.QA)
    with tenant_context(acme.tenant):
        scorecard = make_scorecard(name="Standard")
        for someone in (agent(), agent()):
            calls(someone, 5)
    return {"lead": lead, "ann": ann, "bob": bob, "scorecard": scorecard}


def form_data(setup, **extra) -> dict:
    data = {
        "name": "Weekly check",
        "scorecard": setup["scorecard"].pk,
        "period": "week",
        "per_agent": "2",
        "min_talk_seconds": "30",
        "include_csat_at_most": "2",
        "exclude_evaluated": "on",
        "evaluators": [setup["ann"].pk, setup["bob"].pk],
        "due_days": "5",
        "seed": "4",
        "is_active": "on",
    }
    data.update(extra)
    return data


def test_a_lead_writes_previews_and_runs_a_rule_then_moves_a_call(acme, setup):
    browser = web_login(acme, setup["lead"].email)
    empty = browser.get("/qa/sampling/")
    assert empty.status_code == 200 and "No sampling rules yet." in empty.content.decode()
    form = browser.get("/qa/sampling/new/").content.decode()
    for explained in ("Always include", "Skip calls already evaluated", "Seed", "Stratify by"):
        assert explained in form

    saved = browser.post("/qa/sampling/new/", form_data(setup))
    assert saved.status_code == 302
    with tenant_context(acme.tenant):
        rule = SamplingRule.objects.get(name="Weekly check")
    assert saved["Location"] == f"/qa/sampling/{rule.pk}/preview/"

    preview = browser.get(f"/qa/sampling/{rule.pk}/preview/", {"period_start": WEEK.isoformat()})
    page = preview.content.decode()
    assert preview.status_code == 200
    assert ">10<" in page  # eligible calls
    assert "Create the assignments" in page
    with tenant_context(acme.tenant):
        assert not Assignment.objects.exists()

    ran = browser.post(f"/qa/sampling/{rule.pk}/run/", {"period_start": WEEK.isoformat()})
    assert ran.status_code == 302 and ran["Location"] == f"/qa/assignments/?rule={rule.pk}"
    with tenant_context(acme.tenant):
        made = list(Assignment.objects.filter(rule=rule).order_by("pk"))
    assert len(made) == 4
    assert {a.assignee_id for a in made} == {setup["ann"].pk, setup["bob"].pk}

    board = browser.get("/qa/assignments/").content.decode()
    assert 'id="qa-workload"' in board and f'data-analyst="{setup["ann"].pk}"' in board
    assert board.count("data-assignment=") == 4

    moved = made[0]
    other = setup["bob"] if moved.assignee_id == setup["ann"].pk else setup["ann"]
    answer = browser.post(f"/qa/assignments/{moved.pk}/reassign/", {"assignee": other.pk, "next": "/evil"})
    assert answer.status_code == 302 and answer["Location"] == "/qa/assignments/"
    with tenant_context(acme.tenant):
        assert Assignment.objects.get(pk=moved.pk).assignee_id == other.pk

    browser.post(f"/qa/assignments/{moved.pk}/skip/", {"next": "/qa/assignments/?status=all"})
    with tenant_context(acme.tenant):
        assert Assignment.objects.get(pk=moved.pk).status == "skipped"
    assert browser.get("/qa/assignments/").content.decode().count("data-assignment=") == 3


def test_bad_input_comes_back_on_the_form(acme, setup):
    browser = web_login(acme, setup["lead"].email)
    agent_user = person(acme, Role.AGENT)
    answer = browser.post(
        "/qa/sampling/new/", form_data(setup, per_agent="", include_csat_at_most="", evaluators=[agent_user.pk])
    )
    assert answer.status_code == 200
    page = answer.content.decode()
    assert "has-error" in page
    with tenant_context(acme.tenant):
        assert not SamplingRule.objects.exists()
    nothing = browser.post("/qa/sampling/new/", form_data(setup, per_agent="", include_csat_at_most=""))
    assert "Give calls per agent, a percentage, or at least one always-include test." in nothing.content.decode()


def test_the_pages_speak_chinese(acme, setup):
    browser = web_login(acme, setup["lead"].email)
    browser.post("/i18n/setlang/", {"language": "zh-hans", "next": "/qa/sampling/"})
    assert browser.get("/qa/sampling/new/").status_code == 200
    assert browser.get("/qa/assignments/").status_code == 200


@pytest.mark.parametrize("role", [Role.QA, Role.AGENT, Role.SUPERVISOR])
def test_others_are_refused(acme, setup, role):
    browser = web_login(acme, person(acme, role).email)
    for path in ("/qa/sampling/", "/qa/sampling/new/", "/qa/assignments/"):
        assert browser.get(path).status_code == 403, path
