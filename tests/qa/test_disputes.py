"""The agent's answer to an evaluation and the lead's arbitration (issue 14 item 5): acknowledge,
dispute within the window, accept with a re-score (the earlier answers kept as a revision) or
reject; who may do what; 400s that change nothing; the audit log; the notifications over the
websocket and by e-mail; the agent's pages and the leads' queue.

The default scorecard of tests/qa/factories.py: q0 greeted (yes/no), q1 named (yes/no, N/A),
q2 verified (yes/no, 2 pt, critical to its section), q3 resolved (scale 0..5, weight 2), q4 wrap-up
(points 0..10, N/A), q5 compliance (yes/no, critical to the form).
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator
from django.core import mail
from django.utils import timezone
from django_tenants.utils import tenant_context

from apps.audit.models import AuditEntry
from apps.notifications.models import Notification
from apps.qa.models import Dispute, Evaluation, EvaluationRevision, QaSettings
from apps.qa.services.disputes import dispute_raise
from config.asgi import application
from tests.accounts.helpers import web_login
from tests.pending_po import pending_translations
from tests.qa.factories import answers_for, make_agent_call, make_evaluation, make_scorecard, make_team, question_ids

EVALUATIONS = "/api/v1/qa/evaluations"
DISPUTES = "/api/v1/qa/disputes"
RECEIVE_TIMEOUT = 5
# Resolved 3 of 5: Resolution = (3·2 + 10 + 1) ÷ (5·2 + 10 + 1) = 17/21; overall (100 + 3·80.95) ÷ 4.
ANSWERS = [True, True, True, 3, 10, True]
SCORE = Decimal("85.7143")


@pytest.fixture(autouse=True)
def _keep_the_test_connection(monkeypatch):
    """channels would close the connection that holds the test's transaction."""
    monkeypatch.setattr("channels.db.close_old_connections", lambda: None)


@pytest.fixture
def world(acme):
    """Analyst ``qa`` scored ``ann``'s call; ``lead`` and ``lead2`` are QA leads (``lead2`` also
    scored ``bob``'s call); ``supervisor`` runs ann's team; ``bob`` is in no team."""
    with tenant_context(acme.tenant):
        people = {role: acme.user(role) for role in ("qa", "supervisor", "tenant_admin")}
        people["lead"] = acme.user("qa_lead")
        people["lead2"] = acme.user("qa_lead")
        people["ann"] = acme.user("agent")
        people["bob"] = acme.user("agent")
        make_team(supervisors=[people["supervisor"]], members=[people["ann"]])
        scorecard = make_scorecard(actor=people["lead"])
        q = question_ids(scorecard)
        ann_eval = make_evaluation(make_agent_call(people["ann"]), scorecard, people["qa"], ANSWERS)
        bob_eval = make_evaluation(make_agent_call(people["bob"]), scorecard, people["lead2"], ANSWERS)
    return {"w": acme, "scorecard": scorecard, "q": q, "ann_eval": ann_eval, "bob_eval": bob_eval, **people}


def _api(world, who):
    return world["w"].api(world[who])


def _reload(world, model, pk):
    with tenant_context(world["w"].tenant):
        return model.objects.get(pk=pk)


def _dispute_body(world, *questions, reason="The customer's issue was solved"):
    return {
        "reason": reason,
        "items": [{"question": world["q"][i], "reason": f"Question {i} was answered right"} for i in questions],
    }


def _raise(world, *questions):
    response = _api(world, "ann").post(
        f"{EVALUATIONS}/{world['ann_eval'].pk}/dispute", _dispute_body(world, *questions), format="json"
    )
    assert response.status_code == 201, response.content
    return response.json()


def _audit(world, action):
    with tenant_context(world["w"].tenant):
        return list(AuditEntry.objects.filter(action=action).order_by("id"))


def _notified(world, who, kind):
    with tenant_context(world["w"].tenant):
        return list(Notification.objects.filter(user=world[who], kind=kind))


# --- the dispute flow, end to end -------------------------------------------------------------


def test_raise_then_accept_rescores_keeps_the_revision_and_makes_the_evaluation_final(world):
    assert _reload(world, Evaluation, world["ann_eval"].pk).score == SCORE
    raised = _raise(world, 3)
    assert raised["status"] == "open" and [i["question"] for i in raised["items"]] == [world["q"][3]]
    assert _reload(world, Evaluation, world["ann_eval"].pk).status == "disputed"
    # The leads hear of it — not the analyst who scored it.
    assert len(_notified(world, "lead", "qa.dispute_raised")) == 1
    assert len(_notified(world, "lead2", "qa.dispute_raised")) == 1
    assert _notified(world, "qa", "qa.dispute_raised") == []

    body = {"answers": [{"question": world["q"][3], "value": 5}], "note": "Listened again: fully resolved."}
    response = _api(world, "lead").post(f"{DISPUTES}/{raised['id']}/accept", body, format="json")

    assert response.status_code == 200, response.content
    data = response.json()
    assert data["status"] == "accepted" and data["decided_by"]["id"] == world["lead"].pk
    assert data["evaluation"]["status"] == "final" and data["evaluation"]["score"] == 100.0
    evaluation = _reload(world, Evaluation, world["ann_eval"].pk)
    assert (evaluation.status, evaluation.score) == ("final", Decimal("100.0000"))
    with tenant_context(world["w"].tenant):
        revision = EvaluationRevision.objects.get(evaluation=evaluation)
    assert revision.changed_by_id == world["lead"].pk
    assert revision.before["score"] == str(SCORE) and revision.after["score"] == "100.0000"
    assert revision.before["answers"][str(world["q"][3])] == "3.00"
    assert revision.after["answers"][str(world["q"][3])] == "5.00"
    assert f"#{raised['id']}" in revision.reason
    # The other answers are untouched.
    assert revision.before["answers"][str(world["q"][0])] == revision.after["answers"][str(world["q"][0])]
    [raise_entry] = _audit(world, "dispute.raised")
    assert raise_entry.actor_id == world["ann"].pk and raise_entry.after["dispute"] == raised["id"]
    [accept_entry] = _audit(world, "dispute.accepted")
    assert accept_entry.actor_id == world["lead"].pk
    assert (accept_entry.before["score"], accept_entry.after["score"]) == (str(SCORE), "100.0000")
    [told] = _notified(world, "ann", "qa.dispute_decided")
    assert "100.00" in told.title and told.url == f"/qa/mine/{evaluation.pk}/"


def test_raise_then_reject_keeps_the_score_and_makes_the_evaluation_final(world):
    raised = _raise(world, 3, 4)
    missing_note = _api(world, "lead").post(f"{DISPUTES}/{raised['id']}/reject", {"note": "  "}, format="json")
    assert missing_note.status_code == 400 and "note" in missing_note.json()["fields"]
    assert _reload(world, Dispute, raised["id"]).status == "open"

    response = _api(world, "tenant_admin").post(
        f"{DISPUTES}/{raised['id']}/reject", {"note": "The script asks for a confirmation."}, format="json"
    )

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "rejected"
    evaluation = _reload(world, Evaluation, world["ann_eval"].pk)
    assert (evaluation.status, evaluation.score) == ("final", SCORE)
    with tenant_context(world["w"].tenant):
        assert not EvaluationRevision.objects.filter(evaluation=evaluation).exists()
    [entry] = _audit(world, "dispute.rejected")
    assert entry.after["note"] == "The script asks for a confirmation."
    [told] = _notified(world, "ann", "qa.dispute_decided")
    assert "rejected" in told.title
    # Decided once: neither a second decision nor a second dispute.
    again = _api(world, "lead").post(f"{DISPUTES}/{raised['id']}/accept", {"answers": []}, format="json")
    assert again.status_code == 400 and again.json()["code"] == "invalid_state"
    second = _api(world, "ann").post(
        f"{EVALUATIONS}/{world['ann_eval'].pk}/dispute", _dispute_body(world, 0), format="json"
    )
    assert second.status_code == 400 and second.json()["code"] == "invalid_state"


def test_acknowledge_accepts_the_evaluation_and_then_it_cannot_be_disputed(world):
    path = f"{EVALUATIONS}/{world['ann_eval'].pk}/acknowledge"
    response = _api(world, "ann").post(path)
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "acknowledged" and response.json()["acknowledged_at"]
    first = _reload(world, Evaluation, world["ann_eval"].pk).acknowledged_at
    assert _api(world, "ann").post(path).status_code == 200  # again: unchanged
    assert _reload(world, Evaluation, world["ann_eval"].pk).acknowledged_at == first
    assert len(_audit(world, "evaluation.acknowledged")) == 1
    refused = _api(world, "ann").post(
        f"{EVALUATIONS}/{world['ann_eval'].pk}/dispute", _dispute_body(world, 3), format="json"
    )
    assert refused.status_code == 400 and refused.json()["code"] == "invalid_state"


def test_an_open_dispute_cannot_be_acknowledged_but_a_decided_one_can(world):
    raised = _raise(world, 3)
    path = f"{EVALUATIONS}/{world['ann_eval'].pk}/acknowledge"
    assert _api(world, "ann").post(path).json()["code"] == "invalid_state"
    _api(world, "lead").post(f"{DISPUTES}/{raised['id']}/reject", {"note": "Stands."}, format="json")
    response = _api(world, "ann").post(path)
    assert response.status_code == 200
    assert response.json()["status"] == "final" and response.json()["acknowledged_at"]


# --- the window ---------------------------------------------------------------------------------


def _submitted_days_ago(world, days: float) -> None:
    with tenant_context(world["w"].tenant):
        Evaluation.objects.filter(pk=world["ann_eval"].pk).update(submitted_at=timezone.now() - timedelta(days=days))


def test_a_dispute_after_the_window_is_refused_with_a_clear_message_and_changes_nothing(world):
    with tenant_context(world["w"].tenant):
        settings = QaSettings.load()
        settings.dispute_window_days = 3
        settings.save()
    _submitted_days_ago(world, 3.01)
    response = _api(world, "ann").post(
        f"{EVALUATIONS}/{world['ann_eval'].pk}/dispute", _dispute_body(world, 3), format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "dispute_window_closed"
    assert "3 days" in response.json()["message"]
    assert _reload(world, Evaluation, world["ann_eval"].pk).status == "submitted"
    with tenant_context(world["w"].tenant):
        assert not Dispute.objects.exists()
    # Still within it a little earlier.
    _submitted_days_ago(world, 2.99)
    assert (
        _api(world, "ann")
        .post(f"{EVALUATIONS}/{world['ann_eval'].pk}/dispute", _dispute_body(world, 3), format="json")
        .status_code
        == 201
    )


def test_the_window_ends_exactly_n_days_after_the_submission(world):
    with tenant_context(world["w"].tenant):
        evaluation = Evaluation.objects.get(pk=world["ann_eval"].pk)
        deadline = evaluation.submitted_at + timedelta(days=QaSettings.load().dispute_window_days)
        with pytest.raises(Exception) as late:
            dispute_raise(
                evaluation=evaluation,
                actor=world["ann"],
                reason="r",
                items=[{"question": world["q"][0], "reason": "r"}],
                now=deadline + timedelta(seconds=1),
            )
        assert late.value.code == "dispute_window_closed"
        dispute = dispute_raise(
            evaluation=evaluation,
            actor=world["ann"],
            reason="r",
            items=[{"question": world["q"][0], "reason": "r"}],
            now=deadline,
        )
    assert dispute.status == "open"


# --- bad input: 400 with fields, nothing changes ------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"reason": "", "items": [{"question": "Q3", "reason": "x"}]}, "reason"),
        ({"reason": "x", "items": []}, "items"),
        ({"reason": "x"}, "items"),
        ({"reason": "x", "items": [{"question": 999999, "reason": "x"}]}, "items.0.question"),
        ({"reason": "x", "items": [{"question": "Q3", "reason": ""}]}, "items.0.reason"),
        (
            {"reason": "x", "items": [{"question": "Q3", "reason": "a"}, {"question": "Q3", "reason": "b"}]},
            "items.1.question",
        ),
        ({"reason": "x" * 2001, "items": [{"question": "Q3", "reason": "x"}]}, "reason"),
        ({"reason": "a\x00b", "items": [{"question": "Q3", "reason": "x"}]}, "reason"),
        ({"reason": "x", "items": [{"question": "Q3", "reason": "\x00"}]}, "items.0.reason"),
    ],
)
def test_a_bad_dispute_is_400_with_the_field_and_changes_nothing(world, body, field):
    for item in body.get("items", []):
        if item["question"] == "Q3":
            item["question"] = world["q"][3]
    response = _api(world, "ann").post(f"{EVALUATIONS}/{world['ann_eval'].pk}/dispute", body, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "invalid" and field in response.json()["fields"]
    assert _reload(world, Evaluation, world["ann_eval"].pk).status == "submitted"
    with tenant_context(world["w"].tenant):
        assert not Dispute.objects.exists()


def test_a_question_of_another_scorecard_cannot_be_disputed(world):
    with tenant_context(world["w"].tenant):
        other = question_ids(make_scorecard(actor=world["lead"]))
    body = {"reason": "x", "items": [{"question": other[0], "reason": "x"}]}
    response = _api(world, "ann").post(f"{EVALUATIONS}/{world['ann_eval'].pk}/dispute", body, format="json")
    assert response.status_code == 400 and "items.0.question" in response.json()["fields"]


@pytest.mark.parametrize(
    ("answers", "field"),
    [
        ([], "answers"),
        ("nope", "answers"),
        ([{"question": "Q0", "value": False}], "answers.0.question"),  # not disputed
        ([{"question": "Q3", "value": 6}], "answers.0.value"),  # out of range
        ([{"question": "Q3", "value": 2.5}], "answers.0.value"),  # a scale takes whole numbers
        ([{"question": "Q3", "na": True}], "answers.0.na"),  # N/A not allowed there
        ([{"question": "Q3", "value": 3}], "answers"),  # the answer it already has
    ],
)
def test_a_bad_acceptance_is_400_with_the_field_and_changes_nothing(world, answers, field):
    raised = _raise(world, 3)
    if isinstance(answers, list):
        for item in answers:
            item["question"] = world["q"][int(item["question"][1:])]
    response = _api(world, "lead").post(f"{DISPUTES}/{raised['id']}/accept", {"answers": answers}, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["fields"], response.json()
    assert _reload(world, Dispute, raised["id"]).status == "open"
    evaluation = _reload(world, Evaluation, world["ann_eval"].pk)
    assert (evaluation.status, evaluation.score) == ("disputed", SCORE)
    with tenant_context(world["w"].tenant):
        assert not EvaluationRevision.objects.exists()


# --- who may do what ------------------------------------------------------------------------------


def test_an_agent_reaches_only_their_own_evaluations(world):
    ann, bob = _api(world, "ann"), _api(world, "bob")
    path = world["ann_eval"].pk
    assert bob.post(f"{EVALUATIONS}/{path}/acknowledge").status_code == 404
    assert bob.post(f"{EVALUATIONS}/{path}/dispute", _dispute_body(world, 3), format="json").status_code == 404
    raised = _raise(world, 3)
    assert bob.get(f"{DISPUTES}/{raised['id']}").status_code == 404
    assert ann.get(f"{DISPUTES}/{raised['id']}").status_code == 200
    assert [d["id"] for d in bob.get(DISPUTES).json()["results"]] == []
    assert [d["id"] for d in ann.get(DISPUTES).json()["results"]] == [raised["id"]]
    # An agent never decides, even their own.
    assert ann.post(f"{DISPUTES}/{raised['id']}/reject", {"note": "x"}, format="json").status_code == 403


def test_an_agent_never_answers_a_draft_or_a_calibration_evaluation(world):
    with tenant_context(world["w"].tenant):
        draft = make_evaluation(make_agent_call(world["ann"]), world["scorecard"], world["qa"], ANSWERS, submit=False)
    assert _api(world, "ann").post(f"{EVALUATIONS}/{draft.pk}/acknowledge").status_code == 404
    body = _dispute_body(world, 3)
    assert _api(world, "ann").post(f"{EVALUATIONS}/{draft.pk}/dispute", body, format="json").status_code == 404


def test_only_the_agent_acknowledges_or_disputes(world):
    """Readers of the evaluation who are not its agent: refused by role (403)."""
    for who in ("qa", "lead", "supervisor", "tenant_admin"):
        response = _api(world, who).post(f"{EVALUATIONS}/{world['ann_eval'].pk}/acknowledge")
        assert response.status_code == 403, who
    assert _reload(world, Evaluation, world["ann_eval"].pk).status == "submitted"


def test_a_lead_who_scored_the_evaluation_does_not_decide_its_dispute(world):
    with tenant_context(world["w"].tenant):
        bob_dispute = dispute_raise(
            evaluation=world["bob_eval"],
            actor=world["bob"],
            reason="Unfair",
            items=[{"question": world["q"][3], "reason": "I solved it"}],
        )
    # lead2 scored bob's call: not told, and refused.
    assert _notified(world, "lead2", "qa.dispute_raised") == []
    assert len(_notified(world, "lead", "qa.dispute_raised")) == 1
    refused = _api(world, "lead2").post(f"{DISPUTES}/{bob_dispute.pk}/reject", {"note": "no"}, format="json")
    assert refused.status_code == 403 and refused.json()["code"] == "own_evaluation"
    # Analysts and supervisors read disputes but never decide.
    assert (
        _api(world, "qa").post(f"{DISPUTES}/{bob_dispute.pk}/reject", {"note": "no"}, format="json").status_code == 403
    )
    assert _reload(world, Dispute, bob_dispute.pk).status == "open"
    assert (
        _api(world, "lead").post(f"{DISPUTES}/{bob_dispute.pk}/reject", {"note": "no"}, format="json").status_code
        == 200
    )


def test_supervisors_read_only_their_teams_disputes(world):
    raised = _raise(world, 3)
    with tenant_context(world["w"].tenant):
        bob_dispute = dispute_raise(
            evaluation=world["bob_eval"],
            actor=world["bob"],
            reason="Unfair",
            items=[{"question": world["q"][3], "reason": "x"}],
        )
    supervisor = _api(world, "supervisor")
    assert [d["id"] for d in supervisor.get(DISPUTES).json()["results"]] == [raised["id"]]
    assert supervisor.get(f"{DISPUTES}/{bob_dispute.pk}").status_code == 404
    lead = _api(world, "lead").get(DISPUTES, {"status": "open"}).json()
    assert {d["id"] for d in lead["results"]} == {raised["id"], bob_dispute.pk}
    assert _api(world, "lead").get(DISPUTES, {"status": "maybe"}).status_code == 400


def test_the_queue_lists_open_disputes_first(world):
    raised = _raise(world, 3)
    _api(world, "lead").post(f"{DISPUTES}/{raised['id']}/reject", {"note": "Stands."}, format="json")
    with tenant_context(world["w"].tenant):
        later = dispute_raise(
            evaluation=world["bob_eval"],
            actor=world["bob"],
            reason="x",
            items=[{"question": world["q"][0], "reason": "x"}],
        )
    rows = _api(world, "lead").get(DISPUTES).json()["results"]
    assert [(d["id"], d["status"]) for d in rows] == [(later.pk, "open"), (raised["id"], "rejected")]


def test_another_tenant_never_reaches_a_dispute(world, globex):
    raised = _raise(world, 3)
    stranger = world["w"].api()
    stranger.credentials(HTTP_AUTHORIZATION=f"Token {globex.token(globex.admin())}")
    assert stranger.get(f"{DISPUTES}/{raised['id']}").status_code == 401


# --- notifications: websocket and e-mail ----------------------------------------------------------


def _socket(world, who) -> WebsocketCommunicator:
    host = world["w"].host
    headers = [(b"host", host.encode()), (b"origin", f"http://{host}".encode())]
    return WebsocketCommunicator(
        application, f"/ws/notifications/?token={world['w'].token(world[who])}", headers=headers
    )


def test_the_agent_hears_of_a_submitted_evaluation_over_the_socket_and_by_email(
    world, django_capture_on_commit_callbacks
):
    with tenant_context(world["w"].tenant):
        call = make_agent_call(world["ann"])
        answers = answers_for(world["scorecard"], ANSWERS)
    socket = _socket(world, "ann")

    def submit():
        with django_capture_on_commit_callbacks(execute=True):
            response = _api(world, "qa").post(
                EVALUATIONS,
                {"call": call.uid, "scorecard": world["scorecard"].pk, "answers": answers, "submit": True},
                format="json",
            )
        assert response.status_code == 201, response.content
        return response.json()

    async def scenario():
        connected, _ = await socket.connect()
        assert connected
        snapshot = await socket.receive_json_from(timeout=RECEIVE_TIMEOUT)
        created = await sync_to_async(submit)()
        message = await socket.receive_json_from(timeout=RECEIVE_TIMEOUT)
        await socket.disconnect()
        return snapshot, created, message

    snapshot, created, message = async_to_sync(scenario)()
    assert snapshot["unread"] == 1  # the fixture's evaluation of her other call
    assert message["type"] == "notification.new" and message["kind"] == "qa.evaluation_submitted"
    assert message["url"] == f"/qa/mine/{created['id']}/" and "85.71" in message["title"]
    [email] = [m for m in mail.outbox if m.to == [world["ann"].email]]
    assert "85.71" in email.subject and f"/qa/mine/{created['id']}/" in email.body


def test_a_draft_tells_the_agent_nothing(world, django_capture_on_commit_callbacks):
    with tenant_context(world["w"].tenant):
        call = make_agent_call(world["ann"])
        answers = answers_for(world["scorecard"], ANSWERS)
        before = Notification.objects.filter(user=world["ann"]).count()
    with django_capture_on_commit_callbacks(execute=True):
        response = _api(world, "qa").post(
            EVALUATIONS,
            {"call": call.uid, "scorecard": world["scorecard"].pk, "answers": answers},
            format="json",
        )
    assert response.status_code == 201 and response.json()["status"] == "draft"
    with tenant_context(world["w"].tenant):
        assert Notification.objects.filter(user=world["ann"]).count() == before
    assert mail.outbox == []


def test_the_leads_hear_of_a_dispute_over_the_socket_and_by_email(world, django_capture_on_commit_callbacks):
    socket = _socket(world, "lead")

    def dispute():
        with django_capture_on_commit_callbacks(execute=True):
            return _raise(world, 3)

    async def scenario():
        await socket.connect()
        await socket.receive_json_from(timeout=RECEIVE_TIMEOUT)
        raised = await sync_to_async(dispute)()
        message = await socket.receive_json_from(timeout=RECEIVE_TIMEOUT)
        await socket.disconnect()
        return raised, message

    raised, message = async_to_sync(scenario)()
    assert message["kind"] == "qa.dispute_raised" and message["url"] == f"/qa/disputes/{raised['id']}/"
    recipients = sorted(m.to[0] for m in mail.outbox)
    assert recipients == sorted([world["lead"].email, world["lead2"].email])


def test_no_email_when_the_tenant_turned_qa_emails_off(world, django_capture_on_commit_callbacks):
    with tenant_context(world["w"].tenant):
        QaSettings.objects.update_or_create(pk=1, defaults={"notify_by_email": False})
    with django_capture_on_commit_callbacks(execute=True):
        _raise(world, 3)
    assert mail.outbox == []
    assert len(_notified(world, "lead", "qa.dispute_raised")) == 1  # the bell still has it


# --- the pages --------------------------------------------------------------------------------------


def test_my_evaluations_lists_only_the_agents_own_submitted_ones(world):
    with tenant_context(world["w"].tenant):
        make_evaluation(make_agent_call(world["ann"]), world["scorecard"], world["lead"], ANSWERS, submit=False)
    page = web_login(world["w"], world["ann"].email).get("/qa/mine/").content.decode()
    assert f'data-evaluation="{world["ann_eval"].pk}"' in page
    assert page.count("data-evaluation=") == 1  # not the draft, not bob's
    assert web_login(world["w"], world["bob"].email).get(f"/qa/mine/{world['ann_eval'].pk}/").status_code == 404
    assert web_login(world["w"], world["qa"].email).get("/qa/mine/").status_code == 403


def test_the_agent_acknowledges_on_the_page(world):
    client = web_login(world["w"], world["ann"].email)
    page = client.get(f"/qa/mine/{world['ann_eval'].pk}/").content.decode()
    assert 'id="qa-acknowledge"' in page and 'id="qa-dispute-form"' in page
    assert 'id="qa-player"' in page  # the recording, through the signed link
    response = client.post(f"/qa/mine/{world['ann_eval'].pk}/acknowledge/")
    assert response.status_code == 302
    assert _reload(world, Evaluation, world["ann_eval"].pk).status == "acknowledged"
    after = client.get(f"/qa/mine/{world['ann_eval'].pk}/").content.decode()
    assert 'id="qa-acknowledge"' not in after and 'id="qa-dispute-form"' not in after


def test_the_agent_disputes_on_the_page_and_a_missing_reason_is_shown_beside_the_question(world):
    client = web_login(world["w"], world["ann"].email)
    path = f"/qa/mine/{world['ann_eval'].pk}/dispute/"
    q3 = world["q"][3]
    bad = client.post(path, {"reason": "Solved", f"q_{q3}": "1", f"reason_{q3}": ""})
    assert bad.status_code == 400
    assert "This field is required." in bad.content.decode()
    assert _reload(world, Evaluation, world["ann_eval"].pk).status == "submitted"
    good = client.post(path, {"reason": "Solved", f"q_{q3}": "1", f"reason_{q3}": "I solved it"})
    assert good.status_code == 302
    with tenant_context(world["w"].tenant):
        dispute = Dispute.objects.get()
        assert [(i.question_id, i.reason) for i in dispute.items.all()] == [(q3, "I solved it")]


def test_after_the_window_the_page_says_so_and_offers_no_dispute(world):
    _submitted_days_ago(world, 30)
    page = web_login(world["w"], world["ann"].email).get(f"/qa/mine/{world['ann_eval'].pk}/").content.decode()
    assert 'id="qa-window-closed"' in page and 'id="qa-dispute-form"' not in page
    assert 'id="qa-acknowledge"' in page


def test_the_lead_decides_on_the_dispute_page(world):
    raised = _raise(world, 3)
    client = web_login(world["w"], world["lead"].email)
    queue = client.get("/qa/disputes/").content.decode()
    assert f'data-dispute="{raised["id"]}"' in queue
    page = client.get(f"/qa/disputes/{raised['id']}/").content.decode()
    assert 'id="qa-accept-form"' in page and f'name="answer_{world["q"][3]}"' in page
    assert "Question 3 was answered right" in page
    bad = client.post(f"/qa/disputes/{raised['id']}/accept/", {f"answer_{world['q'][3]}": "9"})
    assert bad.status_code == 400 and _reload(world, Dispute, raised["id"]).status == "open"
    response = client.post(f"/qa/disputes/{raised['id']}/accept/", {f"answer_{world['q'][3]}": "5", "note": "ok"})
    assert response.status_code == 302
    assert _reload(world, Evaluation, world["ann_eval"].pk).score == Decimal("100.0000")
    # The evaluator (an analyst) reads the dispute, without the forms.
    analyst = web_login(world["w"], world["qa"].email).get(f"/qa/disputes/{raised['id']}/").content.decode()
    assert 'id="qa-accept-form"' not in analyst


def test_the_lead_who_scored_sees_why_they_cannot_decide(world):
    with tenant_context(world["w"].tenant):
        dispute = dispute_raise(
            evaluation=world["bob_eval"],
            actor=world["bob"],
            reason="x",
            items=[{"question": world["q"][0], "reason": "x"}],
        )
    page = web_login(world["w"], world["lead2"].email).get(f"/qa/disputes/{dispute.pk}/").content.decode()
    assert 'id="qa-cannot-decide"' in page and 'id="qa-accept-form"' not in page
    assert (
        web_login(world["w"], world["lead2"].email)
        .post(f"/qa/disputes/{dispute.pk}/reject/", {"note": "x"})
        .status_code
        == 302
    )
    assert _reload(world, Dispute, dispute.pk).status == "open"


def test_each_person_is_told_in_their_own_language(world, django_capture_on_commit_callbacks):
    """The agent reads Chinese, the lead English: the same dispute, each copy in its reader's language."""
    with tenant_context(world["w"].tenant):
        world["ann"].language = "zh-hans"
        world["ann"].save(update_fields=["language"])
        world["lead"].language = "en"
        world["lead"].save(update_fields=["language"])
    with pending_translations("qa-disputes"):
        with django_capture_on_commit_callbacks(execute=True):
            raised = _raise(world, 3)
        with django_capture_on_commit_callbacks(execute=True):
            _api(world, "lead").post(f"{DISPUTES}/{raised['id']}/reject", {"note": "Stands."}, format="json")
    [lead_copy] = _notified(world, "lead", "qa.dispute_raised")
    assert lead_copy.title.endswith("disputes an evaluation") and "(questions: 1)" in lead_copy.body
    [agent_copy] = _notified(world, "ann", "qa.dispute_decided")
    assert agent_copy.title == "您的申诉被驳回：得分维持 85.71"
    [email] = [m for m in mail.outbox if m.to == [world["ann"].email]]
    assert email.subject == "您的申诉被驳回：得分维持 85.71" and "点此查看" in email.body
