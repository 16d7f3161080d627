"""Grading rules for exam questions: plain Python, no models (one source for the API, the pages and
the tests).

- single choice and true/false: right when exactly the one correct option is chosen;
- multiple choice: all or nothing — right only when the chosen set equals the correct set
  (no partial credit, so guessing every option earns nothing);
- short answer: not graded here; it waits for a trainer (``Graded.awaiting``);
- an unanswered question scores 0.

The attempt's score is the points awarded over the points possible, as a percentage rounded half
up to two decimals; it passes when the score is at least the exam's pass mark.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

SINGLE = "single"
MULTIPLE = "multiple"
TRUE_FALSE = "true_false"
SHORT_ANSWER = "short_answer"
CHOICE_KINDS = frozenset({SINGLE, MULTIPLE, TRUE_FALSE})
KINDS = CHOICE_KINDS | {SHORT_ANSWER}
MAX_OPTIONS = 20
MAX_OPTION_CHARS = 500
MAX_POINTS = 100


@dataclass(frozen=True)
class Graded:
    points: Decimal | None  # None: awaiting a trainer
    correct: bool | None

    @property
    def awaiting(self) -> bool:
        return self.points is None


def _is_index(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def question_errors(kind: Any, options: Any, answer: Any, points: Any) -> dict[str, str]:
    """What is wrong with a question as authored (empty: nothing). Messages are codes the caller translates."""
    errors: dict[str, str] = {}
    if kind not in KINDS:
        return {"kind": "kind"}
    if not _is_index(points) or not 1 <= points <= MAX_POINTS:
        errors["points"] = "points"
    if kind == SHORT_ANSWER:
        if options not in (None, []):
            errors["options"] = "no_options"
        if answer not in (None, []):
            errors["answer"] = "no_answer"
        return errors
    if (
        not isinstance(options, list)
        or not all(isinstance(option, str) and option.strip() and len(option) <= MAX_OPTION_CHARS for option in options)
        or len(options) > MAX_OPTIONS
    ):
        errors["options"] = "options"
        return errors
    if len(options) < 2 or (kind == TRUE_FALSE and len(options) != 2):
        errors["options"] = "options_count"
        return errors
    if (
        not isinstance(answer, list)
        or not answer
        or not all(_is_index(index) and 0 <= index < len(options) for index in answer)
        or len(set(answer)) != len(answer)
        or (kind in (SINGLE, TRUE_FALSE) and len(answer) != 1)
    ):
        errors["answer"] = "answer"
    return errors


def choice_errors(kind: str, option_count: int, choice: Any) -> str | None:
    """Why a taker's ``choice`` cannot be read (None: it can). An empty list is "not answered"."""
    if kind == SHORT_ANSWER:
        return None if choice in (None, []) else "no_choice"
    if not isinstance(choice, list) or not all(_is_index(index) for index in choice):
        return "choice"
    if len(set(choice)) != len(choice) or not all(0 <= index < option_count for index in choice):
        return "choice"
    if kind in (SINGLE, TRUE_FALSE) and len(choice) > 1:
        return "one_choice"
    return None


def grade(kind: str, answer: Sequence[int], points: int, choice: Sequence[int]) -> Graded:
    """The points ``choice`` earns on a question of ``kind`` whose correct options are ``answer``."""
    if kind == SHORT_ANSWER:
        return Graded(points=None, correct=None)
    right = bool(choice) and set(choice) == set(answer)
    if kind in (SINGLE, TRUE_FALSE):
        right = right and len(choice) == 1
    return Graded(points=Decimal(points) if right else Decimal(0), correct=right)


def score_percent(awarded: Decimal, possible: int) -> Decimal:
    """Awarded over possible, in percent, two decimals (0 when nothing could be scored)."""
    if possible <= 0:
        return Decimal("0.00")
    return (Decimal(awarded) * 100 / Decimal(possible)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def is_pass(score: Decimal, pass_percent: int) -> bool:
    return score >= Decimal(pass_percent)
