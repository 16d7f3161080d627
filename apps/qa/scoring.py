"""The scoring contract of a scorecard (issue 14 item 1; docs/qa.md states it for users).

Plain Python, no models: the services, the live score on the evaluation page (which asks the
server, never a copy in JavaScript), the reports and the tests all go through :func:`score`.

- a question earns e ≤ p points (yes = p, no = 0); N/A removes it from both sums;
- section score S = Σ e·w ÷ Σ p·w × 100 over its non-N/A questions; a section whose questions are
  all N/A (or unanswered) is left out;
- overall = Σ W·S ÷ Σ W over the sections left (W = the section's weight);
- a critical question is *failed* when it earns 0: ``section`` sets its section's S to 0,
  ``form`` sets the overall score to 0;
- scores are rounded to 2 decimals only for display and the API (:func:`display`).

Edge cases the contract leaves open, decided here: a section whose Σ p·w is 0 (every answered
question has weight 0) is left out like an all-N/A one; when the sections left have Σ W = 0 the
overall score is their plain mean; an unanswered question counts as N/A (a draft may be partial,
and submitting requires every non-N/A question to be answered — apps/qa/services/evaluations.py);
a failed form-critical question sets the overall to 0 even when nothing else is scorable.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

HUNDRED = Decimal(100)
CRITICAL_NONE, CRITICAL_SECTION, CRITICAL_FORM = "none", "section", "form"


@dataclass(frozen=True)
class QuestionSpec:
    id: int
    section_id: int
    points: Decimal
    weight: Decimal
    critical: str = CRITICAL_NONE


@dataclass(frozen=True)
class SectionSpec:
    id: int
    weight: Decimal


@dataclass(frozen=True)
class Result:
    score: Decimal | None  # None when nothing is scorable
    sections: dict[int, Decimal | None] = field(default_factory=dict)  # None: the section is left out
    critical_failed: bool = False
    failed_questions: tuple[int, ...] = ()  # critical questions that earned 0


def score(
    sections: Iterable[SectionSpec],
    questions: Iterable[QuestionSpec],
    earned: Mapping[int, Decimal | None],
) -> Result:
    """Score one evaluation. ``earned`` maps a question id to the points it earned, or None for
    N/A; a question missing from it is unanswered (treated as N/A)."""
    section_list = list(sections)
    by_section: dict[int, list[QuestionSpec]] = {s.id: [] for s in section_list}
    for question in questions:
        by_section.setdefault(question.section_id, []).append(question)

    section_scores: dict[int, Decimal | None] = {}
    failed: list[int] = []
    form_failed = False
    for section in section_list:
        numerator = denominator = Decimal(0)
        section_failed = False
        for question in by_section.get(section.id, []):
            value = earned.get(question.id)
            if value is None:
                continue
            numerator += Decimal(value) * question.weight
            denominator += question.points * question.weight
            if question.critical != CRITICAL_NONE and Decimal(value) == 0:
                failed.append(question.id)
                if question.critical == CRITICAL_FORM:
                    form_failed = True
                else:
                    section_failed = True
        if denominator == 0 and not section_failed:
            section_scores[section.id] = None
        elif section_failed:
            section_scores[section.id] = Decimal(0)
        else:
            section_scores[section.id] = numerator / denominator * HUNDRED

    kept = [(s, section_scores[s.id]) for s in section_list if section_scores[s.id] is not None]
    overall: Decimal | None
    if not kept:
        overall = None
    else:
        total_weight = sum((s.weight for s, _ in kept), Decimal(0))
        if total_weight == 0:
            overall = sum((v for _, v in kept if v is not None), Decimal(0)) / len(kept)
        else:
            overall = sum((s.weight * v for s, v in kept if v is not None), Decimal(0)) / total_weight
    if form_failed:
        overall = Decimal(0)
    return Result(
        score=overall,
        sections=section_scores,
        critical_failed=bool(failed),
        failed_questions=tuple(failed),
    )


def display(value: Decimal | None) -> Decimal | None:
    """A score as the API and the pages show it: 2 decimals, half up."""
    if value is None:
        return None
    return Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def stored(value: Decimal | None) -> Decimal | None:
    """A score as the database keeps it (4 decimals), so that reports can average unrounded."""
    if value is None:
        return None
    return Decimal(value).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
