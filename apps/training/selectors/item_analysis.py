"""Exam item analysis (issue 16 item 5), as in classical test theory and Moodle's quiz statistics.

- **Facility** of a question: the share of the attempts that were given it which answered it
  correctly (0–1; shown as a percentage).
- **Discrimination index** D: rank the attempts by their total score; the upper group is the top
  27% and the lower group the bottom 27% (at least one attempt each; ``ceil`` of 27% so that small
  exams still have groups, and the groups never overlap: each is at most half of the attempts).
  D = (share correct in the upper group) − (share correct in the lower group), each share among the
  group's attempts that were given the question (random draws give different attempts different
  questions). D runs from −1 to 1; a question with nobody of a group given it has no D.

The arithmetic is :func:`item_statistics`, a plain function tested on hand-made data; the
selector feeds it the submitted, fully graded attempts of an exam.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from apps.training.choices import AttemptStatus
from apps.training.models import Attempt, AttemptAnswer, Exam, Question

GROUP_SHARE = 0.27


def group_size(count: int) -> int:
    if count < 2:
        return 0
    return min(max(1, math.ceil(count * GROUP_SHARE)), count // 2)


def _share(rows: Sequence[Mapping[int, bool]], question: int) -> float | None:
    given = [row[question] for row in rows if question in row]
    return sum(given) / len(given) if given else None


def item_statistics(attempts: Sequence[tuple[float, Mapping[int, bool]]]) -> dict[int, dict[str, Any]]:
    """``attempts``: (total score, {question id: answered correctly}) per attempt → per question:
    given, correct, facility (0–1), upper/lower shares and the discrimination index."""
    ranked = sorted(attempts, key=lambda row: row[0], reverse=True)
    k = group_size(len(ranked))
    upper = [row[1] for row in ranked[:k]]
    lower = [row[1] for row in ranked[len(ranked) - k :]] if k else []
    questions: set[int] = set()
    for _score, answers in ranked:
        questions |= set(answers)
    out: dict[int, dict[str, Any]] = {}
    for question in sorted(questions):
        given = [answers[question] for _score, answers in ranked if question in answers]
        correct = sum(given)
        high, low = _share(upper, question), _share(lower, question)
        out[question] = {
            "given": len(given),
            "correct": correct,
            "facility": correct / len(given) if given else None,
            "upper": high,
            "lower": low,
            "discrimination": round(high - low, 4) if high is not None and low is not None else None,
        }
    return out


def exam_item_analysis(exam: Exam, *, since=None, until=None) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    """The exam's questions with their statistics over its submitted attempts (awaiting-grading ones
    wait: an ungraded short answer is neither right nor wrong yet)."""
    attempts = Attempt.objects.filter(exam=exam, status=AttemptStatus.SUBMITTED, score_percent__isnull=False)
    if since is not None:
        attempts = attempts.filter(submitted_at__gte=since)
    if until is not None:
        attempts = attempts.filter(submitted_at__lt=until)
    scores = {pk: float(score) for pk, score in attempts.values_list("pk", "score_percent") if score is not None}
    answers: dict[int, dict[int, bool]] = {pk: {} for pk in scores}
    given: dict[int, list[int]] = dict(attempts.values_list("pk", "question_ids"))
    for attempt_id, question_ids in given.items():
        for question_id in question_ids or []:
            answers[attempt_id][question_id] = False  # given and unanswered counts as wrong
    for attempt_id, question_id, correct in AttemptAnswer.objects.filter(attempt_id__in=list(scores)).values_list(
        "attempt_id", "question_id", "is_correct"
    ):
        answers[attempt_id][question_id] = bool(correct)
    stats = item_statistics([(scores[pk], answers[pk]) for pk in scores])
    texts = dict(Question.objects.filter(pk__in=list(stats)).values_list("pk", "text"))
    rows = []
    for question_id, figures in stats.items():
        rows.append(
            {
                "exam": exam.title,
                "question_id": question_id,
                "question": texts.get(question_id, ""),
                "attempts": len(scores),
                **figures,
            }
        )
    return rows
