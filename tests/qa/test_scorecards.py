"""Scorecards: validation with field messages, edit in place until scored on, then versions."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django_tenants.utils import tenant_context

from apps.audit.models import AuditEntry
from apps.core.errors import ApplicationError, PermissionDeniedError
from apps.qa.choices import ScorecardStatus
from apps.qa.models import Evaluation, Question, Scorecard, Section
from apps.qa.selectors.scorecards import scorecard_current_version, scorecard_versions, scorecards_current
from apps.qa.services.scorecards import (
    scorecard_create,
    scorecard_publish,
    scorecard_retire,
    scorecard_spec,
    scorecard_update,
)
from tests.qa.factories import (
    PERFECT,
    answers_for,
    default_sections,
    make_agent_call,
    make_evaluation,
    make_scorecard,
    qa_user,
)


@pytest.fixture
def lead(acme):
    with tenant_context(acme.tenant):
        return acme.user("qa_lead")


def _fields(excinfo) -> dict:
    return excinfo.value.fields


def test_create_stores_sections_and_questions_in_order(acme, lead):
    with tenant_context(acme.tenant):
        scorecard = make_scorecard(actor=lead, name="Inbound service")

        assert (scorecard.version, scorecard.is_current, scorecard.status) == (1, True, "published")
        sections = list(scorecard.sections.order_by("position"))
        assert [s.title for s in sections] == ["Greeting", "Resolution"]
        assert [s.weight for s in sections] == [Decimal(1), Decimal(3)]
        verified = Question.objects.get(section=sections[0], position=2)
        assert (verified.kind, verified.points, verified.critical) == ("yes_no", 2, "section")
        assert verified.guidance.startswith("Two of")
        compliance = Question.objects.get(section=sections[1], position=2)
        assert compliance.critical == "form"
        assert AuditEntry.objects.filter(action="scorecard.created", target_id=str(scorecard.pk)).exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda spec: spec.update(name=""), "name"),
        (lambda spec: spec.update(sections=[]), "sections"),
        (lambda spec: spec["sections"][0].update(title=" "), "sections.0.title"),
        (lambda spec: spec["sections"][1].update(weight=-1), "sections.1.weight"),
        (lambda spec: spec["sections"][1].update(weight="heavy"), "sections.1.weight"),
        (lambda spec: spec["sections"][0].update(questions=[]), "sections.0.questions"),
        (lambda spec: spec["sections"][0]["questions"][0].update(points=0), "sections.0.questions.0.points"),
        (lambda spec: spec["sections"][0]["questions"][0].update(points=1.5), "sections.0.questions.0.points"),
        (lambda spec: spec["sections"][1]["questions"][0].update(points=None), "sections.1.questions.0.points"),
        (lambda spec: spec["sections"][0]["questions"][1].update(weight=-0.5), "sections.0.questions.1.weight"),
        (lambda spec: spec["sections"][0]["questions"][1].update(weight=0.125), "sections.0.questions.1.weight"),
        (lambda spec: spec["sections"][0]["questions"][1].update(kind="essay"), "sections.0.questions.1.kind"),
        (lambda spec: spec["sections"][0]["questions"][1].update(critical="very"), "sections.0.questions.1.critical"),
        (lambda spec: spec["sections"][0]["questions"][1].update(allow_na="yes"), "sections.0.questions.1.allow_na"),
        (lambda spec: spec["sections"][0]["questions"][1].update(text=""), "sections.0.questions.1.text"),
        (lambda spec: spec["sections"][0]["questions"].append("?"), "sections.0.questions.3"),
    ],
)
def test_bad_spec_is_refused_with_the_field_named_and_nothing_is_written(acme, lead, change, field):
    with tenant_context(acme.tenant):
        spec = {"name": "Outbound sales", "sections": default_sections()}
        change(spec)
        before = Scorecard.objects.count(), Section.objects.count(), Question.objects.count()
        with pytest.raises(ApplicationError) as excinfo:
            scorecard_create(actor=lead, **spec)
        assert field in _fields(excinfo), _fields(excinfo)
        assert (Scorecard.objects.count(), Section.objects.count(), Question.objects.count()) == before


def test_every_problem_is_reported_at_once(acme, lead):
    with tenant_context(acme.tenant):
        sections = default_sections()
        sections[0]["questions"][0]["points"] = 0
        sections[1]["weight"] = -2
        with pytest.raises(ApplicationError) as excinfo:
            scorecard_create(actor=lead, name="", sections=sections)
        assert {"name", "sections.0.questions.0.points", "sections.1.weight"} <= set(_fields(excinfo))


def test_yes_no_points_default_to_1(acme, lead):
    with tenant_context(acme.tenant):
        scorecard = make_scorecard(
            actor=lead, sections=[{"title": "S", "questions": [{"text": "Polite?", "kind": "yes_no"}]}]
        )
        question = Question.objects.get(section__scorecard=scorecard)
        assert (question.points, question.weight, question.critical, question.allow_na) == (1, 1, "none", False)


@pytest.mark.parametrize("role", ["qa", "supervisor", "agent"])
def test_only_leads_and_administrators_design_scorecards(acme, role):
    with tenant_context(acme.tenant):
        with pytest.raises(PermissionDeniedError):
            make_scorecard(actor=acme.user(role))
        assert make_scorecard(actor=acme.user("tenant_admin")).pk


def test_a_scorecard_nobody_scored_on_is_edited_in_place(acme, lead):
    with tenant_context(acme.tenant):
        scorecard = make_scorecard(actor=lead)
        sections = default_sections()
        sections[1]["weight"] = 5
        del sections[0]["questions"][1]

        edited = scorecard_update(actor=lead, scorecard=scorecard, name="Renamed", sections=sections)

        assert edited.pk == scorecard.pk and edited.version == 1
        assert edited.name == "Renamed"
        assert Question.objects.filter(section__scorecard=scorecard).count() == 5
        assert Scorecard.objects.filter(family=scorecard.family).count() == 1


def test_an_edit_that_changes_nothing_makes_nothing(acme, lead):
    with tenant_context(acme.tenant):
        scorecard = make_scorecard(actor=lead)
        make_evaluation(make_agent_call(), scorecard, qa_user())
        same = scorecard_update(
            actor=lead, scorecard=scorecard, name=scorecard.name, sections=scorecard_spec(scorecard)["sections"]
        )
        assert same.pk == scorecard.pk
        assert Scorecard.objects.filter(family=scorecard.family).count() == 1


def test_editing_a_scored_scorecard_makes_a_new_version_and_evaluations_keep_theirs(acme, lead):
    with tenant_context(acme.tenant):
        scorecard = make_scorecard(actor=lead)
        evaluation = make_evaluation(make_agent_call(), scorecard, qa_user(), [True, False, True, 5, 10, True])
        old_questions = set(Question.objects.filter(section__scorecard=scorecard).values_list("pk", flat=True))
        sections = default_sections()
        sections[0]["questions"][1]["points"] = 3

        new = scorecard_update(actor=lead, scorecard=scorecard, sections=sections)

        scorecard.refresh_from_db()
        assert new.pk != scorecard.pk
        assert (new.family, new.version, new.is_current) == (scorecard.family, 2, True)
        assert scorecard.is_current is False
        evaluation.refresh_from_db()
        assert evaluation.scorecard_id == scorecard.pk
        assert set(evaluation.answers.values_list("question_id", flat=True)) == old_questions
        assert Question.objects.filter(section__scorecard=scorecard).count() == 6  # the old form is intact
        assert [v.version for v in scorecard_versions(scorecard.family)] == [2, 1]
        assert scorecard_current_version(scorecard) == new
        assert list(scorecards_current().filter(family=scorecard.family)) == [new]
        entry = AuditEntry.objects.get(action="scorecard.changed", target_id=str(new.pk))
        assert entry.extra["new_version"] is True


def test_a_draft_evaluation_also_pins_the_version(acme, lead):
    with tenant_context(acme.tenant):
        scorecard = make_scorecard(actor=lead)
        make_evaluation(make_agent_call(), scorecard, qa_user(), [True], submit=False)
        new = scorecard_update(actor=lead, scorecard=scorecard, name="Second edition")
        assert new.version == 2


def test_an_earlier_version_cannot_be_edited(acme, lead):
    with tenant_context(acme.tenant):
        scorecard = make_scorecard(actor=lead)
        make_evaluation(make_agent_call(), scorecard, qa_user())
        scorecard_update(actor=lead, scorecard=scorecard, name="v2")
        scorecard.refresh_from_db()
        with pytest.raises(ApplicationError) as excinfo:
            scorecard_update(actor=lead, scorecard=scorecard, name="v3")
        assert excinfo.value.code == "not_current"
        assert Scorecard.objects.filter(family=scorecard.family).count() == 2


def test_a_bad_edit_of_a_scored_scorecard_makes_no_version(acme, lead):
    with tenant_context(acme.tenant):
        scorecard = make_scorecard(actor=lead)
        make_evaluation(make_agent_call(), scorecard, qa_user())
        with pytest.raises(ApplicationError):
            scorecard_update(actor=lead, scorecard=scorecard, sections=[{"title": "Empty", "questions": []}])
        scorecard.refresh_from_db()
        assert scorecard.is_current
        assert Scorecard.objects.filter(family=scorecard.family).count() == 1


def test_retired_and_draft_scorecards_take_no_new_evaluations(acme, lead):
    with tenant_context(acme.tenant):
        retired = scorecard_retire(actor=lead, scorecard=make_scorecard(actor=lead))
        draft = make_scorecard(actor=lead, status="draft")
        for scorecard in (retired, draft):
            with pytest.raises(ApplicationError) as excinfo:
                make_evaluation(make_agent_call(), scorecard, qa_user())
            assert "scorecard" in excinfo.value.fields
        published = scorecard_publish(actor=lead, scorecard=draft)
        assert published.status == ScorecardStatus.PUBLISHED
        assert make_evaluation(make_agent_call(), published, qa_user()).pk
        assert AuditEntry.objects.filter(action="scorecard.retired", target_id=str(retired.pk)).exists()


def test_a_draft_on_a_replaced_version_can_still_be_finished(acme, lead):
    with tenant_context(acme.tenant):
        scorecard = make_scorecard(actor=lead)
        analyst = qa_user()
        call = make_agent_call()
        draft = make_evaluation(call, scorecard, analyst, [True], submit=False)
        scorecard_update(actor=lead, scorecard=scorecard, name="v2")
        scorecard.refresh_from_db()

        finished = make_evaluation(
            call, scorecard, analyst, answers_for(scorecard, PERFECT), evaluation=draft, submit=True
        )
        assert finished.status == "submitted"
        assert Evaluation.objects.get(pk=draft.pk).scorecard_id == scorecard.pk
