"""The scoring contract (issue 14 item 1) on hand-made scorecards, rule by rule, and on random
ones against a second implementation written here from the issue's words in exact fractions.

No database: apps/qa/scoring.py is plain Python, and these tests hand it plain specs.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from apps.qa import scoring
from apps.qa.scoring import QuestionSpec, SectionSpec

D = Decimal


def q(qid: int, sid: int, points: int, weight: str = "1", critical: str = "none") -> QuestionSpec:
    return QuestionSpec(id=qid, section_id=sid, points=D(points), weight=D(weight), critical=critical)


def s(sid: int, weight: str = "1") -> SectionSpec:
    return SectionSpec(id=sid, weight=D(weight))


# The tests' default form (tests/qa/factories.py), as plain specs.
SECTIONS = [s(1, "1"), s(2, "3")]
QUESTIONS = [
    q(10, 1, 1),
    q(11, 1, 1),
    q(12, 1, 2, critical="section"),
    q(20, 2, 5, "2"),
    q(21, 2, 10),
    q(22, 2, 1, critical="form"),
]


def earned(*values) -> dict[int, Decimal | None]:
    ids = [question.id for question in QUESTIONS]
    return {qid: (None if v is None else D(str(v))) for qid, v in zip(ids, values, strict=True)}


# --- hand-made --------------------------------------------------------------------------------


def test_weighted_sections_and_questions():
    result = scoring.score(SECTIONS, QUESTIONS, earned(1, 0, 2, 3, "7.5", 1))

    # Greeting: (1 + 0 + 2) / (1 + 1 + 2) = 75; Resolution: (3·2 + 7.5 + 1) / (5·2 + 10 + 1) = 14.5/21.
    assert result.sections[1] == D(75)
    assert scoring.display(result.sections[2]) == D("69.05")
    # Overall: (1·75 + 3·69.047…) / 4 = 70.5357…
    assert scoring.display(result.score) == D("70.54")
    assert scoring.stored(result.score) == D("70.5357")
    assert result.critical_failed is False


def test_a_perfect_call_scores_100():
    result = scoring.score(SECTIONS, QUESTIONS, earned(1, 1, 2, 5, 10, 1))
    assert result.score == D(100)
    assert result.sections == {1: D(100), 2: D(100)}


def test_na_removes_the_question_from_both_sums():
    # Without the N/A question 11, Greeting is (0 + 2) / (1 + 2).
    result = scoring.score(SECTIONS, QUESTIONS, earned(0, None, 2, 5, 10, 1))
    assert scoring.display(result.sections[1]) == D("66.67")
    # Overall = (66.67 + 3·100) / 4.
    assert scoring.display(result.score) == D("91.67")


def test_na_is_not_zero():
    with_na = scoring.score(SECTIONS, QUESTIONS, earned(1, None, 2, 5, None, 1))
    with_zero = scoring.score(SECTIONS, QUESTIONS, earned(1, 0, 2, 5, 0, 1))
    assert with_na.score == D(100)
    assert with_zero.score < D(100)


def test_a_section_whose_questions_are_all_na_is_left_out():
    sections = [s(1, "1"), s(2, "1")]
    questions = [q(1, 1, 1), q(2, 2, 4)]
    result = scoring.score(sections, questions, {1: None, 2: D(1)})

    assert result.sections[1] is None
    assert result.sections[2] == D(25)
    # Left out of the overall too: not averaged in as 0 (12.5) nor as 100 (62.5).
    assert result.score == D(25)


def test_nothing_scorable_gives_no_score():
    result = scoring.score(SECTIONS, QUESTIONS, {})
    assert result.score is None
    assert result.sections == {1: None, 2: None}
    assert scoring.display(result.score) is None


def test_a_failed_section_critical_question_zeroes_its_section_only():
    result = scoring.score(SECTIONS, QUESTIONS, earned(1, 1, 0, 5, 10, 1))

    assert result.sections[1] == D(0)
    assert result.sections[2] == D(100)
    assert result.score == D(75)  # (1·0 + 3·100) / 4
    assert result.critical_failed is True
    assert result.failed_questions == (12,)


def test_a_failed_form_critical_question_zeroes_the_overall():
    result = scoring.score(SECTIONS, QUESTIONS, earned(1, 1, 2, 5, 10, 0))

    assert result.score == D(0)
    assert result.sections[1] == D(100)  # the sections keep their own scores
    assert scoring.display(result.sections[2]) == D("95.24")  # 20/21
    assert result.critical_failed is True
    assert result.failed_questions == (22,)


def test_a_critical_question_passed_partly_is_not_failed():
    # A critical question fails only when it earns 0.
    sections = [s(1)]
    questions = [q(1, 1, 5, critical="form"), q(2, 1, 5)]
    result = scoring.score(sections, questions, {1: D("0.5"), 2: D(5)})
    assert result.critical_failed is False
    assert result.score == D(55)


def test_a_critical_question_marked_na_is_not_failed():
    result = scoring.score(SECTIONS, QUESTIONS, earned(1, 1, None, 5, 10, None))
    assert result.critical_failed is False
    assert result.score == D(100)


def test_section_weights_weigh_sections():
    sections = [s(1, "1"), s(2, "4")]
    questions = [q(1, 1, 1), q(2, 2, 1)]
    assert scoring.score(sections, questions, {1: D(1), 2: D(0)}).score == D(20)
    assert scoring.score(sections, questions, {1: D(0), 2: D(1)}).score == D(80)


def test_question_weights_weigh_points():
    # Σ e·w ÷ Σ p·w: a 1-point question of weight 3 counts as much as a 3-point one of weight 1.
    sections = [s(1)]
    questions = [q(1, 1, 1, "3"), q(2, 1, 3, "1")]
    assert scoring.score(sections, questions, {1: D(1), 2: D(0)}).score == D(50)


def test_a_weight_zero_question_counts_for_nothing():
    sections = [s(1)]
    questions = [q(1, 1, 1, "0"), q(2, 1, 1)]
    assert scoring.score(sections, questions, {1: D(0), 2: D(1)}).score == D(100)


def test_a_weight_zero_section_counts_for_nothing_while_others_weigh():
    sections = [s(1, "0"), s(2, "2")]
    questions = [q(1, 1, 1), q(2, 2, 1)]
    result = scoring.score(sections, questions, {1: D(0), 2: D(1)})
    assert result.sections[1] == D(0)
    assert result.score == D(100)


def test_rounding_is_for_display_only():
    sections = [s(1)]
    questions = [q(1, 1, 3)]
    result = scoring.score(sections, questions, {1: D(2)})
    assert result.score != scoring.display(result.score)  # 66.666… kept unrounded
    assert scoring.display(result.score) == D("66.67")
    assert scoring.stored(result.score) == D("66.6667")
    assert scoring.display(D("12.345")) == D("12.35")  # half up


# --- a second implementation, from the words, in exact fractions -----------------------


def reference(sections, questions, answers):
    """Issue 14, item 1, read literally (plus the edge cases apps/qa/scoring.py documents):
    returns (overall, {section: score or None}, critical_failed) as Fractions."""
    section_score: dict[int, Fraction | None] = {}
    any_failed = form_failed = False
    for sid, _weight in sections:
        mine = [x for x in questions if x[1] == sid]
        top = bottom = Fraction(0)
        failed_here = False
        for qid, _sid, points, weight, critical in mine:
            if answers.get(qid) is None:  # N/A or unanswered: out of both sums
                continue
            e = answers[qid]
            top += e * weight
            bottom += points * weight
            if e == 0 and critical != "none":
                any_failed = True
                failed_here = failed_here or critical == "section"
                form_failed = form_failed or critical == "form"
        if failed_here:
            section_score[sid] = Fraction(0)
        elif bottom == 0:
            section_score[sid] = None
        else:
            section_score[sid] = top / bottom * 100
    left = [(weight, section_score[sid]) for sid, weight in sections if section_score[sid] is not None]
    if not left:
        overall = None
    elif sum(weight for weight, _ in left) == 0:
        overall = sum(score for _, score in left) / len(left)
    else:
        overall = sum(weight * score for weight, score in left) / sum(weight for weight, _ in left)
    if form_failed:
        overall = Fraction(0)
    return overall, section_score, any_failed


WEIGHTS = st.sampled_from(["0", "0.5", "1", "1", "2", "3.25", "10"])


@st.composite
def forms(draw):
    """A random scorecard and random answers to it (values of the right kind, N/A, unanswered)."""
    sections, questions, answers = [], [], {}
    qid = 0
    for sid in range(1, draw(st.integers(1, 4)) + 1):
        sections.append((sid, Fraction(draw(WEIGHTS))))
        for _ in range(draw(st.integers(1, 5))):
            qid += 1
            kind = draw(st.sampled_from(["yes_no", "scale", "points"]))
            points = draw(st.integers(1, 10))
            critical = draw(st.sampled_from(["none", "none", "none", "section", "form"]))
            questions.append((qid, sid, points, Fraction(draw(WEIGHTS)), critical))
            answer = draw(st.sampled_from(["value", "value", "value", "na", "missing"]))
            if answer == "na":
                answers[qid] = None
            elif answer == "value":
                if kind == "yes_no":
                    answers[qid] = Fraction(draw(st.sampled_from([0, points])))
                elif kind == "scale":
                    answers[qid] = Fraction(draw(st.integers(0, points)))
                else:
                    answers[qid] = Fraction(draw(st.integers(0, points * 100)), 100)
    return sections, questions, answers


def _dec(value: Fraction) -> Decimal:
    return D(value.numerator) / D(value.denominator)


@settings(max_examples=400, deadline=None)
@given(forms())
def test_random_scorecards_agree_with_the_second_implementation(form):
    sections, questions, answers = form
    result = scoring.score(
        [SectionSpec(id=sid, weight=_dec(weight)) for sid, weight in sections],
        [
            QuestionSpec(id=qid, section_id=sid, points=D(points), weight=_dec(weight), critical=critical)
            for qid, sid, points, weight, critical in questions
        ],
        {qid: (None if value is None else _dec(value)) for qid, value in answers.items()},
    )
    overall, section_scores, failed = reference(sections, questions, answers)

    tolerance = Fraction(1, 10**18)  # Decimal divides to 28 digits; the reference is exact
    if overall is None:
        assert result.score is None
    else:
        assert result.score is not None
        assert abs(Fraction(result.score) - overall) < tolerance
        assert 0 <= result.score <= 100 + D("1e-18")
    assert set(result.sections) == set(section_scores)
    for sid, expected in section_scores.items():
        got = result.sections[sid]
        assert (got is None) == (expected is None)
        if expected is not None and got is not None:
            assert abs(Fraction(got) - expected) < tolerance
    assert result.critical_failed is failed
