"""Typing-test arithmetic: characters per minute and accuracy, for Chinese and English alike.

How characters are counted — one rule for both languages, so that the hiring bar ("30 characters a
minute at 90% accuracy", 每分钟30字) reads the same on a Chinese and an English passage:

- every Unicode character counts as one: a CJK ideograph (typed through an input method) counts
  exactly like a Latin letter, a digit or a punctuation mark, full-width or half-width;
- whitespace is normalised first: line breaks and tabs become spaces and runs of spaces become one,
  and leading/trailing whitespace is dropped, so pressing Enter twice is not two characters;
- CPM is the characters typed (after normalising) per minute of the time actually used (capped at
  the test's duration; a taker who submits early is not penalised for the unused time), rounded to
  one decimal;
- accuracy compares the typed text with the start of the passage by edit distance
  (Levenshtein, per character): ``(typed − errors) / typed``, where errors are the substitutions,
  insertions and deletions needed to turn what was typed into the same length of passage. A taker who
  types less of the passage is not marked down for the rest; typing nothing is 0% accuracy.

A result passes when CPM ≥ the test's ``pass_cpm`` and accuracy ≥ its ``pass_accuracy``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

_SPACES = re.compile(r"\s+")
MAX_TYPED_CHARS = 20_000


def normalise(text: str) -> str:
    """NFC, whitespace runs to one space, trimmed (full-width spaces are whitespace too)."""
    return _SPACES.sub(" ", unicodedata.normalize("NFC", text or "")).strip()


def _distance(a: str, b: str) -> int:
    """Levenshtein distance, two rows of memory (the passage is at most a few thousand characters)."""
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i]
        for j, char_b in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b)))
        previous = current
    return previous[-1]


@dataclass(frozen=True)
class TypingResult:
    characters: int
    cpm: Decimal
    accuracy: Decimal
    passed: bool


def typing_result(
    *, passage: str, typed: str, seconds_used: float, duration_seconds: int, pass_cpm: int, pass_accuracy: int
) -> TypingResult:
    typed_n = normalise(typed)[:MAX_TYPED_CHARS]
    target = normalise(passage)
    characters = len(typed_n)
    minutes = max(1.0, min(float(seconds_used), float(duration_seconds))) / 60
    cpm = (Decimal(characters) / Decimal(str(minutes))).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    if characters == 0:
        accuracy = Decimal("0.00")
    else:
        errors = min(characters, _distance(typed_n, target[:characters]))
        accuracy = (Decimal(characters - errors) * 100 / characters).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return TypingResult(
        characters=characters,
        cpm=cpm,
        accuracy=accuracy,
        passed=cpm >= pass_cpm and accuracy >= pass_accuracy,
    )
