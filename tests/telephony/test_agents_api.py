"""/api/v1/agents, routing configuration and call actions: the issue 3 contracts and role rules."""

from __future__ import annotations

import pytest
from django_tenants.utils import tenant_context

from apps.telephony.models import (
    AgentSkill,
    AgentStateEvent,
    Call,
    Disposition,
    PauseReason,
    PhoneNumber,
    Queue,
    QueueSkill,
    Skill,
    Trunk,
)
from tests.telephony.agent_helpers import Published, give_call, make_agent, make_call, reload

ME_STATE = "/api/v1/agents/me/state"
ME_LOGIN = "/api/v1/agents/me/login"


@pytest.fixture
def published(monkeypatch) -> Published:
    record = Published()
    monkeypatch.setattr(
        "apps.core.events.publish", lambda schema, topic, message: record.messages.append((topic, message))
    )
    return record


def _error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content[:400]
    body = response.json()
    assert set(body) == {"code", "message", "fields"}
    assert body["code"] == code
    return body


# --- defaults of a new tenant -------------------------------------------------------------------------


def test_new_tenant_has_the_default_pause_reasons(acme):
    with tenant_context(acme.tenant):
        reasons = {r.code: r for r in PauseReason.objects.all()}
    assert {"break", "lunch", "training", "meeting", "login", "missed"} <= set(reasons)
    assert reasons["missed"].is_system and reasons["login"].is_system
    assert not reasons["break"].is_system


def test_new_tenant_has_dispositions_with_a_resolved_one(acme):
    with tenant_context(acme.tenant):
        resolved = list(Disposition.objects.filter(is_resolved=True).values_list("code", flat=True))
        codes = set(Disposition.objects.values_list("code", flat=True))
    assert resolved == ["resolved"]
    assert {"follow_up", "wrong_number", "complaint"} <= codes


def test_new_tenant_has_a_general_queue_requiring_the_general_skill(acme):
    with tenant_context(acme.tenant):
        link = QueueSkill.objects.select_related("queue", "skill").get(queue__code="general")
    assert link.skill.code == "general"
    assert link.min_level == 1


# --- the agent's own state: contract ---------------------------------------------------------------------


def test_login_to_a_seat_returns_the_state_contract(acme):
    subject = make_agent(acme, seat=False)
    response = acme.api(subject.user).post(ME_LOGIN, {"seat": "1001"}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["agent_id"] == subject.agent.pk
    assert body["state"] == "not_ready"
    assert body["reason"] == "login"
    assert body["since"].endswith("Z")
    assert body["seat"] == "1001"


def test_login_to_the_same_seat_again_changes_nothing(acme):
    subject = make_agent(acme, seat=False)
    api = acme.api(subject.user)
    first = api.post(ME_LOGIN, {"seat": "1001"}, format="json").json()
    second = api.post(ME_LOGIN, {"seat": "1001"}, format="json").json()
    assert first == second
    with tenant_context(acme.tenant):
        assert AgentStateEvent.objects.filter(agent=subject.agent).count() == 1


def test_login_to_a_seat_held_by_a_logged_in_agent_is_refused(acme):
    holder = make_agent(acme, state="ready")
    newcomer = make_agent(acme, seat=False)
    response = acme.api(newcomer.user).post(ME_LOGIN, {"seat": holder.seat.extension}, format="json")
    body = _error(response, 400, "seat_taken")
    assert "seat" in body["fields"]
    assert reload(acme, newcomer.agent).seat_id is None


def test_a_seat_is_free_again_after_its_agent_logs_out(acme):
    first = make_agent(acme, seat=False)
    second = make_agent(acme, seat=False)
    assert acme.api(first.user).post(ME_LOGIN, {"seat": "1002"}, format="json").status_code == 200
    assert acme.api(first.user).post(ME_STATE, {"state": "offline"}, format="json").json()["seat"] is None
    response = acme.api(second.user).post(ME_LOGIN, {"seat": "1002"}, format="json")
    assert response.status_code == 200
    assert reload(acme, second.agent).seat.extension == "1002"


def test_login_to_an_unknown_seat_is_refused(acme):
    subject = make_agent(acme, seat=False)
    _error(acme.api(subject.user).post(ME_LOGIN, {"seat": "7777"}, format="json"), 400, "unknown_seat")


def test_login_without_a_seat_field_is_invalid(acme):
    subject = make_agent(acme, seat=False)
    body = _error(acme.api(subject.user).post(ME_LOGIN, {}, format="json"), 400, "invalid")
    assert "seat" in body["fields"]


def test_login_by_a_user_without_the_agent_role_is_forbidden(acme):
    response = acme.api(acme.user("supervisor")).post(ME_LOGIN, {"seat": "1001"}, format="json")
    assert response.status_code == 403


def test_get_state_of_a_new_agent_is_offline(acme):
    user = acme.user("agent")
    response = acme.api(user).get(ME_STATE)
    assert response.status_code == 200
    body = response.json()
    assert {"agent_id", "state", "reason", "since"} <= set(body)
    assert body["state"] == "offline"
    assert body["reason"] is None


def test_agent_goes_ready_then_not_ready_with_a_reason(acme):
    subject = make_agent(acme, seat=False)
    api = acme.api(subject.user)
    api.post(ME_LOGIN, {"seat": "1001"}, format="json")
    ready = api.post(ME_STATE, {"state": "ready"}, format="json")
    assert ready.status_code == 200
    assert (ready.json()["state"], ready.json()["reason"]) == ("ready", None)
    paused = api.post(ME_STATE, {"state": "not_ready", "reason": "break"}, format="json").json()
    assert (paused["state"], paused["reason"]) == ("not_ready", "break")
    assert api.get(ME_STATE).json() == paused


def test_not_ready_without_a_reason_is_refused_and_changes_nothing(acme):
    subject = make_agent(acme, state="ready")
    body = _error(acme.api(subject.user).post(ME_STATE, {"state": "not_ready"}, format="json"), 400, "reason_required")
    assert "reason" in body["fields"]
    assert reload(acme, subject.agent).state == "ready"
    with tenant_context(acme.tenant):
        assert not AgentStateEvent.objects.filter(agent=subject.agent).exists()


def test_not_ready_with_an_unknown_reason_is_refused(acme):
    subject = make_agent(acme, state="ready")
    response = acme.api(subject.user).post(ME_STATE, {"state": "not_ready", "reason": "siesta"}, format="json")
    _error(response, 400, "unknown_reason")
    assert reload(acme, subject.agent).state == "ready"


def test_ready_before_login_is_refused(acme):
    subject = make_agent(acme, seat=False)
    _error(acme.api(subject.user).post(ME_STATE, {"state": "ready"}, format="json"), 400, "not_logged_in")


def test_states_of_call_control_cannot_be_requested(acme):
    subject = make_agent(acme, state="ready")
    body = _error(acme.api(subject.user).post(ME_STATE, {"state": "talking"}, format="json"), 400, "invalid")
    assert "state" in body["fields"]


def test_agent_cannot_go_offline_during_a_call(acme):
    subject = make_agent(acme)
    give_call(acme, subject.agent, state="talking", call_status="talking")
    _error(acme.api(subject.user).post(ME_STATE, {"state": "offline"}, format="json"), 400, "invalid_transition")
    assert reload(acme, subject.agent).state == "talking"


def test_state_endpoints_need_authentication(acme):
    assert acme.api().get(ME_STATE).status_code in (401, 403)
    assert acme.api().post(ME_STATE, {"state": "ready"}, format="json").status_code in (401, 403)


def test_state_endpoint_is_for_agents_only(acme):
    assert acme.api(acme.user("qa")).get(ME_STATE).status_code == 403


def test_outsider_tenant_token_is_refused(acme, globex):
    outsider = make_agent(globex, state="ready")
    token = globex.token(outsider.user)
    api = acme.api()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.get(ME_STATE).status_code == 401
    assert api.post(ME_LOGIN, {"seat": "1001"}, format="json").status_code == 401


def test_state_change_through_the_api_is_published(acme, published, django_capture_on_commit_callbacks):
    subject = make_agent(acme, state="not_ready", reason="break")
    with django_capture_on_commit_callbacks(execute=True):
        acme.api(subject.user).post(ME_STATE, {"state": "ready"}, format="json")
    (message,) = published.on("wallboard")
    assert (message["type"], message["agent_id"], message["state"]) == ("agent.state", subject.agent.pk, "ready")


# --- supervisors force states ----------------------------------------------------------------------------------


def test_supervisor_forces_an_agent_not_ready(acme):
    subject = make_agent(acme, state="ready")
    supervisor = acme.user("supervisor")
    response = acme.api(supervisor).post(
        f"/api/v1/agents/{subject.agent.pk}/state", {"state": "not_ready", "reason": "meeting"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert (response.json()["state"], response.json()["reason"]) == ("not_ready", "meeting")
    with tenant_context(acme.tenant):
        event = AgentStateEvent.objects.get(agent=subject.agent)
    assert event.actor_id == supervisor.pk


def test_admin_forces_an_agent_offline_and_frees_the_seat(acme):
    subject = make_agent(acme, state="not_ready", reason="break")
    response = acme.api(acme.admin()).post(f"/api/v1/agents/{subject.agent.pk}/state", {"state": "offline"})
    assert response.status_code == 200
    assert reload(acme, subject.agent).seat is None


def test_supervisor_cannot_force_an_agent_out_of_a_call(acme):
    subject = make_agent(acme)
    give_call(acme, subject.agent, state="talking", call_status="talking")
    response = acme.api(acme.user("supervisor")).post(
        f"/api/v1/agents/{subject.agent.pk}/state", {"state": "ready"}, format="json"
    )
    _error(response, 400, "invalid_transition")


def test_supervisor_force_not_ready_needs_a_reason(acme):
    subject = make_agent(acme, state="ready")
    response = acme.api(acme.user("supervisor")).post(
        f"/api/v1/agents/{subject.agent.pk}/state", {"state": "not_ready"}, format="json"
    )
    _error(response, 400, "reason_required")


def test_agent_cannot_force_another_agents_state(acme):
    subject = make_agent(acme, state="ready")
    other = make_agent(acme, state="ready")
    response = acme.api(other.user).post(
        f"/api/v1/agents/{subject.agent.pk}/state", {"state": "not_ready", "reason": "break"}, format="json"
    )
    assert response.status_code == 403
    assert reload(acme, subject.agent).state == "ready"


def test_force_state_of_an_unknown_agent_is_not_found(acme):
    response = acme.api(acme.user("supervisor")).post("/api/v1/agents/999999/state", {"state": "ready"})
    assert response.status_code == 404


def test_outsider_supervisor_cannot_force_states(acme, globex):
    subject = make_agent(acme, state="ready")
    api = acme.api()
    api.credentials(HTTP_AUTHORIZATION=f"Token {globex.token(globex.admin())}")
    response = api.post(f"/api/v1/agents/{subject.agent.pk}/state", {"state": "offline"}, format="json")
    assert response.status_code == 401
    assert reload(acme, subject.agent).state == "ready"


# --- agents list and skills ----------------------------------------------------------------------------------------


def test_agent_list_shows_state_seat_and_skills(acme):
    subject = make_agent(acme, state="ready")
    with tenant_context(acme.tenant):
        AgentSkill.objects.create(agent=subject.agent, skill=Skill.objects.get(code="general"), level=7)
    response = acme.api(acme.user("supervisor")).get("/api/v1/agents")
    assert response.status_code == 200
    row = next(r for r in response.json()["results"] if r["id"] == subject.agent.pk)
    assert row["state"] == "ready"
    assert row["extension"] == subject.seat.extension
    assert [(s["code"], s["level"]) for s in row["skills"]] == [("general", 7)]


def test_agent_list_includes_agents_who_never_logged_in(acme):
    user = acme.user("agent")
    rows = acme.api(acme.admin()).get("/api/v1/agents?page_size=500").json()["results"]
    assert user.pk in [row["user"] for row in rows]


def test_admin_sets_an_agents_skills(acme):
    subject = make_agent(acme)
    with tenant_context(acme.tenant):
        spanish = Skill.objects.create(code="spanish", name="Spanish")
        general = Skill.objects.get(code="general")
    response = acme.api(acme.admin()).put(
        f"/api/v1/agents/{subject.agent.pk}/skills",
        {"skills": [{"skill": general.pk, "level": 3}, {"skill": spanish.pk, "level": 10}]},
        format="json",
    )
    assert response.status_code == 200, response.content
    with tenant_context(acme.tenant):
        levels = dict(AgentSkill.objects.filter(agent=subject.agent).values_list("skill__code", "level"))
    assert levels == {"general": 3, "spanish": 10}


@pytest.mark.parametrize("level", [0, 11])
def test_skill_levels_outside_one_to_ten_are_refused(acme, level):
    subject = make_agent(acme)
    with tenant_context(acme.tenant):
        general = Skill.objects.get(code="general")
    response = acme.api(acme.admin()).put(
        f"/api/v1/agents/{subject.agent.pk}/skills", {"skills": [{"skill": general.pk, "level": level}]}, format="json"
    )
    body = _error(response, 400, "invalid")
    assert "skills" in body["fields"]
    with tenant_context(acme.tenant):
        assert not AgentSkill.objects.filter(agent=subject.agent).exists()


def test_supervisor_sets_skills_but_not_allowed_seats(acme):
    # Supervisors manage agent skills (docs/user-guide.md "Roles"); seats stay the administrator's.
    subject = make_agent(acme)
    supervisor = acme.api(acme.user("supervisor"))
    response = supervisor.put(f"/api/v1/agents/{subject.agent.pk}/skills", {"skills": []}, format="json")
    assert response.status_code == 200
    response = supervisor.put(f"/api/v1/agents/{subject.agent.pk}/allowed-seats", {"seats": []}, format="json")
    assert response.status_code == 403
    assert (
        acme.api(acme.user("agent"))
        .put(f"/api/v1/agents/{subject.agent.pk}/skills", {"skills": []}, format="json")
        .status_code
        == 403
    )


def test_agents_may_read_the_agent_list_but_qa_may_not(acme):
    assert acme.api(acme.user("agent")).get("/api/v1/agents").status_code == 200
    assert acme.api(acme.user("qa")).get("/api/v1/agents").status_code == 403


# --- routing configuration -----------------------------------------------------------------------------------


def test_admin_creates_a_queue_with_required_skills(acme):
    with tenant_context(acme.tenant):
        general = Skill.objects.get(code="general")
    payload = {
        "code": "vip",
        "name": "VIP line",
        "strategy": "most_skilled",
        "priority": 9,
        "sl_threshold_seconds": 10,
        "skills": [{"skill": general.pk, "min_level": 5}],
    }
    response = acme.api(acme.admin()).post("/api/v1/queues", payload, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["strategy"] == "most_skilled"
    assert body["skills"] == [{"skill": general.pk, "min_level": 5}]
    with tenant_context(acme.tenant):
        queue = Queue.objects.get(code="vip")
        assert queue.priority == 9
        assert list(queue.queue_skills.values_list("min_level", flat=True)) == [5]


def test_queue_with_a_duplicate_code_is_refused(acme):
    response = acme.api(acme.admin()).post("/api/v1/queues", {"code": "general", "name": "Again"}, format="json")
    body = _error(response, 400, "invalid")
    assert "code" in body["fields"]


@pytest.mark.parametrize(
    ("field", "value"),
    [("strategy", "random"), ("ring_timeout_seconds", 1), ("sl_target_percent", 101), ("overflow_number", "abc")],
)
def test_queue_settings_are_validated(acme, field, value):
    response = acme.api(acme.admin()).post(
        "/api/v1/queues", {"code": "q-bad", "name": "Bad", field: value}, format="json"
    )
    body = _error(response, 400, "invalid")
    assert field in body["fields"]
    with tenant_context(acme.tenant):
        assert not Queue.objects.filter(code="q-bad").exists()


def test_queue_cannot_overflow_into_itself(acme):
    with tenant_context(acme.tenant):
        queue = Queue.objects.get(code="general")
    response = acme.api(acme.admin()).patch(f"/api/v1/queues/{queue.pk}", {"overflow_queue": queue.pk}, format="json")
    _error(response, 400, "invalid")


def test_admin_updates_a_queues_skills(acme):
    with tenant_context(acme.tenant):
        queue = Queue.objects.get(code="general")
        extra = Skill.objects.create(code="billing", name="Billing")
    response = acme.api(acme.admin()).patch(
        f"/api/v1/queues/{queue.pk}",
        {"wrapup_seconds": 0, "skills": [{"skill": extra.pk, "min_level": 2}]},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["wrapup_seconds"] == 0
    assert response.json()["skills"] == [{"skill": extra.pk, "min_level": 2}]


def test_queue_a_number_routes_to_cannot_be_deleted(acme):
    with tenant_context(acme.tenant):
        queue = Queue.objects.get(code="general")
        PhoneNumber.objects.create(number="4008009999", trunk=Trunk.objects.first(), queue=queue)
    _error(acme.api(acme.admin()).delete(f"/api/v1/queues/{queue.pk}"), 400, "in_use")


def test_agents_read_queues_but_cannot_write(acme):
    api = acme.api(acme.user("agent"))
    assert api.get("/api/v1/queues").status_code == 200
    assert api.post("/api/v1/queues", {"code": "x-agent", "name": "X"}, format="json").status_code == 403
    assert api.post("/api/v1/skills", {"code": "x-agent", "name": "X"}, format="json").status_code == 403


def test_supervisors_manage_queues_and_skills(acme):
    api = acme.api(acme.user("supervisor"))
    skill = api.post("/api/v1/skills", {"code": "english", "name": "English"}, format="json")
    assert skill.status_code == 201
    queue = api.post(
        "/api/v1/queues",
        {"code": "english", "name": "English", "queue_skills": [{"skill": skill.json()["id"], "min_level": 1}]},
        format="json",
    )
    assert queue.status_code == 201, queue.content
    assert api.patch(f"/api/v1/queues/{queue.json()['id']}", {"name": "English line"}, format="json").status_code == 200
    assert api.delete(f"/api/v1/queues/{queue.json()['id']}").status_code == 204
    # Pause reasons and dispositions shape the reports: the administrator's alone.
    assert api.post("/api/v1/pause-reasons", {"code": "x", "name": "X"}, format="json").status_code == 403


def test_skill_crud_by_admin(acme):
    api = acme.api(acme.admin())
    created = api.post("/api/v1/skills", {"code": "english", "name": "English"}, format="json")
    assert created.status_code == 201
    skill_id = created.json()["id"]
    assert api.patch(f"/api/v1/skills/{skill_id}", {"name": "English (UK)"}, format="json").json()["name"] == (
        "English (UK)"
    )
    assert api.delete(f"/api/v1/skills/{skill_id}").status_code == 204
    with tenant_context(acme.tenant):
        assert not Skill.objects.filter(pk=skill_id).exists()


def test_skill_code_must_be_a_lowercase_slug(acme):
    body = _error(acme.api(acme.admin()).post("/api/v1/skills", {"code": "Eng lish", "name": "E"}), 400, "invalid")
    assert "code" in body["fields"]


def test_skill_a_queue_requires_cannot_be_deleted(acme):
    with tenant_context(acme.tenant):
        general = Skill.objects.get(code="general")
    _error(acme.api(acme.admin()).delete(f"/api/v1/skills/{general.pk}"), 400, "in_use")


def test_pause_reasons_are_readable_by_agents(acme):
    response = acme.api(acme.user("agent")).get("/api/v1/pause-reasons?page_size=100")
    assert response.status_code == 200
    assert "break" in [row["code"] for row in response.json()["results"]]


def test_admin_adds_a_pause_reason_agents_can_then_use(acme):
    created = acme.api(acme.admin()).post("/api/v1/pause-reasons", {"code": "coaching", "name": "Coaching"})
    assert created.status_code == 201
    subject = make_agent(acme, state="ready")
    response = acme.api(subject.user).post(ME_STATE, {"state": "not_ready", "reason": "coaching"}, format="json")
    assert response.json()["reason"] == "coaching"


def test_system_pause_reasons_cannot_be_deleted_or_turned_off(acme):
    with tenant_context(acme.tenant):
        missed = PauseReason.objects.get(code="missed")
    api = acme.api(acme.admin())
    _error(api.delete(f"/api/v1/pause-reasons/{missed.pk}"), 400, "system_reason")
    _error(api.patch(f"/api/v1/pause-reasons/{missed.pk}", {"is_active": False}, format="json"), 400, "invalid")


def test_used_pause_reason_cannot_be_deleted(acme):
    make_agent(acme, state="not_ready", reason="lunch")
    with tenant_context(acme.tenant):
        lunch = PauseReason.objects.get(code="lunch")
    _error(acme.api(acme.admin()).delete(f"/api/v1/pause-reasons/{lunch.pk}"), 400, "in_use")


def test_agent_cannot_create_pause_reasons(acme):
    response = acme.api(acme.user("agent")).post("/api/v1/pause-reasons", {"code": "nap", "name": "Nap"})
    assert response.status_code == 403


def test_disposition_crud_by_admin(acme):
    api = acme.api(acme.admin())
    created = api.post("/api/v1/dispositions", {"code": "sale", "name": "Sale", "is_resolved": True}, format="json")
    assert created.status_code == 201
    assert created.json()["is_resolved"] is True
    pk = created.json()["id"]
    assert api.patch(f"/api/v1/dispositions/{pk}", {"is_active": False}, format="json").json()["is_active"] is False
    assert api.delete(f"/api/v1/dispositions/{pk}").status_code == 204


def test_routing_endpoints_refuse_outsiders(acme, globex):
    api = acme.api()
    api.credentials(HTTP_AUTHORIZATION=f"Token {globex.token(globex.admin())}")
    for path in ("/api/v1/skills", "/api/v1/queues", "/api/v1/pause-reasons", "/api/v1/dispositions"):
        assert api.get(path).status_code == 401


# --- call actions -------------------------------------------------------------------------------------------------


def test_answer_sends_the_engine_command_on_commit(acme, published, django_capture_on_commit_callbacks):
    subject = make_agent(acme)
    call = give_call(acme, subject.agent, state="reserved", call_status="offered")
    with django_capture_on_commit_callbacks(execute=True):
        response = acme.api(subject.user).post(f"/api/v1/calls/{call.uid}/answer")
    assert response.status_code == 202
    (command,) = published.on("engine")
    assert command["type"] == "call.answer"
    assert command["agent_id"] == subject.agent.pk
    assert command["call_uid"] == call.uid


@pytest.mark.parametrize(
    ("action", "state", "status"),
    [
        ("reject", "reserved", "offered"),
        ("hangup", "talking", "talking"),
        ("hangup", "hold", "hold"),
        ("hold", "talking", "talking"),
        ("resume", "hold", "hold"),
    ],
)
def test_call_actions_in_their_state_are_accepted(
    acme, published, django_capture_on_commit_callbacks, action, state, status
):
    subject = make_agent(acme)
    call = give_call(acme, subject.agent, state=state, call_status=status)
    with django_capture_on_commit_callbacks(execute=True):
        response = acme.api(subject.user).post(f"/api/v1/calls/{call.uid}/{action}")
    assert response.status_code == 202
    assert [m["type"] for m in published.on("engine")] == [f"call.{action}"]


@pytest.mark.parametrize(("action", "state"), [("answer", "talking"), ("hold", "hold"), ("resume", "talking")])
def test_call_actions_in_the_wrong_state_are_refused(
    acme, published, django_capture_on_commit_callbacks, action, state
):
    subject = make_agent(acme)
    call = give_call(acme, subject.agent, state=state, call_status=state)
    with django_capture_on_commit_callbacks(execute=True):
        response = acme.api(subject.user).post(f"/api/v1/calls/{call.uid}/{action}")
    _error(response, 400, "invalid_state")
    assert published.on("engine") == []


def test_agent_cannot_act_on_another_agents_call(acme):
    owner = make_agent(acme)
    call = give_call(acme, owner.agent, state="talking", call_status="talking")
    intruder = make_agent(acme)
    give_call(acme, intruder.agent, state="talking", call_status="talking")
    _error(acme.api(intruder.user).post(f"/api/v1/calls/{call.uid}/hangup"), 400, "not_your_call")


def test_action_on_an_unknown_call_is_not_found(acme):
    subject = make_agent(acme, state="ready")
    _error(acme.api(subject.user).post("/api/v1/calls/no-such-call/answer"), 404, "not_found")


def test_transfer_to_a_queue(acme, published, django_capture_on_commit_callbacks):
    subject = make_agent(acme)
    call = give_call(acme, subject.agent, state="talking", call_status="talking")
    with tenant_context(acme.tenant):
        queue = Queue.objects.get(code="general")
    with django_capture_on_commit_callbacks(execute=True):
        response = acme.api(subject.user).post(
            f"/api/v1/calls/{call.uid}/transfer", {"queue_id": queue.pk}, format="json"
        )
    assert response.status_code == 202
    (command,) = published.on("engine")
    assert command == {
        **command,
        "type": "call.transfer",
        "call_uid": call.uid,
        "queue_id": queue.pk,
        "target_agent_id": None,
    }


def test_transfer_to_a_logged_in_agent(acme):
    subject = make_agent(acme)
    call = give_call(acme, subject.agent, state="talking", call_status="talking")
    colleague = make_agent(acme, state="ready")
    response = acme.api(subject.user).post(
        f"/api/v1/calls/{call.uid}/transfer", {"target_agent_id": colleague.agent.pk}, format="json"
    )
    assert response.status_code == 202
    assert response.json()["target_agent_id"] == colleague.agent.pk


def test_transfer_needs_exactly_one_target(acme):
    subject = make_agent(acme)
    call = give_call(acme, subject.agent, state="talking", call_status="talking")
    _error(acme.api(subject.user).post(f"/api/v1/calls/{call.uid}/transfer", {}, format="json"), 400, "invalid")


def test_transfer_to_an_offline_agent_is_refused(acme):
    subject = make_agent(acme)
    call = give_call(acme, subject.agent, state="talking", call_status="talking")
    absent = make_agent(acme, seat=False)
    response = acme.api(subject.user).post(
        f"/api/v1/calls/{call.uid}/transfer", {"target_agent_id": absent.agent.pk}, format="json"
    )
    _error(response, 400, "agent_unavailable")


def test_wrapup_stores_disposition_and_notes_and_tells_the_engine(acme, published, django_capture_on_commit_callbacks):
    subject = make_agent(acme)
    call = give_call(acme, subject.agent, state="wrap_up", call_status="wrap_up")
    with django_capture_on_commit_callbacks(execute=True):
        response = acme.api(subject.user).post(
            f"/api/v1/calls/{call.uid}/wrapup", {"disposition": "resolved", "notes": "Reset password"}, format="json"
        )
    assert response.status_code == 202
    with tenant_context(acme.tenant):
        stored = Call.objects.select_related("disposition").get(pk=call.pk)
    assert stored.disposition.code == "resolved"
    assert stored.notes == "Reset password"
    (command,) = published.on("engine")
    assert (command["type"], command["disposition"], command["notes"]) == ("call.wrapup", "resolved", "Reset password")


def test_wrapup_with_an_unknown_disposition_stores_nothing(acme, published, django_capture_on_commit_callbacks):
    subject = make_agent(acme)
    call = give_call(acme, subject.agent, state="wrap_up", call_status="wrap_up")
    with django_capture_on_commit_callbacks(execute=True):
        response = acme.api(subject.user).post(
            f"/api/v1/calls/{call.uid}/wrapup", {"disposition": "maybe", "notes": "x"}, format="json"
        )
    body = _error(response, 400, "invalid")
    assert "disposition" in body["fields"]
    with tenant_context(acme.tenant):
        assert Call.objects.get(pk=call.pk).notes == ""
    assert published.messages == []


def test_wrapup_outside_wrap_up_is_refused(acme):
    subject = make_agent(acme)
    call = give_call(acme, subject.agent, state="talking", call_status="talking")
    _error(acme.api(subject.user).post(f"/api/v1/calls/{call.uid}/wrapup", {}, format="json"), 400, "invalid_state")


def test_click_to_dial_sends_the_number(acme, published, django_capture_on_commit_callbacks):
    subject = make_agent(acme, state="not_ready", reason="break")
    with django_capture_on_commit_callbacks(execute=True):
        response = acme.api(subject.user).post("/api/v1/agents/me/dial", {"number": "138 0013 8000"}, format="json")
    assert response.status_code == 202
    (command,) = published.on("engine")
    assert command == {
        **command,
        "type": "call.dial",
        "agent_id": subject.agent.pk,
        "number": "13800138000",
        "customer_id": None,
    }


def test_click_to_dial_a_customer_uses_their_number(acme):
    from apps.crm.models import Customer

    subject = make_agent(acme, state="ready")
    with tenant_context(acme.tenant):
        customer = Customer.objects.create(name="Li Lei", phones=["13900001111"])
    response = acme.api(subject.user).post("/api/v1/agents/me/dial", {"customer_id": customer.pk}, format="json")
    assert response.status_code == 202
    assert response.json()["number"] == "13900001111"
    assert response.json()["customer_id"] == customer.pk


def test_click_to_dial_refuses_a_bad_number_and_calls_in_progress(acme):
    subject = make_agent(acme, state="ready")
    body = _error(acme.api(subject.user).post("/api/v1/agents/me/dial", {"number": "12ab"}), 400, "invalid")
    assert "number" in body["fields"]
    busy = make_agent(acme)
    give_call(acme, busy.agent, state="talking", call_status="talking")
    _error(acme.api(busy.user).post("/api/v1/agents/me/dial", {"number": "13800138000"}), 400, "invalid_state")


def test_supervisor_monitors_a_live_call(acme, published, django_capture_on_commit_callbacks):
    subject = make_agent(acme)
    call = give_call(acme, subject.agent, state="talking", call_status="talking")
    supervisor = acme.user("supervisor")
    with django_capture_on_commit_callbacks(execute=True):
        response = acme.api(supervisor).post(f"/api/v1/calls/{call.uid}/monitor", {"mode": "whisper"}, format="json")
    assert response.status_code == 202
    (command,) = published.on("engine")
    assert command == {
        **command,
        "type": "call.monitor",
        "supervisor_user_id": supervisor.pk,
        "call_uid": call.uid,
        "mode": "whisper",
    }


def test_monitor_needs_a_known_mode_and_a_live_call(acme):
    supervisor = acme.api(acme.user("supervisor"))
    live = make_call(acme, status="talking")
    queued = make_call(acme, status="queued")
    _error(supervisor.post(f"/api/v1/calls/{live.uid}/monitor", {"mode": "spy"}, format="json"), 400, "invalid")
    _error(
        supervisor.post(f"/api/v1/calls/{queued.uid}/monitor", {"mode": "listen"}, format="json"), 400, "invalid_state"
    )


def test_agents_cannot_monitor_or_release(acme):
    subject = make_agent(acme)
    call = give_call(acme, subject.agent, state="talking", call_status="talking")
    api = acme.api(make_agent(acme, state="ready").user)
    assert api.post(f"/api/v1/calls/{call.uid}/monitor", {"mode": "listen"}, format="json").status_code == 403
    assert api.post(f"/api/v1/calls/{call.uid}/release").status_code == 403


def test_supervisor_force_releases_a_call_but_not_an_ended_one(acme, published, django_capture_on_commit_callbacks):
    live = make_call(acme, status="queued")
    ended = make_call(acme, status="ended")
    api = acme.api(acme.user("supervisor"))
    with django_capture_on_commit_callbacks(execute=True):
        assert api.post(f"/api/v1/calls/{live.uid}/release").status_code == 202
        _error(api.post(f"/api/v1/calls/{ended.uid}/release"), 400, "invalid_state")
    assert [m["call_uid"] for m in published.on("engine")] == [live.uid]


def test_call_actions_refuse_outsiders(acme, globex):
    subject = make_agent(acme)
    call = give_call(acme, subject.agent, state="reserved", call_status="offered")
    api = acme.api()
    api.credentials(HTTP_AUTHORIZATION=f"Token {globex.token(globex.admin())}")
    assert api.post(f"/api/v1/calls/{call.uid}/answer").status_code == 401
    assert api.post(f"/api/v1/calls/{call.uid}/release").status_code == 401


# --- web pages: desk, wallboard, routing console ---------------------------------------------------------------


def _browser(world, *roles):
    from tests.accounts.helpers import web_login

    user = world.user(*roles)
    return user, web_login(world, user.email)


def test_agent_desk_renders_seats_reasons_and_translatable_labels(acme):
    _user, browser = _browser(acme, "agent")
    response = browser.get("/desk/")
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="desk-labels"' in page
    assert 'id="desk-config"' in page
    assert 'value="1001"' in page
    assert 'value="break"' in page
    assert 'value="missed"' not in page
    assert "js/desktop.js" in page


@pytest.mark.parametrize("enabled", [True, False])
def test_desk_has_the_softphone_only_where_a_sip_plane_runs(acme, settings, enabled):
    settings.SOFTPHONE_ENABLED = enabled
    _user, browser = _browser(acme, "agent")
    page = browser.get("/desk/").content.decode()
    assert ('id="softphone"' in page) is enabled
    assert ("js/softphone.js" in page) is enabled
    assert ("simulated switch" in page) is not enabled


def test_desk_marks_seats_in_use(acme):
    holder = make_agent(acme, state="ready")
    _user, browser = _browser(acme, "agent")
    page = browser.get("/desk/").content.decode()
    assert f'<option value="{holder.seat.extension}" disabled>' in page


def test_wallboard_page_is_for_supervisors_and_admins(acme):
    _sup, supervisor = _browser(acme, "supervisor")
    response = supervisor.get("/wallboard/")
    assert response.status_code == 200
    assert 'id="wb-labels"' in response.content.decode()
    _agent, agent = _browser(acme, "agent")
    assert agent.get("/wallboard/").status_code == 403
    assert supervisor.get("/desk/").status_code == 403


def test_live_pages_need_a_login(acme):
    for path in ("/desk/", "/wallboard/", "/console/queues/"):
        response = acme.client().get(path)
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]


def test_navigation_shows_each_role_its_pages(acme):
    _agent, agent = _browser(acme, "agent")
    agent_page = agent.get("/", follow=True).content.decode()
    assert 'href="/desk/"' in agent_page
    assert 'href="/wallboard/"' not in agent_page
    _admin, admin = _browser(acme, "tenant_admin")
    admin_page = admin.get("/").content.decode()
    assert 'href="/wallboard/"' in admin_page
    assert 'href="/console/queues/"' in admin_page


@pytest.mark.parametrize(
    ("path", "supervisor_status"),
    [
        ("/console/queues/", 200),
        ("/console/skills/", 200),
        ("/console/agents/", 200),
        ("/console/pause-reasons/", 403),
        ("/console/dispositions/", 403),
    ],
)
def test_routing_console_pages_admins_and_supervisors(acme, path, supervisor_status):
    # Supervisors manage queues and agent skills (docs/user-guide.md "Roles").
    _admin, admin = _browser(acme, "tenant_admin")
    assert admin.get(path).status_code == 200
    _sup, supervisor = _browser(acme, "supervisor")
    assert supervisor.get(path).status_code == supervisor_status
    _agent, agent = _browser(acme, "agent")
    assert agent.get(path).status_code == 403


def test_supervisor_tabs_show_only_what_they_can_open(acme):
    _sup, supervisor = _browser(acme, "supervisor")
    page = supervisor.get("/console/queues/").content.decode()
    assert 'href="/console/skills/"' in page
    assert 'href="/console/pause-reasons/"' not in page
    assert 'href="/console/dispositions/"' not in page


def test_supervisor_gives_an_agent_skills_in_the_console(acme):
    subject = make_agent(acme)
    _sup, supervisor = _browser(acme, "supervisor")
    with tenant_context(acme.tenant):
        general = Skill.objects.get(code="general")
    response = supervisor.post(f"/console/agents/{subject.agent.pk}/", {f"skill_{general.pk}": "7"})
    assert response.status_code == 302, response.content[:2000]
    with tenant_context(acme.tenant):
        assert AgentSkill.objects.get(agent=subject.agent, skill=general).level == 7
    assert supervisor.get(f"/console/agents/{subject.agent.pk}/seats/").status_code == 403
    # ... and the agents page offers them no Seats link that would answer 403.
    assert (
        f'href="/console/agents/{subject.agent.pk}/seats/"' not in supervisor.get("/console/agents/").content.decode()
    )


def test_admin_adds_a_skill_in_the_console(acme):
    _admin, admin = _browser(acme, "tenant_admin")
    response = admin.post("/console/skills/", {"code": "french", "name": "French"})
    assert response.status_code == 302
    with tenant_context(acme.tenant):
        assert Skill.objects.filter(code="french", name="French").exists()


def test_console_shows_service_errors_on_the_form(acme):
    _admin, admin = _browser(acme, "tenant_admin")
    response = admin.post("/console/skills/", {"code": "general", "name": "Dup"})
    assert response.status_code == 400  # refused input: the form again, with its messages, as a 400
    assert "This code is already used." in response.content.decode()


def test_admin_creates_a_queue_with_a_skill_level_in_the_console(acme):
    _admin, admin = _browser(acme, "tenant_admin")
    with tenant_context(acme.tenant):
        general = Skill.objects.get(code="general")
        defaults = Queue()
    form = {
        name: getattr(defaults, name)
        for name in (
            "strategy",
            "priority",
            "sl_threshold_seconds",
            "sl_target_percent",
            "max_wait_seconds",
            "ring_timeout_seconds",
            "wrapup_seconds",
            "short_abandon_seconds",
            "announce_interval_seconds",
            "callback_offer_after_seconds",
            "expand_after_seconds",
            "expand_step",
            "sticky_days",
            "sticky_wait_seconds",
        )
    }
    form.update({"code": "sales", "name": "Sales", f"skill_{general.pk}": "4"})
    response = admin.post("/console/queues/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    with tenant_context(acme.tenant):
        link = QueueSkill.objects.get(queue__code="sales")
    assert (link.skill_id, link.min_level) == (general.pk, 4)


def test_admin_sets_agent_skills_in_the_console(acme):
    subject = make_agent(acme)
    with tenant_context(acme.tenant):
        general = Skill.objects.get(code="general")
    _admin, admin = _browser(acme, "tenant_admin")
    response = admin.post(f"/console/agents/{subject.agent.pk}/", {f"skill_{general.pk}": "6"})
    assert response.status_code == 302
    with tenant_context(acme.tenant):
        assert AgentSkill.objects.get(agent=subject.agent).level == 6


def test_console_refuses_to_delete_a_system_reason(acme):
    with tenant_context(acme.tenant):
        missed = PauseReason.objects.get(code="missed")
    _admin, admin = _browser(acme, "tenant_admin")
    response = admin.post(f"/console/pause-reasons/{missed.pk}/delete/", follow=True)
    assert "System reasons cannot be deleted." in response.content.decode()
    with tenant_context(acme.tenant):
        assert PauseReason.objects.filter(pk=missed.pk).exists()
