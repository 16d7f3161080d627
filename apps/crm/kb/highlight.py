"""Snippets and highlights of search results: escape first, then mark.

The text is an agent's or an editor's words, so every piece of it is HTML-escaped and only the
``<mark>`` tags this module adds are markup; a term that contains ``<`` cannot open a tag.
"""

from __future__ import annotations

import re

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from apps.crm.kb.text import QueryTerms, is_cjk, stem_prefix

Span = tuple[int, int]


def term_spans(text: str, terms: QueryTerms) -> list[Span]:
    """Where the terms occur in ``text``: Chinese words as they are, English words by their stem
    (refunds marks "refund" and "refunded"). Overlaps merged, in order."""
    spans: list[Span] = []
    lowered = text.lower()
    for word in [*terms.chinese, *terms.prefixes]:
        start = lowered.find(word)
        while start >= 0:
            spans.append((start, start + len(word)))
            start = lowered.find(word, start + len(word))
    for word in terms.english:
        if is_cjk(word):
            continue
        stem = re.escape(stem_prefix(word))
        spans.extend(m.span() for m in re.finditer(rf"(?<![a-z0-9]){stem}[a-z0-9]*", lowered))
    spans.sort()
    merged: list[Span] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def highlight(text: str, terms: QueryTerms) -> SafeString:
    """``text`` escaped, with each term occurrence in ``<mark>``."""
    parts: list[str] = []
    position = 0
    for start, end in term_spans(text, terms):
        parts.append(escape(text[position:start]))
        parts.append(f"<mark>{escape(text[start:end])}</mark>")
        position = end
    parts.append(escape(text[position:]))
    return mark_safe("".join(parts))  # noqa: S308 -- every piece above is escaped


def snippet(text: str, terms: QueryTerms, *, width: int = 120) -> str:
    """A window of ``width`` characters of plain text around the first place the terms cluster.

    Chinese needs fewer characters than English for the same sense: callers pass the width.
    """
    text = " ".join(text.split())
    if len(text) <= width:
        return text
    spans = term_spans(text, terms)
    if not spans:
        return text[:width].rstrip() + "…"
    # The window that holds most matches, starting a little before one of them.
    best_start, best_count = 0, -1
    for start, _end in spans:
        begin = max(0, start - width // 4)
        count = sum(1 for s, e in spans if s >= begin and e <= begin + width)
        if count > best_count:
            best_start, best_count = begin, count
    begin = min(best_start, max(0, len(text) - width))
    piece = text[begin : begin + width].strip()
    return ("…" if begin > 0 else "") + piece + ("…" if begin + width < len(text) else "")
