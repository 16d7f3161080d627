"""Grading rules (apps/training/grading.py) and the typing-test arithmetic (apps/training/typing_speed.py)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from apps.training import grading
from apps.training.typing_speed import normalise, typing_result


@pytest.mark.parametrize(
    ("kind", "answer", "choice", "points"),
    [
        ("single", [1], [1], 2),
        ("single", [1], [0], 0),
        ("single", [1], [], 0),
        ("single", [1], [1, 0], 0),
        ("true_false", [0], [0], 2),
        ("true_false", [0], [1], 0),
        ("multiple", [0, 2], [2, 0], 2),
        ("multiple", [0, 2], [0], 0),  # all or nothing: a partial answer earns nothing
        ("multiple", [0, 2], [0, 1, 2], 0),  # choosing every option earns nothing
        ("multiple", [0, 2], [], 0),
    ],
)
def test_choice_questions_are_graded_all_or_nothing(kind, answer, choice, points):
    graded = grading.grade(kind, answer, 2, choice)
    assert graded.points == Decimal(points)
    assert graded.correct is (points > 0)


def test_a_short_answer_waits_for_a_trainer():
    graded = grading.grade("short_answer", [], 3, [])
    assert graded.awaiting
    assert graded.points is None


def test_score_is_a_rounded_percentage_and_the_pass_mark_is_inclusive():
    assert grading.score_percent(Decimal(2), 3) == Decimal("66.67")
    assert grading.score_percent(Decimal(0), 0) == Decimal("0.00")
    assert grading.is_pass(Decimal("80.00"), 80)
    assert not grading.is_pass(Decimal("79.99"), 80)


@pytest.mark.parametrize(
    ("kind", "options", "answer", "points", "field"),
    [
        ("single", ["a"], [0], 1, "options"),
        ("single", ["a", "b"], [0, 1], 1, "answer"),
        ("single", ["a", "b"], [2], 1, "answer"),
        ("multiple", ["a", "b"], [], 1, "answer"),
        ("multiple", ["a", "b"], [0, 0], 1, "answer"),
        ("true_false", ["a", "b", "c"], [0], 1, "options"),
        ("single", ["a", "b"], [True], 1, "answer"),
        ("single", ["a", "b"], [0], 0, "points"),
        ("short_answer", ["a"], [], 1, "options"),
        ("essay", [], [], 1, "kind"),
    ],
)
def test_badly_authored_questions_are_refused(kind, options, answer, points, field):
    assert field in grading.question_errors(kind, options, answer, points)


def test_a_choice_outside_the_options_cannot_be_read():
    assert grading.choice_errors("single", 3, [3]) == "choice"
    assert grading.choice_errors("single", 3, [0, 1]) == "one_choice"
    assert grading.choice_errors("multiple", 3, [0, 1]) is None
    assert grading.choice_errors("multiple", 3, "0") == "choice"


def test_typing_counts_a_chinese_character_like_a_latin_letter():
    zh = typing_result(
        passage="您好，欢迎致电客户服务中心。",
        typed="您好，欢迎致电客户服务中心。",
        seconds_used=30,
        duration_seconds=60,
        pass_cpm=30,
        pass_accuracy=90,
    )
    en = typing_result(
        passage="Hello, welcome!",
        typed="Hello, welcome!",
        seconds_used=30,
        duration_seconds=60,
        pass_cpm=30,
        pass_accuracy=90,
    )
    assert zh.characters == 14 and zh.cpm == Decimal("28.0") and zh.accuracy == Decimal("100.00")
    assert not zh.passed  # 28 characters a minute: under the hiring bar of 30
    assert en.characters == 15 and en.cpm == Decimal("30.0") and en.passed


def test_typing_accuracy_is_by_edit_distance_over_what_was_typed():
    result = typing_result(
        passage="The quick brown fox jumps",
        typed="The quick brwn fix",
        seconds_used=60,
        duration_seconds=60,
        pass_cpm=10,
        pass_accuracy=90,
    )
    # "The quick brwn fix" (18 chars) against "The quick brown fo" (the passage's first 18): 3 edits.
    assert result.characters == 18
    assert result.accuracy == Decimal("83.33")
    assert not result.passed


def test_typing_whitespace_runs_count_once_and_time_is_capped_at_the_duration():
    assert normalise("a \n\n b\u3000c ") == "a b c"
    late = typing_result(
        passage="abc", typed="abc", seconds_used=600, duration_seconds=60, pass_cpm=1, pass_accuracy=90
    )
    assert late.cpm == Decimal("3.0")
    nothing = typing_result(passage="abc", typed="", seconds_used=5, duration_seconds=60, pass_cpm=1, pass_accuracy=0)
    assert nothing.accuracy == Decimal("0.00") and not nothing.passed
