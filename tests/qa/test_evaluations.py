"""Saving evaluations through the service: what is stored, who may score or change what,
calibration and assignments, and that a refused save writes nothing."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django_tenants.utils import tenant_context

from apps.core.errors import ApplicationError, PermissionDeniedError
from apps.qa.choices import AssignmentStatus, EvaluationKind, EvaluationStatus
from apps.qa.models import Answer, Assignment, CalibrationSession, Evaluation, EvaluationRevision
from apps.qa.selectors.evaluations import evaluations_visible_to
from apps.qa.services.evaluations import evaluation_preview, evaluation_save
from apps.telephony.models import Call
from tests.qa.factories import (
    PERFECT,
    answers_for,
    make_agent_call,
    make_evaluation,
    make_scorecard,
    make_team,
    question_ids,
)


@pytest.fixture
def world(acme):
    with tenant_context(acme.tenant):
        agent = acme.user("agent")
        yield {
            "acme": acme,
            "scorecard": make_scorecard(),
            "agent": agent,
            "call": make_agent_call(agent),
            "qa": acme.user("qa"),
            "lead": acme.user("qa_lead"),
        }


def test_stored_scores_are_4_decimals_and_sections_by_id(world):
    evaluation = make_evaluation(world["call"], world["scorecard"], world["qa"], [True, False, True, 3, 7.5, True])
    evaluation.refresh_from_db()
    greeting, resolution = (s.pk for s in world["scorecard"].sections.order_by("position"))
    assert evaluation.score == Decimal("70.5357")
    assert evaluation.section_scores == {str(greeting): "75.0000", str(resolution): "69.0476"}
    earned = dict(Answer.objects.filter(evaluation=evaluation).values_list("question_id", "earned"))
    ids = question_ids(world["scorecard"])
    assert [earned[qid] for qid in ids] == [Decimal(1), Decimal(0), Decimal(2), Decimal(3), Decimal("7.5"), Decimal(1)]


def test_an_all_na_section_is_stored_as_left_out(world):
    scorecard = make_scorecard(
        sections=[
            {"title": "Optional", "weight": 1, "questions": [{"text": "Upsell", "allow_na": True}]},
            {"title": "Core", "weight": 1, "questions": [{"text": "Resolved", "kind": "scale", "points": 4}]},
        ]
    )
    evaluation = make_evaluation(world["call"], scorecard, world["qa"], ["na", 1])
    optional, core = (s.pk for s in scorecard.sections.order_by("position"))
    assert evaluation.section_scores == {str(optional): None, str(core): "25.0000"}
    assert evaluation.score == Decimal("25.0000")


def test_the_agent_is_the_user_who_handled_the_call(world):
    evaluation = make_evaluation(world["call"], world["scorecard"], world["qa"])
    assert evaluation.agent == world["agent"] and evaluation.kind == EvaluationKind.REGULAR


def test_nobody_scores_their_own_call(world, acme):
    analyst_who_took_calls = acme.user("qa", "agent")
    own = make_agent_call(analyst_who_took_calls)
    with pytest.raises(PermissionDeniedError):
        make_evaluation(own, world["scorecard"], analyst_who_took_calls)


@pytest.mark.parametrize("role", ["agent", "trainer", "hr", "billing"])
def test_other_roles_do_not_score(world, acme, role):
    with pytest.raises(PermissionDeniedError):
        make_evaluation(world["call"], world["scorecard"], acme.user(role))


def test_a_supervisor_scores_only_their_teams_members(world, acme):
    supervisor = acme.user("supervisor")
    with pytest.raises(PermissionDeniedError):
        make_evaluation(world["call"], world["scorecard"], supervisor)
    make_team(supervisors=[supervisor], members=[world["agent"]])
    evaluation = make_evaluation(world["call"], world["scorecard"], supervisor, submit=False)
    # Their own draft stays theirs: readable by them, not by the agent.
    assert evaluations_visible_to(supervisor).filter(pk=evaluation.pk).exists()
    assert not evaluations_visible_to(world["agent"]).filter(pk=evaluation.pk).exists()


def test_a_call_not_ended_or_without_an_agent_is_refused(world):
    ongoing = Call.objects.create(
        uid="qa-ongoing-1", direction="inbound", caller="1", callee="2", arrived_at=world["call"].arrived_at
    )
    with pytest.raises(ApplicationError) as excinfo:
        make_evaluation(ongoing, world["scorecard"], world["qa"])
    assert excinfo.value.fields["call"] == ["This call has not ended yet.", "This call was not handled by an agent."]
    assert not Evaluation.objects.filter(call=ongoing).exists()


def test_the_evaluator_corrects_until_the_agent_acknowledges_then_only_a_lead(world):
    evaluation = make_evaluation(world["call"], world["scorecard"], world["qa"])
    lower = answers_for(world["scorecard"], [True, True, True, 4, 10, True])
    evaluation = make_evaluation(world["call"], world["scorecard"], world["qa"], lower, evaluation=evaluation)
    assert evaluation.score < 100 and evaluation.revisions.count() == 1

    Evaluation.objects.filter(pk=evaluation.pk).update(status=EvaluationStatus.ACKNOWLEDGED)
    with pytest.raises(PermissionDeniedError):
        make_evaluation(world["call"], world["scorecard"], world["qa"], PERFECT, evaluation=evaluation)
    fixed = make_evaluation(
        world["call"], world["scorecard"], world["lead"], PERFECT, evaluation=evaluation, reason="Dispute accepted"
    )
    assert fixed.score == Decimal("100.0000")
    assert fixed.status == EvaluationStatus.ACKNOWLEDGED  # a correction does not change where it stands
    latest = EvaluationRevision.objects.filter(evaluation=evaluation).latest("changed_at", "id")
    assert (latest.changed_by, latest.reason) == (world["lead"], "Dispute accepted")
    assert latest.before["answers"][str(question_ids(world["scorecard"])[3])] == "4.00"


def test_an_unchanged_save_after_submission_keeps_no_revision(world):
    evaluation = make_evaluation(world["call"], world["scorecard"], world["qa"])
    make_evaluation(world["call"], world["scorecard"], world["qa"], PERFECT, evaluation=evaluation)
    assert evaluation.revisions.count() == 0


def test_a_submitted_evaluation_cannot_lose_an_answer(world):
    evaluation = make_evaluation(world["call"], world["scorecard"], world["qa"])
    with pytest.raises(ApplicationError) as excinfo:
        make_evaluation(world["call"], world["scorecard"], world["qa"], [True, True], evaluation=evaluation)
    assert f"questions.{question_ids(world['scorecard'])[2]}" in excinfo.value.fields
    assert evaluation.answers.count() == 6


def test_a_refused_change_leaves_the_draft_as_it_was(world):
    draft = make_evaluation(world["call"], world["scorecard"], world["qa"], [True, False], submit=False)
    bad = [
        *answers_for(world["scorecard"], [True, True, True]),
        {"question": question_ids(world["scorecard"])[3], "value": 99},
    ]
    with pytest.raises(ApplicationError):
        evaluation_save(
            actor=world["qa"],
            call=world["call"],
            scorecard=world["scorecard"],
            evaluation=draft,
            answers=bad,
            comments=[{"at_seconds": 1, "text": "lost"}],
        )
    draft.refresh_from_db()
    assert draft.answers.count() == 2 and draft.comments.count() == 0 and draft.status == EvaluationStatus.DRAFT


def test_comments_are_replaced_and_unchanged_ones_keep_their_author(world):
    draft = make_evaluation(
        world["call"], world["scorecard"], world["qa"], [True], submit=False, comments=[{"at_seconds": 2, "text": "a"}]
    )
    first = draft.comments.get()
    make_evaluation(
        world["call"],
        world["scorecard"],
        world["qa"],
        [True],
        submit=False,
        evaluation=draft,
        comments=[{"at_seconds": 2, "text": "a"}, {"at_seconds": 0.5, "text": "b"}],
    )
    assert list(draft.comments.values_list("text", flat=True)) == ["b", "a"]
    assert draft.comments.get(text="a").pk == first.pk
    make_evaluation(
        world["call"], world["scorecard"], world["qa"], [True], submit=False, evaluation=draft, comments=None
    )
    assert draft.comments.count() == 2  # None keeps them


def test_an_assignment_is_in_progress_with_a_draft_and_done_on_submit(world):
    assignment = Assignment.objects.create(
        call=world["call"], scorecard=world["scorecard"], assignee=world["qa"], period_start=date(2026, 1, 5)
    )
    draft = make_evaluation(world["call"], world["scorecard"], world["qa"], [True], submit=False, assignment=assignment)
    assignment.refresh_from_db()
    assert assignment.status == AssignmentStatus.IN_PROGRESS
    make_evaluation(world["call"], world["scorecard"], world["qa"], PERFECT, evaluation=draft)
    assignment.refresh_from_db()
    assert assignment.status == AssignmentStatus.DONE


def test_someone_elses_assignment_is_refused(world, acme):
    assignment = Assignment.objects.create(
        call=world["call"], scorecard=world["scorecard"], assignee=acme.user("qa"), period_start=date(2026, 1, 5)
    )
    with pytest.raises(ApplicationError) as excinfo:
        make_evaluation(world["call"], world["scorecard"], world["qa"], assignment=assignment)
    assert "assignment" in excinfo.value.fields


def test_a_calibration_evaluation_is_of_kind_calibration_and_once_per_evaluator(world):
    session = CalibrationSession.objects.create(
        title="Week 2", call=world["call"], scorecard=world["scorecard"], created_by=world["lead"]
    )
    evaluation = make_evaluation(world["call"], world["scorecard"], world["qa"], calibration=session)
    assert evaluation.kind == EvaluationKind.CALIBRATION and evaluation.calibration == session
    assert not evaluations_visible_to(world["agent"]).filter(pk=evaluation.pk).exists()
    with pytest.raises(ApplicationError) as excinfo:
        make_evaluation(world["call"], world["scorecard"], world["qa"], calibration=session)
    assert excinfo.value.code == "exists"
    # A regular evaluation of the same call by the same analyst is another matter.
    assert make_evaluation(world["call"], world["scorecard"], world["qa"]).kind == EvaluationKind.REGULAR

    other_call = make_agent_call(world["agent"])
    with pytest.raises(ApplicationError) as excinfo:
        make_evaluation(other_call, world["scorecard"], world["lead"], calibration=session)
    assert "calibration" in excinfo.value.fields


def test_preview_validates_like_a_save_and_writes_nothing(world):
    result = evaluation_preview(scorecard=world["scorecard"], answers=answers_for(world["scorecard"], [True, False]))
    assert result.score == Decimal(50)
    with pytest.raises(ApplicationError) as excinfo:
        evaluation_preview(
            scorecard=world["scorecard"], answers=[{"question": question_ids(world["scorecard"])[0], "value": "yes"}]
        )
    assert "answers.0.value" in excinfo.value.fields
    assert not Evaluation.objects.filter(call=world["call"]).exists()


def test_answers_may_come_from_a_generator(world):
    answers = (a for a in answers_for(world["scorecard"], PERFECT))
    evaluation = evaluation_save(
        actor=world["qa"], call=world["call"], scorecard=world["scorecard"], answers=answers, submit=True
    )
    assert evaluation.answers.count() == 6
