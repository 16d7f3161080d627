"""Search terms as PostgreSQL ``tsquery`` text: every term OR-ed, so that a question in a caller's
words still finds the article that shares most of them; the rank decides the order.

Ranking every article that shares one common word with a long question is what costs time
(手机, 申请 are in a third of a large knowledge base), so the search first takes the articles that
share at least two of the question's words or one in their title (:func:`narrow_sql`, through
the same GIN index) and only falls back to any-one-word when that finds too few.
"""

from __future__ import annotations

import itertools

from apps.crm.kb.text import QueryTerms


def quote(term: str) -> str:
    """One lexeme in ``to_tsquery`` syntax: quoted, so operators inside it are plain text."""
    return "'" + term.replace("\\", "\\\\").replace("'", "''") + "'"


def tsquery_parts(terms: QueryTerms) -> list[tuple[str, str]]:
    """``(configuration, tsquery text)`` pairs whose OR is the question; empty for no terms."""
    parts: list[tuple[str, str]] = []
    chinese = [quote(t) for t in terms.chinese] + [quote(t) + ":*" for t in terms.prefixes]
    if chinese:
        parts.append(("simple", " | ".join(chinese)))
    if terms.english:
        parts.append(("english", " | ".join(quote(t) for t in terms.english)))
    return parts


def tsquery_sql(terms: QueryTerms) -> tuple[str, list[str]]:
    """An SQL expression for the query and its parameters (``''::tsquery`` matches nothing)."""
    parts = tsquery_parts(terms)
    if not parts:
        return "''::tsquery", []
    sql = " || ".join(f"to_tsquery('{config}', %s)" for config, _text in parts)
    return sql, [text for _config, text in parts]


PAIR_TERMS_MAX = 10


def narrow_sql(terms: QueryTerms) -> tuple[str, list[str]] | None:
    """The articles worth ranking first, as an SQL tsquery expression: those holding at least two
    of the question's words (a Chinese word is all of its bigrams; every pair of words AND-ed, the
    pairs OR-ed) or one word in their title or tags (weight A). None when the question has no
    whole words (single-character prefixes only: they match too much to narrow anything)."""
    words = [("simple", [quote(g) for g in group]) for group in terms.words]
    words += [("english", [quote(t)]) for t in terms.english]
    if not words:
        return None
    parts: list[str] = []
    params: list[str] = []
    for (first_config, first), (second_config, second) in itertools.combinations(words[:PAIR_TERMS_MAX], 2):
        parts.append(f"(to_tsquery('{first_config}', %s) && to_tsquery('{second_config}', %s))")
        params += [" & ".join(first), " & ".join(second)]
    for config in ("simple", "english"):
        titled = ["(" + " & ".join(f"{lexeme}:A" for lexeme in lexemes) + ")" for c, lexemes in words if c == config]
        if titled:
            parts.append(f"to_tsquery('{config}', %s)")
            params.append(" | ".join(titled))
    return " || ".join(parts), params
