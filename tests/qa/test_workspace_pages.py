"""The QA home and the evaluation workspace as pages (issue 14 item 2): who may open them, what
they show (the call, its timeline, the recording's signed link, the scorecard with guidance and
critical markers, the live score), and that saving through the page stores what the service
would — a draft, then a submission; a refused save answers 400 with the messages next to the
questions and changes nothing."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.utils import timezone
from django_tenants.utils import tenant_context

from apps.accounts.choices import Role
from apps.qa.choices import AssignmentStatus, EvaluationKind, EvaluationStatus
from apps.qa.models import Assignment, CalibrationSession, Evaluation
from apps.telephony.models import RecordingAccess
from tests.accounts.helpers import web_login
from tests.qa.factories import make_agent_call, make_evaluation, make_scorecard, make_team, qa_user, question_ids

PERFECT_FORM = ["yes", "yes", "yes", "5", "10", "yes"]  # the default scorecard's answers, in question order


def form_answers(scorecard, values: list[str | None]) -> dict[str, str]:
    """The workspace's POST fields for ``values`` in question order (``"na"`` for N/A on a button
    question, ``"na-box"`` to tick the N/A box of a number question, None to leave it unanswered)."""
    data: dict[str, str] = {"scorecard": str(scorecard.pk)}
    for qid, value in zip(question_ids(scorecard), values, strict=False):
        if value is None:
            continue
        if value == "na-box":
            data[f"q_{qid}_na"] = "on"
        else:
            data[f"q_{qid}"] = value
    return data


@pytest.fixture
def world(acme):
    """A published scorecard, an agent's recorded call, and an analyst logged in."""
    with tenant_context(acme.tenant):
        scorecard = make_scorecard(name="Inbound service")
        agent = qa_user(Role.AGENT, name="Wendy Agent")
        call = make_agent_call(agent)
        analyst = qa_user(Role.QA, name="Quinn Analyst")
    client = web_login(acme, analyst.email)
    return {"acme": acme, "scorecard": scorecard, "agent": agent, "call": call, "analyst": analyst, "client": client}


def evaluate_url(world, **query) -> str:
    query = query or {"scorecard": world["scorecard"].pk}
    return f"/qa/evaluate/{world['call'].uid}/?" + "&".join(f"{k}={v}" for k, v in query.items())


# --- who may open it ------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.QA, Role.QA_LEAD, Role.TENANT_ADMIN])
def test_evaluators_open_the_workspace(world, role):
    acme = world["acme"]
    user = acme.user(role)
    client = web_login(acme, user.email)

    response = client.get(evaluate_url(world))

    assert response.status_code == 200
    assert b'id="qa-evaluation-form"' in response.content


@pytest.mark.parametrize("roles", [[Role.AGENT], [Role.TRAINER], []])
def test_an_agent_or_another_role_may_not(world, roles):
    acme = world["acme"]
    user = acme.user(*roles)
    client = web_login(acme, user.email)

    assert client.get(evaluate_url(world)).status_code == 403
    assert client.get("/qa/").status_code == 403
    response = client.post("/qa/evaluations/preview/", {"scorecard": world["scorecard"].pk})
    assert response.status_code == 403


def test_the_agent_who_took_the_call_may_not_score_it_even_as_an_analyst(world):
    acme = world["acme"]
    with tenant_context(acme.tenant):
        world["agent"].roles = [Role.AGENT, Role.QA]
        world["agent"].save(update_fields=["roles"])
    client = web_login(acme, world["agent"].email)

    assert client.get(evaluate_url(world)).status_code == 403


def test_a_supervisor_scores_their_teams_calls_only(world):
    acme = world["acme"]
    supervisor = acme.user(Role.SUPERVISOR)
    client = web_login(acme, supervisor.email)
    assert client.get(evaluate_url(world)).status_code == 403

    with tenant_context(acme.tenant):
        make_team(supervisors=[supervisor], members=[world["agent"]])
    assert client.get(evaluate_url(world)).status_code == 200


def test_anonymous_visitors_are_sent_to_log_in(world):
    response = world["acme"].client().get(evaluate_url(world))

    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_another_tenants_call_and_evaluation_are_not_found(world, globex):
    with tenant_context(world["acme"].tenant):
        evaluation = make_evaluation(world["call"], world["scorecard"], world["analyst"])
    outsider = globex.user(Role.QA_LEAD)
    client = web_login(globex, outsider.email)

    assert client.get(f"/qa/evaluate/{world['call'].uid}/").status_code == 404
    assert client.get(f"/qa/evaluations/{evaluation.pk}/edit/").status_code == 404


# --- what it shows --------------------------------------------------------------------------------


def test_the_workspace_shows_the_call_the_recording_and_the_scorecard(world):
    response = world["client"].get(evaluate_url(world))
    page = response.content.decode()

    assert "Greeted the caller by the script" in page
    assert "Two of: date of birth, last 4 digits of ID, address." in page  # guidance
    assert "Critical to the section" in page and "Critical to the form" in page
    assert 'value="na"' in page  # N/A offered where the question allows it
    assert "Wendy Agent" in page
    assert 'class="timeline"' in page and 'data-kind="answered"' in page
    # The recording through a signed link (issued to this user; opening it is what is logged).
    src = re.search(r'data-src="([^"]+)"', page).group(1)
    assert src.startswith(f"/calls/recordings/{world['call'].recording.pk}/") or "token=" in src
    assert "token=" in src
    if settings.WAVESURFER_DIR.is_dir():
        assert "/static/wavesurfer/wavesurfer.min.js" in page
    # The waveform's shadow-root style is allowed by this page's nonce, and by nothing else.
    nonce = re.search(r'data-csp-nonce="([^"]*)"', page)
    policy = response["Content-Security-Policy"]
    if settings.WAVESURFER_DIR.is_dir():
        assert nonce and f"'nonce-{nonce.group(1)}'" in policy
    assert "'unsafe-inline'" not in policy
    assert "script-src 'self';" in policy or policy.rstrip().endswith("script-src 'self'")


def test_opening_the_recording_link_is_logged(world):
    page = world["client"].get(evaluate_url(world)).content.decode()
    src = re.search(r'data-src="([^"]+)"', page).group(1).replace("&amp;", "&")

    audio = world["client"].get(src)

    assert audio.status_code == 200
    assert audio["Content-Type"] == "audio/wav"
    with tenant_context(world["acme"].tenant):
        accesses = list(RecordingAccess.objects.filter(recording=world["call"].recording))
    assert [(a.user_id, a.action) for a in accesses] == [(world["analyst"].pk, "play")]


def test_a_call_without_a_recording_can_still_be_scored(world):
    acme = world["acme"]
    with tenant_context(acme.tenant):
        call = make_agent_call(world["agent"], recording_seconds=None)
    url = f"/qa/evaluate/{call.uid}/?scorecard={world['scorecard'].pk}"

    page = world["client"].get(url)
    assert page.status_code == 200
    assert b"This call has no recording" in page.content
    assert b"data-src=" not in page.content

    data = form_answers(world["scorecard"], PERFECT_FORM) | {
        "action": "submit",
        "comment_at": "",
        "comment_text": "Polite throughout",
    }
    response = world["client"].post(url, data)

    assert response.status_code == 302
    with tenant_context(acme.tenant):
        evaluation = Evaluation.objects.get(call=call)
        assert evaluation.status == EvaluationStatus.SUBMITTED
        assert [(c.at_seconds, c.text) for c in evaluation.comments.all()] == [(None, "Polite throughout")]


def test_without_a_scorecard_in_the_link_the_page_offers_the_published_ones(world):
    with tenant_context(world["acme"].tenant):
        other = make_scorecard(name="Outbound sales")
    response = world["client"].get(f"/qa/evaluate/{world['call'].uid}/")

    assert response.status_code == 200
    page = response.content.decode()
    assert f"?scorecard={world['scorecard'].pk}" in page and f"?scorecard={other.pk}" in page


# --- saving ---------------------------------------------------------------------------------------


def test_a_submit_through_the_page_stores_the_evaluation(world):
    data = form_answers(world["scorecard"], ["yes", "yes", "no", "5", "10", "yes"])
    data |= {"summary": "Skipped the ID check.", "action": "submit"}
    data["comment_at"] = ["1.50", "0.25"]
    data["comment_text"] = ["Did not verify the caller", "Greeting by the script"]

    response = world["client"].post(evaluate_url(world), data)

    assert response.status_code == 302
    assert response["Location"] == "/qa/"
    with tenant_context(world["acme"].tenant):
        evaluation = Evaluation.objects.get(call=world["call"])
        assert evaluation.status == EvaluationStatus.SUBMITTED
        assert evaluation.evaluator == world["analyst"]
        assert evaluation.agent == world["agent"]
        # Greeting fails its section-critical question (0); Resolution 100; overall (1·0 + 3·100) ÷ 4.
        assert evaluation.score == Decimal("75.0000")
        assert evaluation.critical_failed is True
        assert evaluation.summary == "Skipped the ID check."
        assert evaluation.answers.count() == 6
        assert [(c.at_seconds, c.text) for c in evaluation.comments.all()] == [
            (0.25, "Greeting by the script"),
            (1.5, "Did not verify the caller"),
        ]
    # The submitted evaluation offers to plan coaching from it (the draft did not).
    page = world["client"].get(f"/qa/evaluations/{evaluation.pk}/edit/").content.decode()
    assert f"/qa/coaching/new/?evaluation={evaluation.pk}" in page


def test_a_draft_then_a_submit(world):
    scorecard = world["scorecard"]
    draft = form_answers(scorecard, ["yes", "na", None, "3", "na-box", None])
    draft |= {"action": "draft", "comment_at": "2.00", "comment_text": "Long pause here"}

    response = world["client"].post(evaluate_url(world), draft)

    with tenant_context(world["acme"].tenant):
        evaluation = Evaluation.objects.get(call=world["call"])
    assert response.status_code == 302
    assert response["Location"] == f"/qa/evaluations/{evaluation.pk}/edit/"
    assert evaluation.status == EvaluationStatus.DRAFT
    # Opening the call again continues the draft rather than starting a second evaluation.
    again = world["client"].get(evaluate_url(world))
    assert again.status_code == 302 and again["Location"] == f"/qa/evaluations/{evaluation.pk}/edit/"

    page = world["client"].get(f"/qa/evaluations/{evaluation.pk}/edit/").content.decode()
    ids = question_ids(scorecard)
    assert re.search(rf'name="q_{ids[1]}" value="na"[^>]*checked', page)
    assert re.search(rf'name="q_{ids[3]}" value="3"[^>]*checked', page)
    assert re.search(rf'name="q_{ids[4]}_na"[^>]*checked', page)
    assert 'data-seek="2.00"' in page and "Long pause here" in page

    final = form_answers(scorecard, ["yes", "na", "yes", "3", "na-box", "yes"])
    final |= {"action": "submit", "comment_at": "2.00", "comment_text": "Long pause here"}
    response = world["client"].post(f"/qa/evaluations/{evaluation.pk}/edit/", final)

    assert response.status_code == 302
    with tenant_context(world["acme"].tenant):
        evaluation.refresh_from_db()
        assert evaluation.status == EvaluationStatus.SUBMITTED
        assert evaluation.submitted_at is not None
        # Greeting: (1 + 2) ÷ 3 (N/A left out) = 100; Resolution: (3·2 + 1) ÷ (5·2 + 1) (N/A out) = 63.64.
        assert evaluation.score == Decimal("72.7273")
        assert evaluation.comments.count() == 1


def test_a_submit_with_an_unanswered_question_is_refused_with_the_message_beside_it(world):
    data = form_answers(world["scorecard"], ["yes", "yes", "yes", "5", None, "yes"]) | {"action": "submit"}

    response = world["client"].post(evaluate_url(world), data)

    assert response.status_code == 400
    page = response.content.decode()
    assert "Answer every question (or mark it N/A) before submitting." in page
    wrap_up = question_ids(world["scorecard"])[4]
    question = re.search(rf'data-question="{wrap_up}">.*?</fieldset>', page, re.S).group(0)
    assert "Answer this question or mark it N/A." in question
    # The answers given are kept on the page, and nothing was saved.
    assert re.search(rf'name="q_{question_ids(world["scorecard"])[3]}" value="5"[^>]*checked', page)
    with tenant_context(world["acme"].tenant):
        assert not Evaluation.objects.exists()


@pytest.mark.parametrize(
    ("position", "value"),
    [(4, "11"), (4, "-1"), (4, "2.555"), (3, "6"), (0, "maybe"), (0, "na")],
    ids=["points-over", "points-negative", "points-3-decimals", "scale-over", "yes-no-nonsense", "na-not-allowed"],
)
def test_an_answer_out_of_range_is_a_400_and_nothing_changes(world, position, value):
    values: list[str | None] = list(PERFECT_FORM)
    values[position] = value
    data = form_answers(world["scorecard"], values) | {"action": "draft"}

    response = world["client"].post(evaluate_url(world), data)

    assert response.status_code == 400
    qid = question_ids(world["scorecard"])[position]
    question = re.search(rf'data-question="{qid}">.*?</fieldset>', response.content.decode(), re.S).group(0)
    assert 'class="error"' in question
    with tenant_context(world["acme"].tenant):
        assert not Evaluation.objects.exists()


def test_a_comment_at_a_negative_time_is_refused(world):
    data = form_answers(world["scorecard"], PERFECT_FORM) | {
        "action": "draft",
        "comment_at": "-3",
        "comment_text": "Before the call?",
    }

    response = world["client"].post(evaluate_url(world), data)

    assert response.status_code == 400
    assert b"A comment&#x27;s time must be a number of seconds, 0 or more." in response.content
    with tenant_context(world["acme"].tenant):
        assert not Evaluation.objects.exists()


def test_another_analysts_evaluation_is_read_only(world):
    acme = world["acme"]
    other = acme.user(Role.QA)
    with tenant_context(acme.tenant):
        evaluation = make_evaluation(world["call"], world["scorecard"], other)
    url = f"/qa/evaluations/{evaluation.pk}/edit/"

    page = world["client"].get(url)

    assert page.status_code == 200
    assert b"You may read this evaluation but not change it." in page.content
    assert b'id="qa-submit"' not in page.content and b'id="qa-save"' not in page.content
    assert b"disabled" in page.content
    data = form_answers(world["scorecard"], ["no"] * 6) | {"action": "save"}
    assert world["client"].post(url, data).status_code == 403
    with tenant_context(acme.tenant):
        evaluation.refresh_from_db()
        assert evaluation.score == Decimal("100.0000")


def test_a_lead_changes_a_submitted_evaluation_with_a_reason(world):
    acme = world["acme"]
    with tenant_context(acme.tenant):
        evaluation = make_evaluation(world["call"], world["scorecard"], world["analyst"])
    lead = acme.user(Role.QA_LEAD)
    client = web_login(acme, lead.email)
    data = form_answers(world["scorecard"], ["yes", "yes", "yes", "5", "10", "no"])
    data |= {"action": "save", "reason": "Compliance breach at 0:03"}

    response = client.post(f"/qa/evaluations/{evaluation.pk}/edit/", data)

    assert response.status_code == 302
    with tenant_context(acme.tenant):
        evaluation.refresh_from_db()
        assert evaluation.score == Decimal("0.0000")  # the form-critical question failed
        revision = evaluation.revisions.get()
        assert revision.reason == "Compliance breach at 0:03"
        assert revision.changed_by == lead


# --- the live score ------------------------------------------------------------------------------


def test_the_live_score_is_the_services(world):
    url = "/qa/evaluations/preview/"
    scorecard = world["scorecard"]

    perfect = world["client"].post(url, form_answers(scorecard, PERFECT_FORM)).json()
    section_failed = world["client"].post(url, form_answers(scorecard, ["yes", "yes", "no", "5", "10", "yes"])).json()
    form_failed = world["client"].post(url, form_answers(scorecard, ["yes", "yes", "yes", "5", "10", "no"])).json()
    nothing = world["client"].post(url, form_answers(scorecard, [])).json()

    assert perfect["score"] == "100.00" and perfect["critical_failed"] is False
    assert section_failed["score"] == "75.00"
    assert [s["score"] for s in section_failed["sections"]] == ["0.00", "100.00"]
    assert section_failed["failed_questions"] == [question_ids(scorecard)[2]]
    assert form_failed["score"] == "0.00" and form_failed["critical_failed"] is True
    assert nothing["score"] is None and [s["score"] for s in nothing["sections"]] == [None, None]
    with tenant_context(world["acme"].tenant):
        assert not Evaluation.objects.exists()


def test_the_live_score_names_the_invalid_answer(world):
    scorecard = world["scorecard"]
    response = world["client"].post(
        "/qa/evaluations/preview/", form_answers(scorecard, ["yes", "yes", "yes", "5", "12", "yes"])
    )

    assert response.status_code == 400
    assert list(response.json()["fields"]) == [f"q_{question_ids(scorecard)[4]}"]
    assert world["client"].post("/qa/evaluations/preview/", {"scorecard": "999999"}).status_code == 404


# --- assignments and calibration ------------------------------------------------------------------


def test_an_assignment_is_scored_on_its_scorecard_and_done_when_submitted(world):
    acme = world["acme"]
    with tenant_context(acme.tenant):
        assignment = Assignment.objects.create(
            call=world["call"],
            scorecard=world["scorecard"],
            assignee=world["analyst"],
            period_start=timezone.localdate(),
            due_at=timezone.now() - timedelta(hours=1),
        )
    page = world["client"].get(evaluate_url(world, assignment=assignment.pk))
    assert page.status_code == 200
    assert b"Assigned to you" in page.content

    data = form_answers(world["scorecard"], PERFECT_FORM) | {"action": "submit"}
    response = world["client"].post(evaluate_url(world, assignment=assignment.pk), data)

    assert response.status_code == 302
    with tenant_context(acme.tenant):
        evaluation = Evaluation.objects.get(call=world["call"])
        assignment.refresh_from_db()
    assert evaluation.assignment == assignment
    assert assignment.status == AssignmentStatus.DONE


def test_someone_elses_assignment_is_not_found(world):
    acme = world["acme"]
    with tenant_context(acme.tenant):
        assignment = Assignment.objects.create(
            call=world["call"],
            scorecard=world["scorecard"],
            assignee=acme.user(Role.QA),
            period_start=timezone.localdate(),
        )

    assert world["client"].get(evaluate_url(world, assignment=assignment.pk)).status_code == 404


def test_a_calibration_evaluation_uses_the_same_page_and_the_agent_never_sees_it(world):
    acme = world["acme"]
    with tenant_context(acme.tenant):
        session = CalibrationSession.objects.create(
            title="March alignment", call=world["call"], scorecard=world["scorecard"]
        )
        session.participants.add(world["analyst"])
    url = evaluate_url(world, calibration=session.pk)

    page = world["client"].get(url)
    assert page.status_code == 200
    assert b"March alignment" in page.content
    assert b"the agent never sees a calibration evaluation" in page.content

    response = world["client"].post(url, form_answers(world["scorecard"], PERFECT_FORM) | {"action": "submit"})

    with tenant_context(acme.tenant):
        evaluation = Evaluation.objects.get(call=world["call"])
    assert response.status_code == 302 and response["Location"] == f"/qa/evaluations/{evaluation.pk}/edit/"
    assert evaluation.kind == EvaluationKind.CALIBRATION and evaluation.calibration == session
    assert evaluation.is_visible_to_agent is False
    # Not a participant: the session is not found.
    outsider = web_login(acme, acme.user(Role.QA).email)
    assert outsider.get(url).status_code == 404


# --- the home page --------------------------------------------------------------------------------


def test_the_home_page_lists_assignments_drafts_and_submitted(world):
    acme = world["acme"]
    with tenant_context(acme.tenant):
        late = Assignment.objects.create(
            call=world["call"],
            scorecard=world["scorecard"],
            assignee=world["analyst"],
            period_start=timezone.localdate(),
            due_at=timezone.now() - timedelta(days=1),
        )
        second = make_agent_call(world["agent"])
        Assignment.objects.create(
            call=second,
            scorecard=world["scorecard"],
            assignee=world["analyst"],
            period_start=timezone.localdate(),
            due_at=timezone.now() + timedelta(days=2),
        )
        draft = make_evaluation(make_agent_call(world["agent"]), world["scorecard"], world["analyst"], submit=False)
        done = make_evaluation(make_agent_call(world["agent"]), world["scorecard"], world["analyst"])

    page = world["client"].get("/qa/").content.decode()

    assignments = re.search(r'id="qa-assignments".*?</section>', page, re.S).group(0)
    assert assignments.count("data-assignment=") == 2
    assert re.search(rf'class="qa-overdue" data-assignment="{late.pk}"', assignments)
    assert f"?assignment={late.pk}" in assignments
    drafts = re.search(r'id="qa-drafts".*?</section>', page, re.S).group(0)
    assert f"/qa/evaluations/{draft.pk}/edit/" in drafts
    submitted = re.search(r'id="qa-submitted".*?</section>', page, re.S).group(0)
    assert f"/qa/evaluations/{done.pk}/edit/" in submitted and "100.00" in submitted


def test_the_call_picker_finds_a_call_by_its_id(world):
    acme = world["acme"]
    with tenant_context(acme.tenant):
        other = make_agent_call(world["agent"], uid="picker-needle-42")

    page = world["client"].get("/qa/", {"uid": "needle"}).content.decode()

    picker = re.search(r'id="qa-picker".*?</section>', page, re.S).group(0)
    assert f'data-call="{other.uid}"' in picker
    assert f'data-call="{world["call"].uid}"' not in picker
    assert f"/qa/evaluate/{other.uid}/" in picker


def test_without_node_modules_the_page_plays_in_the_browsers_own_player(world, settings, tmp_path):
    settings.WAVESURFER_DIR = tmp_path / "absent"

    response = world["client"].get(evaluate_url(world))

    page = response.content.decode()
    assert response.status_code == 200
    assert "wavesurfer" not in page and "data-csp-nonce" not in page
    assert 'id="qa-audio"' in page and "data-src=" in page  # qa-workspace.js plays it without a waveform
    assert "'nonce-" not in response["Content-Security-Policy"]


def test_the_pages_speak_chinese(world):
    from tests.pending_po import pending_translations

    client = world["client"]
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"  # the page's language switch
    with pending_translations("qa-workspace"):
        workspace = client.get(evaluate_url(world)).content.decode()
        home = client.get("/qa/").content.decode()

    for words in (
        "保存草稿",
        "提交",
        "评分表",
        "倍速",
        "整表致命项",
        "分项致命项",
        "评分说明",
        "不适用",
        "主叫",
        "座席代表",
    ):
        assert words in workspace, words
    for words in ("Save draft", "Submit this evaluation", "Critical to the", "Loading the recording"):
        assert words not in workspace, words
    for words in ("我的质检任务", "我的草稿", "最近提交", "评估通话"):
        assert words in home, words
    assert "My assignments" not in home and "Recently submitted" not in home


def test_a_call_still_going_on_says_so_and_is_not_saved(world):
    from apps.telephony.services import cdr

    acme = world["acme"]
    with tenant_context(acme.tenant):
        live = cdr.call_open(
            uid="qa-live-call", direction="inbound", caller="13900000009", callee="4001", at=timezone.now()
        )
    url = f"/qa/evaluate/{live.uid}/?scorecard={world['scorecard'].pk}"

    assert b"This call has not ended yet" in world["client"].get(url).content
    response = world["client"].post(url, form_answers(world["scorecard"], PERFECT_FORM) | {"action": "draft"})

    assert response.status_code == 400
    assert b"This call has not ended yet." in response.content
    with tenant_context(acme.tenant):
        assert not Evaluation.objects.exists()
