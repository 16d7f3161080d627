"""Coaching (issue 14 item 7): planned from an evaluation or for a chosen agent, by QA staff and by
supervisors for their teams; the agent sees and acknowledges their own; the training seam
(apps/qa/hooks.py) assigns a course once training registers, and is a visible no-op before."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from apps.audit.models import AuditEntry
from apps.notifications.models import Notification
from apps.qa import hooks
from apps.qa.models import CoachingSession
from apps.qa.services.coaching import coaching_create
from tests.accounts.helpers import web_login
from tests.qa.factories import make_agent_call, make_evaluation, make_scorecard, make_team

COACHING = "/api/v1/qa/coaching"


@pytest.fixture
def world(acme):
    with tenant_context(acme.tenant):
        people = {role: acme.user(role) for role in ("qa", "qa_lead", "supervisor", "tenant_admin")}
        people["ann"] = acme.user("agent")
        people["bob"] = acme.user("agent")
        make_team(supervisors=[people["supervisor"]], members=[people["ann"]])
        scorecard = make_scorecard(actor=people["qa_lead"])
        evaluation = make_evaluation(
            make_agent_call(people["ann"]), scorecard, people["qa"], [True, True, True, 2, 5, True]
        )
    return {"w": acme, "evaluation": evaluation, **people}


@pytest.fixture
def training():
    """A stand-in for apps/training: records what the seam asks of it."""
    assigned: list[dict] = []

    def assigner(*, agent, course_key, actor, coaching):
        assigned.append({"agent": agent.pk, "course": course_key, "actor": actor.pk, "coaching": coaching.pk})

    saved = (hooks._registry.assigner, hooks._registry.courses)
    hooks.register_course_assigner(assigner, courses=lambda: [("empathy-101", "Empathy on the phone")])
    yield assigned
    hooks._registry.assigner, hooks._registry.courses = saved  # apps/training's own registration


@pytest.fixture
def no_training():
    """The seam as it is without apps/training (which registers itself when the app is loaded)."""
    saved = (hooks._registry.assigner, hooks._registry.courses)
    hooks.unregister_course_assigner()
    yield
    hooks._registry.assigner, hooks._registry.courses = saved


def _api(world, who):
    return world["w"].api(world[who])


def _follow_up(days: int = 7) -> str:
    return (timezone.localdate() + timedelta(days=days)).isoformat()


def test_from_an_evaluation_the_agent_is_the_evaluations_and_is_told(world):
    response = _api(world, "qa").post(
        COACHING,
        {
            "evaluation": world["evaluation"].pk,
            "topic": "Resolution",
            "notes": "Ask before closing",
            "follow_up_on": _follow_up(),
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["agent"]["id"] == world["ann"].pk and data["coach"]["id"] == world["qa"].pk
    assert data["evaluation"] == world["evaluation"].pk and data["status"] == "planned"
    with tenant_context(world["w"].tenant):
        [told] = Notification.objects.filter(user=world["ann"], kind="qa.coaching_planned")
        assert told.url == f"/qa/coaching/{data['id']}/" and "Resolution" in told.title
        entry = AuditEntry.objects.get(action="coaching.created")
    assert entry.actor_id == world["qa"].pk and entry.after["topic"] == "Resolution"


def test_a_supervisor_coaches_their_team_only(world):
    supervisor = _api(world, "supervisor")
    mine = supervisor.post(COACHING, {"agent": world["ann"].pk, "topic": "Hold etiquette"}, format="json")
    assert mine.status_code == 201
    theirs = supervisor.post(COACHING, {"agent": world["bob"].pk, "topic": "Hold etiquette"}, format="json")
    assert theirs.status_code == 400 and "agent" in theirs.json()["fields"]
    assert _api(world, "ann").post(COACHING, {"agent": world["bob"].pk, "topic": "x"}, format="json").status_code == 403
    with tenant_context(world["w"].tenant):
        assert CoachingSession.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"topic": ""}, "topic"),
        ({"topic": "x" * 201}, "topic"),
        ({"topic": "a\x00b"}, "topic"),
        ({"notes": "\x00"}, "notes"),
        ({"agent": 2**70}, "agent"),
        ({"follow_up_on": "next week"}, "follow_up_on"),
        ({"follow_up_on": "2001-01-01"}, "follow_up_on"),
        ({"agent": 999999}, "agent"),
        ({"agent": None}, "agent"),
        ({"evaluation": 999999}, "evaluation"),
        ({"course_key": "empathy-101"}, "course_key"),  # no training yet
    ],
)
def test_bad_input_is_400_with_the_field_and_creates_nothing(world, body, field):
    payload = {"agent": world["ann"].pk, "topic": "Greeting", **body}
    response = _api(world, "qa_lead").post(COACHING, payload, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["fields"]
    with tenant_context(world["w"].tenant):
        assert not CoachingSession.objects.exists()


def test_the_evaluation_must_be_about_the_agent_named(world):
    body = {"agent": world["bob"].pk, "evaluation": world["evaluation"].pk, "topic": "x"}
    response = _api(world, "qa").post(COACHING, body, format="json")
    assert response.status_code == 400 and "agent" in response.json()["fields"]


def test_the_agent_sees_and_acknowledges_their_own_only(world):
    created = _api(world, "qa").post(COACHING, {"agent": world["ann"].pk, "topic": "Greeting"}, format="json").json()
    ann, bob = _api(world, "ann"), _api(world, "bob")
    assert [s["id"] for s in ann.get(COACHING).json()["results"]] == [created["id"]]
    assert bob.get(COACHING).json()["results"] == []
    assert bob.get(f"{COACHING}/{created['id']}").status_code == 404
    assert bob.post(f"{COACHING}/{created['id']}/acknowledge").status_code == 404
    assert ann.patch(f"{COACHING}/{created['id']}", {"notes": "mine"}, format="json").status_code == 403
    response = ann.post(f"{COACHING}/{created['id']}/acknowledge")
    assert response.status_code == 200 and response.json()["acknowledged_at"]
    first = response.json()["acknowledged_at"]
    assert ann.post(f"{COACHING}/{created['id']}/acknowledge").json()["acknowledged_at"] == first
    # The supervisor of ann's team reads it; QA reads everything.
    assert _api(world, "supervisor").get(f"{COACHING}/{created['id']}").status_code == 200


def test_the_coach_updates_follows_up_and_closes_a_session(world):
    created = _api(world, "qa").post(COACHING, {"agent": world["ann"].pk, "topic": "Greeting"}, format="json").json()
    path = f"{COACHING}/{created['id']}"
    bad = _api(world, "qa").patch(path, {"status": "maybe"}, format="json")
    assert bad.status_code == 400 and "status" in bad.json()["fields"]
    changed = _api(world, "qa").patch(
        path, {"notes": "Went well", "status": "done", "follow_up_on": _follow_up(14)}, format="json"
    )
    assert changed.status_code == 200, changed.content
    assert (changed.json()["status"], changed.json()["notes"]) == ("done", "Went well")
    # Another analyst who is not the coach may not; a lead may.
    other = world["w"].user("qa", email="another-analyst@acme.test")
    assert world["w"].api(other).patch(path, {"notes": "x"}, format="json").status_code == 403
    assert _api(world, "qa_lead").patch(path, {"status": "cancelled"}, format="json").status_code == 200
    with tenant_context(world["w"].tenant):
        assert AuditEntry.objects.filter(action="coaching.changed").count() == 2


def test_filters_and_due_follow_ups(world):
    with tenant_context(world["w"].tenant):
        due = coaching_create(actor=world["qa"], agent=world["ann"], topic="Due", follow_up_on=timezone.localdate())
        coaching_create(actor=world["qa"], agent=world["bob"], topic="Later", follow_up_on=_follow_up(30))
    api = _api(world, "qa_lead")
    assert [s["id"] for s in api.get(COACHING, {"due": "true"}).json()["results"]] == [due.pk]
    assert [s["topic"] for s in api.get(COACHING, {"agent": world["bob"].pk}).json()["results"]] == ["Later"]
    assert api.get(COACHING, {"status": "nope"}).status_code == 400


def test_a_session_is_deleted_only_before_the_agent_saw_it(world):
    first = _api(world, "qa").post(COACHING, {"agent": world["ann"].pk, "topic": "One"}, format="json").json()
    second = _api(world, "qa").post(COACHING, {"agent": world["ann"].pk, "topic": "Two"}, format="json").json()
    assert _api(world, "qa").delete(f"{COACHING}/{first['id']}").status_code == 204
    _api(world, "ann").post(f"{COACHING}/{second['id']}/acknowledge")
    refused = _api(world, "qa").delete(f"{COACHING}/{second['id']}")
    assert refused.status_code == 400 and refused.json()["code"] == "invalid_state"
    with tenant_context(world["w"].tenant):
        assert list(CoachingSession.objects.values_list("topic", flat=True)) == ["Two"]


def test_with_training_registered_the_course_is_assigned_through_the_seam(world, training):
    body = {"agent": world["ann"].pk, "topic": "Tone", "course_key": "empathy-101"}
    response = _api(world, "qa").post(COACHING, body, format="json")
    assert response.status_code == 201, response.content
    assert training == [
        {"agent": world["ann"].pk, "course": "empathy-101", "actor": world["qa"].pk, "coaching": response.json()["id"]}
    ]
    unknown = _api(world, "qa").post(COACHING, {**body, "course_key": "nope"}, format="json")
    assert unknown.status_code == 400 and "course_key" in unknown.json()["fields"]


def test_without_training_the_seam_assigns_nothing(no_training):
    assert hooks.training_available() is False
    assert hooks.course_choices() == []
    assert hooks.assign_course(agent=None, course_key="x", actor=None, coaching=None) is False


# --- the pages -------------------------------------------------------------------------------------


def test_the_form_from_an_evaluation_is_prefilled_and_says_training_is_not_available(world, no_training):
    client = web_login(world["w"], world["qa"].email)
    page = client.get(f"/qa/coaching/new/?evaluation={world['evaluation'].pk}").content.decode()
    assert 'id="qa-coaching-from"' in page and 'id="qa-training-unavailable"' in page
    assert f'<option value="{world["ann"].pk}" selected>' in page
    assert 'name="course_key"' not in page
    response = client.post(
        "/qa/coaching/new/",
        {
            "evaluation": world["evaluation"].pk,
            "agent": world["ann"].pk,
            "topic": "Resolution",
            "follow_up_on": _follow_up(),
        },
    )
    assert response.status_code == 302
    with tenant_context(world["w"].tenant):
        session = CoachingSession.objects.get()
    assert session.evaluation_id == world["evaluation"].pk and response["Location"] == f"/qa/coaching/{session.pk}/"


def test_the_form_offers_courses_once_training_is_there(world, training):
    page = web_login(world["w"], world["qa"].email).get("/qa/coaching/new/").content.decode()
    assert 'name="course_key"' in page and "Empathy on the phone" in page
    assert 'id="qa-training-unavailable"' not in page


def test_the_agent_acknowledges_on_the_page_and_the_list_shows_only_theirs(world):
    with tenant_context(world["w"].tenant):
        session = coaching_create(actor=world["supervisor"], agent=world["ann"], topic="Hold etiquette")
        coaching_create(actor=world["qa"], agent=world["bob"], topic="Not ann's")
    client = web_login(world["w"], world["ann"].email)
    listing = client.get("/qa/coaching/").content.decode()
    assert "Hold etiquette" in listing and "Not ann&#x27;s" not in listing and "Not ann's" not in listing
    assert 'id="qa-coaching-acknowledge"' in client.get(f"/qa/coaching/{session.pk}/").content.decode()
    assert client.post(f"/qa/coaching/{session.pk}/acknowledge/").status_code == 302
    with tenant_context(world["w"].tenant):
        assert CoachingSession.objects.get(pk=session.pk).acknowledged_at is not None
    assert client.get("/qa/coaching/new/").status_code == 403
