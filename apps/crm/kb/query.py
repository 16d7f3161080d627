"""Search terms as PostgreSQL ``tsquery`` text: every term OR-ed, so that a question in a caller's
words still finds the article that shares most of them; the rank decides the order."""

from __future__ import annotations

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
