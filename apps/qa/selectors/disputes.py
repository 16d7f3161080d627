"""Reading disputes and the agent's own evaluations.

Who reads a dispute follows who reads its evaluation (apps/qa/selectors/evaluations.py): QA
analysts, QA leads and administrators all; supervisors their teams'; an agent their own. Who may
*decide* one is a service rule (apps/qa/services/disputes.py ``may_arbitrate``).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import Case, Count, IntegerField, QuerySet, Value, When

from apps.qa import scoring
from apps.qa.choices import Critical, DisputeStatus, EvaluationKind, EvaluationStatus, QuestionKind
from apps.qa.models import Dispute, Evaluation
from apps.qa.selectors.evaluations import evaluations_visible_to
from apps.qa.selectors.scorecards import scorecard_sections


def disputes_visible_to(user) -> QuerySet[Dispute]:
    return Dispute.objects.filter(evaluation__in=evaluations_visible_to(user).values("pk")).select_related(
        "evaluation__call",
        "evaluation__scorecard",
        "evaluation__agent",
        "evaluation__evaluator",
        "raised_by",
        "decided_by",
    )


def dispute_list(*, user, status: str | None = None, agent: int | None = None) -> QuerySet[Dispute]:
    """Open disputes first (oldest first: they have waited longest), then decided ones, newest first."""
    disputes = disputes_visible_to(user)
    if status:
        disputes = disputes.filter(status=status)
    if agent is not None:
        disputes = disputes.filter(evaluation__agent_id=agent)
    open_first = Case(When(status=DisputeStatus.OPEN, then=Value(0)), default=Value(1), output_field=IntegerField())
    return disputes.annotate(open_first=open_first, question_count=Count("items")).order_by(
        "open_first", "-raised_at", "-id"
    )


def dispute_for(*, user, pk: int) -> Dispute | None:
    """One dispute if ``user`` may read it (None: callers answer 404, never 403)."""
    return disputes_visible_to(user).filter(pk=pk).first()


def dispute_open_count() -> int:
    return Dispute.objects.filter(status=DisputeStatus.OPEN).count()


def my_evaluations(user) -> QuerySet[Evaluation]:
    """The agent's own evaluations: regular ones, submitted or later (never a draft, never a
    calibration one), newest first."""
    return (
        Evaluation.objects.filter(agent=user, kind=EvaluationKind.REGULAR)
        .exclude(status=EvaluationStatus.DRAFT)
        .select_related("call", "scorecard", "evaluator")
        .order_by("-submitted_at", "-id")
    )


def my_evaluation(user, pk: int) -> Evaluation | None:
    return my_evaluations(user).filter(pk=pk).first()


def evaluation_sheet(evaluation: Evaluation, *, disputed: set[int] | None = None) -> list[dict[str, Any]]:
    """The evaluation as its pages show it: each section with its score and each question with its
    answer (the points earned of the points possible, yes/no, N/A), whether a critical question
    failed, and whether the question is ``disputed``."""
    disputed = disputed or set()
    stored = evaluation.section_scores or {}
    answers = {a.question_id: a for a in evaluation.answers.all()}
    sheet = []
    for section in scorecard_sections(evaluation.scorecard):
        raw = stored.get(str(section.pk))
        questions = []
        for question in section.questions.all():
            answer = answers.get(question.pk)
            earned = None if answer is None or answer.na else answer.earned
            questions.append(
                {
                    "question": question,
                    "answer": answer,
                    "na": answer is not None and answer.na,
                    "earned": earned,
                    "yes": None if earned is None or question.kind != QuestionKind.YES_NO else earned > 0,
                    "failed": question.critical != Critical.NONE and earned is not None and earned == 0,
                    "disputed": question.pk in disputed,
                }
            )
        sheet.append(
            {
                "section": section,
                "score": scoring.display(None if raw is None else Decimal(raw)),
                "questions": questions,
            }
        )
    return sheet


def disputed_questions(dispute: Dispute) -> dict[int, str]:
    """Question id → the agent's reason, for one dispute."""
    return {item.question_id: item.reason for item in dispute.items.all()}
