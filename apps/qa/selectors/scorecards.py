"""Reading scorecards, and turning one into the plain specs of the scoring contract."""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.db.models import Count, QuerySet

from apps.qa import scoring
from apps.qa.choices import ScorecardStatus
from apps.qa.models import Question, Scorecard, Section


def scorecards_current() -> QuerySet[Scorecard]:
    """The current version of every family (drafts and retired ones included), by name."""
    return (
        Scorecard.objects.filter(is_current=True)
        .annotate(
            evaluation_count=Count("evaluations", distinct=True),
            question_count=Count("sections__questions", distinct=True),
        )
        .order_by("name")
    )


def scorecards_to_score_on() -> QuerySet[Scorecard]:
    """What an evaluator may pick for a new evaluation: current and published."""
    return Scorecard.objects.filter(is_current=True, status=ScorecardStatus.PUBLISHED).order_by("name")


def scorecard_versions(family: uuid.UUID | str) -> QuerySet[Scorecard]:
    """Every version of one form, newest first, with how many evaluations each carries."""
    return (
        Scorecard.objects.filter(family=family)
        .annotate(evaluation_count=Count("evaluations"))
        .select_related("created_by")
        .order_by("-version")
    )


def scorecard_current_version(scorecard: Scorecard) -> Scorecard:
    """The current version of ``scorecard``'s family (itself when it is current). Sampling and
    assignments made before an edit name the old version; a new evaluation goes on this one."""
    if scorecard.is_current:
        return scorecard
    return Scorecard.objects.filter(family=scorecard.family, is_current=True).first() or scorecard


def scorecard_sections(scorecard: Scorecard) -> list[Section]:
    """The sections in order, each with ``questions`` prefetched in order."""
    return list(scorecard.sections.prefetch_related("questions").order_by("position", "id"))


def scorecard_questions(scorecard: Scorecard) -> dict[int, Question]:
    """Every question of the scorecard by id, in form order."""
    return {
        q.pk: q
        for q in Question.objects.filter(section__scorecard=scorecard)
        .select_related("section")
        .order_by("section__position", "section_id", "position", "id")
    }


def scoring_specs(
    sections: list[Section],
) -> tuple[list[scoring.SectionSpec], list[scoring.QuestionSpec]]:
    """The plain specs :func:`apps.qa.scoring.score` takes, from sections with their questions
    prefetched (:func:`scorecard_sections`)."""
    section_specs = [scoring.SectionSpec(id=s.pk, weight=s.weight) for s in sections]
    question_specs = [
        scoring.QuestionSpec(id=q.pk, section_id=s.pk, points=Decimal(q.points), weight=q.weight, critical=q.critical)
        for s in sections
        for q in s.questions.all()
    ]
    return section_specs, question_specs
