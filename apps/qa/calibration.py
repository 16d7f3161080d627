"""Calibration figures (issue 14 item 6; docs/qa.md "Calibration" states them for users).

Plain Python, no models, like apps/qa/scoring.py: the session page, the API, the alignment report
and the tests all go through these functions, so a figure is computed one way only.

- **Alignment of one answer** with the benchmark's: 1 − |e − e_benchmark| ÷ p (p = the question's
  points), so 1 is the same answer and 0 the opposite end of the scale.
- **N/A** (or left unanswered, which the scoring contract treats as N/A): both N/A is agreement
  (1); N/A on one side only is full disagreement (0) — saying "does not apply" where the
  benchmark scored the question (or the reverse) is the kind of difference calibration is for.
- **An evaluator's alignment**: the mean of their per-question alignments weighted by each
  question's weight w (Σ w·a ÷ Σ w over every question of the scorecard); a scorecard whose
  weights are all 0 falls back to the plain mean.
- **Consensus benchmark** (mode ``consensus``): per question, N/A when more than half of the
  evaluators said N/A; otherwise the median of the numeric answers (N/A ones left out), and with
  an even count the mean of the two middle answers — two "yes" and two "no" make a benchmark of
  half the points, so nobody is fully aligned where the group did not agree.
- The session's figures: per question the mean alignment over the evaluators, and overall the
  mean of the evaluators' alignments.

Figures are fractions 0..1 here (``Decimal``); pages, the API and the reports show percentages
with 2 decimals (:func:`percent`).
"""

from __future__ import annotations

import statistics
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

ONE, ZERO = Decimal(1), Decimal(0)

# question id → points earned, None for N/A; a question missing from the mapping is unanswered (N/A).
Answers = Mapping[int, Decimal | None]


@dataclass(frozen=True)
class QuestionSpec:
    id: int
    points: Decimal
    weight: Decimal


@dataclass(frozen=True)
class EvaluatorResult:
    alignment: Decimal | None  # None only for a scorecard without questions
    questions: dict[int, Decimal] = field(default_factory=dict)  # question id → alignment 0..1


@dataclass(frozen=True)
class SessionResult:
    benchmark: dict[int, Decimal | None]
    evaluators: dict[Hashable, EvaluatorResult]
    questions: dict[int, Decimal | None]  # question id → mean alignment over the evaluators
    alignment: Decimal | None  # mean of the evaluators' alignments; None without evaluators


def answer_alignment(value: Decimal | None, benchmark: Decimal | None, points: Decimal) -> Decimal:
    """1 − |e − e_benchmark| ÷ p; both N/A → 1, one N/A → 0 (clamped to 0..1)."""
    if value is None and benchmark is None:
        return ONE
    if value is None or benchmark is None:
        return ZERO
    if points <= 0:
        return ONE if Decimal(value) == Decimal(benchmark) else ZERO
    alignment = ONE - abs(Decimal(value) - Decimal(benchmark)) / Decimal(points)
    return min(ONE, max(ZERO, alignment))


def evaluator_alignment(questions: Iterable[QuestionSpec], answers: Answers, benchmark: Answers) -> EvaluatorResult:
    """One evaluator against the benchmark: per question, then weighted by question weight."""
    per_question: dict[int, Decimal] = {}
    weighted = total_weight = ZERO
    for question in questions:
        alignment = answer_alignment(answers.get(question.id), benchmark.get(question.id), question.points)
        per_question[question.id] = alignment
        weighted += question.weight * alignment
        total_weight += question.weight
    if not per_question:
        return EvaluatorResult(alignment=None)
    overall = weighted / total_weight if total_weight > 0 else sum(per_question.values(), ZERO) / len(per_question)
    return EvaluatorResult(alignment=overall, questions=per_question)


def consensus(questions: Iterable[QuestionSpec], answer_sets: Iterable[Answers]) -> dict[int, Decimal | None]:
    """The consensus benchmark: per question N/A if more than half said N/A, else the median of
    the numeric answers (the mean of the two middle ones for an even count)."""
    sets = list(answer_sets)
    benchmark: dict[int, Decimal | None] = {}
    for question in questions:
        values = [answers.get(question.id) for answers in sets]
        numeric = sorted(Decimal(value) for value in values if value is not None)
        not_applicable = len(values) - len(numeric)
        if not numeric or not_applicable * 2 > len(values):
            benchmark[question.id] = None
        else:
            benchmark[question.id] = Decimal(statistics.median(numeric))
    return benchmark


def session_result(
    questions: Iterable[QuestionSpec], benchmark: Answers, evaluations: Mapping[Hashable, Answers]
) -> SessionResult:
    """Every evaluator (keyed as the caller likes: a user id, an evaluation id) against ``benchmark``."""
    question_list = list(questions)
    evaluators = {key: evaluator_alignment(question_list, answers, benchmark) for key, answers in evaluations.items()}
    per_question: dict[int, Decimal | None] = {}
    for question in question_list:
        values = [result.questions[question.id] for result in evaluators.values() if question.id in result.questions]
        per_question[question.id] = sum(values, ZERO) / len(values) if values else None
    alignments = [result.alignment for result in evaluators.values() if result.alignment is not None]
    return SessionResult(
        benchmark={question.id: benchmark.get(question.id) for question in question_list},
        evaluators=evaluators,
        questions=per_question,
        alignment=sum(alignments, ZERO) / len(alignments) if alignments else None,
    )


def percent(value: Decimal | None) -> Decimal | None:
    """A 0..1 alignment as the pages, the API and the reports show it: 0–100, 2 decimals."""
    if value is None:
        return None
    return (Decimal(value) * 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
