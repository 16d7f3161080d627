"""Satisfaction surveys (issue 17 item 4): one response per surveyed call, made idempotently from the
CDR; low scores followed up by the agent's supervisor (notify); the responses API and page with
filters, roles and tenant isolation."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from apps.accounts.models import Team
from apps.audit.models import AuditEntry
from apps.crm.models import SurveyResponse
from apps.crm.services.surveys import survey_follow_up_done, survey_responses_sync
from apps.crm.services.surveys_demo import crm_surveys_demo_ensure
from apps.notifications.models import Notification
from tests.accounts.helpers import web_login
from tests.factories import AgentFactory, CallFactory, QueueFactory


@pytest.fixture
def world(acme):
    agent_user = acme.user("agent", email="agent-a@acme.test")
    other_agent_user = acme.user("agent", email="agent-b@acme.test")
    lead = acme.user("supervisor", email="lead@acme.test")
    with tenant_context(acme.tenant):
        team = Team.objects.create(name="Team A")
        team.members.add(agent_user)
        team.supervisors.add(lead)
        queue = QueueFactory(name="Service")
        agent = AgentFactory(user=agent_user)
        other = AgentFactory(user=other_agent_user)
    return {
        "acme": acme,
        "agent_user": agent_user,
        "other_agent_user": other_agent_user,
        "lead": lead,
        "queue": queue,
        "agent": agent,
        "other": other,
    }


def surveyed(world, score, *, agent=None, ago=dt.timedelta(minutes=10), **fields):
    ended = timezone.now() - ago
    return CallFactory(
        agent=agent or world["agent"],
        queue=world["queue"],
        survey_score=score,
        arrived_at=ended - dt.timedelta(minutes=5),
        ended_at=ended,
        caller="13800138000",
        **fields,
    )


def test_each_surveyed_call_becomes_one_response_and_a_second_sync_adds_none(world):
    with tenant_context(world["acme"].tenant):
        calls = [surveyed(world, 5), surveyed(world, 4), surveyed(world, 3)]
        CallFactory(survey_score=None, ended_at=timezone.now())  # no answer
        CallFactory(survey_score=9, ended_at=timezone.now())  # not a key of the 1–5 scale
        CallFactory(survey_score=4, ended_at=None)  # still going
        first = survey_responses_sync()
        again = survey_responses_sync()
        assert first["created"] == 3
        assert again == {"created": 0, "follow_ups": 0}
        rows = SurveyResponse.objects.order_by("call_id")
        assert [(row.call_id, row.score, row.channel) for row in rows] == [(c.pk, c.survey_score, "ivr") for c in calls]
        assert rows[0].agent_id == world["agent"].pk
        assert rows[0].queue_id == world["queue"].pk
        assert rows[0].answered_at == calls[0].ended_at
        assert {row.follow_up_status for row in rows} == {"none"}


def test_a_score_arriving_after_the_first_sync_is_picked_up(world):
    with tenant_context(world["acme"].tenant):
        surveyed(world, 5)
        survey_responses_sync()
        late = surveyed(world, None)
        type(late).objects.filter(pk=late.pk).update(survey_score=4)  # the engine's late update
        assert survey_responses_sync()["created"] == 1
        assert SurveyResponse.objects.filter(call=late, score=4).exists()


def test_a_low_score_opens_a_follow_up_for_the_agents_team_supervisor(world):
    with tenant_context(world["acme"].tenant):
        low = surveyed(world, 1)
        result = survey_responses_sync()
        response = SurveyResponse.objects.get(call=low)
        assert result["follow_ups"] == 1
        assert response.follow_up_status == "open"
        assert response.follow_up_owner == world["lead"]
        note = Notification.objects.get(user=world["lead"], kind="survey.low_score")
        assert "/surveys/" in note.url


def test_a_low_score_without_a_team_tells_every_supervisor(world):
    with tenant_context(world["acme"].tenant):
        surveyed(world, 2, agent=world["other"])
        survey_responses_sync()
        response = SurveyResponse.objects.get()
        assert response.follow_up_status == "open"
        assert response.follow_up_owner is None
        assert Notification.objects.filter(user=world["lead"], kind="survey.low_score").exists()


def test_an_old_low_score_is_recorded_without_a_follow_up(world):
    with tenant_context(world["acme"].tenant):
        surveyed(world, 1, ago=dt.timedelta(days=20))
        survey_responses_sync()
        assert SurveyResponse.objects.get().follow_up_status == "none"
        assert not Notification.objects.filter(kind="survey.low_score").exists()


def test_a_supervisor_closes_a_follow_up_and_the_audit_log_says_so(world):
    with tenant_context(world["acme"].tenant):
        surveyed(world, 1)
        survey_responses_sync()
        response = SurveyResponse.objects.get()
    api = world["acme"].api(world["lead"])
    answer = api.post(
        f"/api/v1/survey-responses/{response.pk}/follow-up-done", {"note": "Called back, refund agreed"}, format="json"
    )
    assert answer.status_code == 200, answer.content
    assert answer.json()["follow_up_status"] == "done"
    again = api.post(f"/api/v1/survey-responses/{response.pk}/follow-up-done", {"note": ""}, format="json")
    assert again.status_code == 400
    assert again.json()["code"] == "invalid_state"
    with tenant_context(world["acme"].tenant):
        response.refresh_from_db()
        assert response.follow_up_note == "Called back, refund agreed"
        assert AuditEntry.objects.filter(action="survey.follow_up_done", target_id=str(response.pk)).count() == 1


def test_an_agent_may_not_close_a_follow_up(world):
    with tenant_context(world["acme"].tenant):
        surveyed(world, 1)
        survey_responses_sync()
        response = SurveyResponse.objects.get()
    answer = (
        world["acme"]
        .api(world["agent_user"])
        .post(f"/api/v1/survey-responses/{response.pk}/follow-up-done", {"note": "x"}, format="json")
    )
    assert answer.status_code == 403
    with tenant_context(world["acme"].tenant):
        assert SurveyResponse.objects.get().follow_up_status == "open"
        with pytest.raises(Exception, match="supervisors"):
            survey_follow_up_done(response=response, actor=world["agent_user"], note="")


def test_a_too_long_note_is_refused_and_changes_nothing(world):
    with tenant_context(world["acme"].tenant):
        surveyed(world, 1)
        survey_responses_sync()
        response = SurveyResponse.objects.get()
    answer = (
        world["acme"]
        .api(world["lead"])
        .post(f"/api/v1/survey-responses/{response.pk}/follow-up-done", {"note": "x" * 2001}, format="json")
    )
    assert answer.status_code == 400
    body = answer.json()
    assert body["code"] == "invalid"
    assert "note" in body["fields"]
    with tenant_context(world["acme"].tenant):
        assert SurveyResponse.objects.get().follow_up_status == "open"


def test_the_list_filters_by_score_and_agent(world):
    with tenant_context(world["acme"].tenant):
        surveyed(world, 5)
        surveyed(world, 2)
        surveyed(world, 1, agent=world["other"])
        survey_responses_sync()
    api = world["acme"].api(world["lead"])
    low = api.get("/api/v1/survey-responses?score=low").json()
    assert sorted(row["score"] for row in low["results"]) == [1, 2]
    mine = api.get(f"/api/v1/survey-responses?agent={world['agent'].pk}").json()
    assert sorted(row["score"] for row in mine["results"]) == [2, 5]
    fives = api.get("/api/v1/survey-responses?score=5&follow_up=none").json()
    assert [row["score"] for row in fives["results"]] == [5]
    assert api.get("/api/v1/survey-responses?score=7").status_code == 400


def test_an_agent_sees_only_the_answers_about_their_own_calls(world):
    with tenant_context(world["acme"].tenant):
        surveyed(world, 5)
        surveyed(world, 1, agent=world["other"])
        survey_responses_sync()
        others = SurveyResponse.objects.get(agent=world["other"])
    api = world["acme"].api(world["agent_user"])
    rows = api.get("/api/v1/survey-responses").json()["results"]
    assert [row["score"] for row in rows] == [5]
    assert api.get(f"/api/v1/survey-responses/{others.pk}").status_code == 404


def test_qa_reads_every_response_and_billing_none(world):
    with tenant_context(world["acme"].tenant):
        surveyed(world, 5)
        surveyed(world, 1, agent=world["other"])
        survey_responses_sync()
    assert world["acme"].api(world["acme"].user("qa")).get("/api/v1/survey-responses").json()["count"] == 2
    assert world["acme"].api(world["acme"].user("billing")).get("/api/v1/survey-responses").status_code == 403


def test_another_tenant_never_sees_a_response(world, globex):
    with tenant_context(world["acme"].tenant):
        surveyed(world, 1)
        survey_responses_sync()
        response = SurveyResponse.objects.get()
    outsider = globex.api(globex.admin())
    assert outsider.get("/api/v1/survey-responses").json()["count"] == 0
    assert outsider.get(f"/api/v1/survey-responses/{response.pk}").status_code == 404
    assert outsider.post(f"/api/v1/survey-responses/{response.pk}/follow-up-done", {}, format="json").status_code == 404


def test_the_page_lists_responses_and_closes_a_follow_up(world):
    with tenant_context(world["acme"].tenant):
        surveyed(world, 1)
        survey_responses_sync()
        response = SurveyResponse.objects.get()
    client = web_login(world["acme"], world["lead"].email)
    page = client.get("/surveys/?score=low")
    assert page.status_code == 200
    assert f'data-response="{response.pk}"' in page.content.decode()
    done = client.post(f"/surveys/{response.pk}/follow-up/", {"follow_up-note": "Apologised"})
    assert done.status_code == 302
    with tenant_context(world["acme"].tenant):
        assert SurveyResponse.objects.get().follow_up_status == "done"
    again = client.post(f"/surveys/{response.pk}/follow-up/", {"follow_up-note": ""})
    assert again.status_code == 400


def test_the_page_refuses_roles_without_surveys(world):
    client = web_login(world["acme"], world["acme"].user("trainer").email)
    assert client.get("/surveys/").status_code == 403


def test_the_demo_function_is_idempotent(world):
    with tenant_context(world["acme"].tenant):
        surveyed(world, 5)
        surveyed(world, 1)
    first = crm_surveys_demo_ensure(world["acme"].tenant.schema_name)
    again = crm_surveys_demo_ensure(world["acme"].tenant.schema_name)
    assert first["responses"] == 2
    assert first["follow_ups"] == 1
    assert again == {"responses": 0, "follow_ups": 0, "visits": 0}


def test_the_sync_walks_the_calls_in_batches(world):
    with tenant_context(world["acme"].tenant):
        for minutes in range(5):
            surveyed(world, 4, ago=dt.timedelta(minutes=10 + minutes))
        assert survey_responses_sync(batch=2)["created"] == 5
        assert SurveyResponse.objects.count() == 5
