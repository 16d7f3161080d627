"""Reading the knowledge base: ranked search with highlights, the editors' lists, the phrases an
agent is offered today, and what agents look up (for trainers).

Search runs one indexed statement: the stored ``search_vector`` (GIN) is matched against the
question's terms OR-ed together and ranked by ``ts_rank_cd`` with length normalisation, title
and tags weighing more than the body (docs/decisions/0025-kb-search.md). Snippets and
highlights are made in Python for the page of results only.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, Max, Q, QuerySet
from django.utils import timezone
from django.utils.safestring import SafeString

from apps.crm.kb.choices import ArticleStatus, UsageKind
from apps.crm.kb.highlight import highlight, snippet
from apps.crm.kb.markup import plain
from apps.crm.kb.query import narrow_sql, tsquery_sql
from apps.crm.kb.text import QueryTerms, is_cjk, query_terms
from apps.crm.models import Article, ArticleVersion, KbUsage, StandardPhrase

SEARCH_LIMIT_MAX = 50
# When no article shares two words with the question, how many sharing one are ranked at most.
FALLBACK_CANDIDATES = 1000
# ts_rank_cd's normalisation 1: divide by 1 + log(length), so a long article does not win by size.
_RANK = "ts_rank_cd(a.search_vector, q.query, 1)"  # weights: A (title, tags) 1.0, B (body) 0.4


@dataclass(frozen=True)
class SearchHit:
    article: Article
    score: float
    snippet: str  # plain text
    snippet_html: SafeString  # escaped, terms in <mark>
    title_html: SafeString


def _snippet_width(text: str) -> int:
    return 90 if is_cjk(text[:200]) else 180


def search_hits(articles: list[tuple[Article, float]], terms: QueryTerms) -> list[SearchHit]:
    hits = []
    for article, score in articles:
        body = plain(article.body)
        text = snippet(body, terms, width=_snippet_width(body))
        hits.append(
            SearchHit(
                article=article,
                score=round(float(score), 4),
                snippet=text,
                snippet_html=highlight(text, terms),
                title_html=highlight(article.title, terms),
            )
        )
    return hits


def article_search(
    *,
    q: str,
    language: str | None = None,
    category_id: int | None = None,
    statuses: tuple[str, ...] = (ArticleStatus.PUBLISHED,),
    limit: int = 10,
) -> tuple[QueryTerms, list[SearchHit]]:
    """The best ``limit`` articles for the question ``q``, best first, with their scores."""
    terms = query_terms(q or "")
    if not terms:
        return terms, []
    limit = max(1, min(limit, SEARCH_LIMIT_MAX))
    query_sql, params = tsquery_sql(terms)
    where = ["a.status = ANY(%s)"]
    filters: list[Any] = [list(statuses)]
    if language:
        where.append("a.language = %s")
        filters.append(language)
    if category_id:
        where.append("a.category_id = %s")
        filters.append(category_id)
    table = connection.ops.quote_name(Article._meta.db_table)
    ranked: list[tuple[int, float]] = []
    with transaction.atomic(), connection.cursor() as cursor:
        # The planner prices the GIN index high for a question's many OR-ed pairs and scans the
        # table instead, testing every article against the whole query: 2–4 times slower at
        # 10,000 articles (docs/decisions/0025). Off for this transaction's statements, then back.
        cursor.execute("SELECT current_setting('enable_seqscan'), set_config('enable_seqscan', 'off', true)")
        seqscan = cursor.fetchone()[0]
        narrow = narrow_sql(terms)
        if narrow is not None:
            # Only fixed SQL fragments are formatted in; every value is a parameter.
            cursor.execute(
                f"SELECT a.id, {_RANK} AS score FROM {table} a, (SELECT {query_sql} AS query, {narrow[0]} AS pairs) q "  # noqa: S608
                f"WHERE a.search_vector @@ q.pairs AND {' AND '.join(where)} ORDER BY score DESC, a.id DESC LIMIT %s",
                [*params, *narrow[1], *filters, limit],
            )
            ranked = cursor.fetchall()
        if len(ranked) < limit:
            # Too few share two words: any one will do. Ranked among a bounded set of candidates,
            # so that one common word cannot make the search rank half the knowledge base.
            cursor.execute(
                f"SELECT a.id, {_RANK} AS score FROM (SELECT * FROM {table} a, (SELECT {query_sql} AS query) q "  # noqa: S608
                f"WHERE a.search_vector @@ q.query AND {' AND '.join(where)} AND NOT (a.id = ANY(%s)) LIMIT %s) a, "
                f"(SELECT {query_sql} AS query) q ORDER BY score DESC, a.id DESC LIMIT %s",
                [*params, *filters, [pk for pk, _score in ranked], FALLBACK_CANDIDATES, *params, limit - len(ranked)],
            )
            ranked += cursor.fetchall()
        cursor.execute("SELECT set_config('enable_seqscan', %s, true)", [seqscan])
    found = Article.objects.select_related("category").in_bulk([pk for pk, _score in ranked])
    return terms, search_hits([(found[pk], score) for pk, score in ranked if pk in found], terms)


def articles_for_editors(*, filters: dict | None = None) -> QuerySet[Article]:
    """Every article, newest change first, narrowed by the list page's filter bar."""
    filters = filters or {}
    articles = Article.objects.select_related("category", "owner", "updated_by").order_by("-updated_at", "-id")
    if filters.get("status"):
        articles = articles.filter(status=filters["status"])
    if filters.get("language"):
        articles = articles.filter(language=filters["language"])
    if filters.get("category"):
        articles = articles.filter(category=filters["category"])
    if filters.get("tag"):
        articles = articles.filter(tags__contains=[filters["tag"]])
    if filters.get("text"):
        words = filters["text"]
        articles = articles.filter(Q(title__icontains=words) | Q(body__icontains=words))
    if filters.get("due"):
        articles = articles.filter(review_date__lte=timezone.localdate())
    return articles


def articles_due_for_review(*, on: datetime.date | None = None) -> QuerySet[Article]:
    """Articles not archived whose review date has come (the editors' "due for review" list)."""
    on = on or timezone.localdate()
    return (
        Article.objects.select_related("category", "owner")
        .exclude(status=ArticleStatus.ARCHIVED)
        .filter(review_date__lte=on)
        .order_by("review_date", "id")
    )


def article_versions(article: Article) -> QuerySet[ArticleVersion]:
    return article.versions.select_related("edited_by").order_by("-version")


def phrases_offered(*, language: str | None = None, on: datetime.date | None = None) -> QuerySet[StandardPhrase]:
    """Active phrases, holiday greetings only between their dates, in the order editors set."""
    on = on or timezone.localdate()
    phrases = StandardPhrase.objects.filter(active=True).filter(
        Q(active_from__isnull=True) | Q(active_from__lte=on), Q(active_until__isnull=True) | Q(active_until__gte=on)
    )
    if language:
        phrases = phrases.filter(language=language)
    return phrases.order_by("category", "position", "id")


def _since(days: int) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(days=days)


def most_looked_up(*, days: int = 30, limit: int = 20) -> list[dict]:
    """Articles opened most in the last ``days`` days: what agents need most (for trainers)."""
    rows = (
        KbUsage.objects.filter(kind=UsageKind.VIEW, at__gte=_since(days), article__isnull=False)
        .values("article", "article__title", "article__language")
        .annotate(uses=Count("id"), users=Count("user", distinct=True), last=Max("at"))
        .order_by("-uses", "article")[:limit]
    )
    return [
        {
            "article_id": r["article"],
            "title": r["article__title"],
            "language": r["article__language"],
            "uses": r["uses"],
            "users": r["users"],
            "last": r["last"],
        }
        for r in rows
    ]


def top_searches(*, days: int = 30, limit: int = 20, without_results: bool = False) -> list[dict]:
    """The words searched most; with ``without_results``, those that found nothing (gaps in the
    knowledge base a trainer or editor should fill)."""
    searches = KbUsage.objects.filter(kind=UsageKind.SEARCH, at__gte=_since(days)).exclude(query="")
    if without_results:
        searches = searches.filter(result_count=0)
    rows = (
        searches.values("query")
        .annotate(uses=Count("id"), users=Count("user", distinct=True), last=Max("at"))
        .order_by("-uses", "query")[:limit]
    )
    return [dict(row) for row in rows]


def phrases_most_used(*, limit: int = 20) -> QuerySet[StandardPhrase]:
    return StandardPhrase.objects.filter(usage_count__gt=0).order_by("-usage_count", "id")[:limit]


def usage_recent(*, limit: int = 50) -> QuerySet[KbUsage]:
    return KbUsage.objects.select_related("user", "article", "phrase").order_by("-at", "-id")[:limit]
