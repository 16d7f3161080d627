"""``/api/v1/kb/…``: knowledge-base articles, search, categories and standard phrases.

Thin: apps/crm/services/kb.py validates (400 ``invalid`` with every field message, nothing
written) and versions; apps/crm/selectors/kb.py searches. Everyone in the company reads
published articles and searches them; trainers, supervisors and administrators write and also
read drafts and archived articles. Reads here leave no usage record: the desk and the pages do.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.api.pagination import Pagination
from apps.core.api.permissions import HasRole
from apps.core.errors import ApplicationError, NotFoundError
from apps.crm.kb.choices import ArticleLanguage, ArticleStatus
from apps.crm.models import Article, ArticleCategory, StandardPhrase
from apps.crm.roles import READ_ROLES
from apps.crm.selectors.kb import (
    SEARCH_LIMIT_MAX,
    article_search,
    article_versions,
    articles_for_editors,
    phrases_offered,
)
from apps.crm.services.kb import (
    KB_EDITOR_ROLES,
    article_create,
    article_update,
    category_create,
    phrase_create,
    phrase_update,
    phrase_used,
)

ID_MAX = 2**63 - 1
ARTICLE_FIELDS = ("title", "body", "tags", "language", "category", "status", "review_date", "note")


def _person(user) -> dict | None:
    return None if user is None else {"id": user.pk, "name": user.get_full_name() or user.email}


def article_data(article: Article, *, with_body: bool = True) -> dict:
    data = {
        "id": article.pk,
        "title": article.title,
        "tags": list(article.tags),
        "language": article.language,
        "category": article.category_id,
        "category_name": article.category.name if article.category else None,
        "status": article.status,
        "version": article.version,
        "review_date": article.review_date.isoformat() if article.review_date else None,
        "owner": _person(article.owner),
        "created_at": article.created_at.isoformat(),
        "updated_at": article.updated_at.isoformat(),
        "lookup_count": article.lookup_count,
    }
    if with_body:
        data["body"] = article.body
    return data


def phrase_data(phrase: StandardPhrase) -> dict:
    return {
        "id": phrase.pk,
        "category": phrase.category,
        "text": phrase.text,
        "language": phrase.language,
        "active": phrase.active,
        "active_from": phrase.active_from.isoformat() if phrase.active_from else None,
        "active_until": phrase.active_until.isoformat() if phrase.active_until else None,
        "position": phrase.position,
        "usage_count": phrase.usage_count,
    }


def _body(request) -> dict:
    return request.data if isinstance(request.data, dict) else {}


def _is_editor(user) -> bool:
    return user.has_role(*KB_EDITOR_ROLES)


def _article(request, pk: int) -> Article:
    """The article if this user may read it: editors any, everyone else published ones (404 else)."""
    if pk > ID_MAX:  # a path id PostgreSQL's bigint cannot hold names no article
        raise NotFoundError("not_found", _("No such article."))
    articles = Article.objects.select_related("category", "owner")
    if not _is_editor(request.user):
        articles = articles.filter(status=ArticleStatus.PUBLISHED)
    article = articles.filter(pk=pk).first()
    if article is None:
        raise NotFoundError("not_found", _("No such article."))
    return article


def _invalid(field: str, message: str) -> ApplicationError:
    return ApplicationError("invalid", message, fields={field: [message]})


def _language_param(request) -> str | None:
    language = request.query_params.get("language") or None
    if language and language not in ArticleLanguage.values:
        raise _invalid("language", _("Choose one of: %(values)s.") % {"values": ", ".join(ArticleLanguage.values)})
    return language


class ArticleListView(APIView):
    permission_classes = [HasRole.of(*KB_EDITOR_ROLES, read=READ_ROLES)]

    @extend_schema(
        parameters=[
            OpenApiParameter("status", str, description="draft|published|archived (editors; others: published)"),
            OpenApiParameter("language", str, description="zh-hans|en"),
            OpenApiParameter("category", int),
            OpenApiParameter("tag", str),
            OpenApiParameter("due", bool, description="only articles whose review date has come"),
        ],
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request):
        """Articles, most recently changed first (paginated, without their bodies)."""
        params = request.query_params
        filters = {name: params.get(name) for name in ("status", "language", "category", "tag", "due")}
        if filters["status"] and filters["status"] not in ArticleStatus.values:
            raise _invalid("status", _("Choose one of: %(values)s.") % {"values": ", ".join(ArticleStatus.values)})
        _language_param(request)
        if filters["category"]:
            try:
                filters["category"] = int(filters["category"])
            except ValueError as error:
                raise _invalid("category", _("Give a whole number.")) from error
            if not 0 < filters["category"] <= ID_MAX:
                filters["category"] = -1  # no such category: an empty list
        filters["due"] = (filters["due"] or "").lower() in ("1", "true", "on", "yes")
        if not _is_editor(request.user):
            filters["status"] = ArticleStatus.PUBLISHED
        paginator = Pagination()
        page = paginator.paginate_queryset(articles_for_editors(filters=filters), request, view=self)
        return paginator.get_paginated_response([article_data(a, with_body=False) for a in page or []])

    @extend_schema(request=OpenApiTypes.OBJECT, responses={201: OpenApiTypes.OBJECT})
    def post(self, request):
        """``{"title", "body", "tags": [..], "language": "zh-hans|en", "category"?: id,
        "status"?: "published|draft|archived" (default published), "review_date"?: "YYYY-MM-DD"}``
        → 201 with the article (``version`` 1). The body is plain text with a small Markdown
        subset, never HTML."""
        body = _body(request)
        article = article_create(
            actor=request.user,
            title=body.get("title"),
            body=body.get("body"),
            language=body.get("language"),
            tags=body.get("tags"),
            category=body.get("category"),
            status=body.get("status") or ArticleStatus.PUBLISHED,
            review_date=body.get("review_date"),
            note=body.get("note") or "",
        )
        return Response(article_data(article), status=status.HTTP_201_CREATED)


class ArticleDetailView(APIView):
    permission_classes = [HasRole.of(*KB_EDITOR_ROLES, read=READ_ROLES)]

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request, pk: int):
        return Response(article_data(_article(request, pk)))

    def _update(self, request, pk: int, *, partial: bool) -> Response:
        body = _body(request)
        article = _article(request, pk)
        if partial:
            changes = {name: body[name] for name in ARTICLE_FIELDS if name in body and name != "note"}
        else:
            changes = {name: body.get(name) for name in ("title", "body", "tags", "language")}
            changes.update({name: body[name] for name in ("category", "status", "review_date") if name in body})
        article = article_update(actor=request.user, article=article, note=body.get("note") or "", **changes)
        return Response(article_data(article))

    @extend_schema(request=OpenApiTypes.OBJECT, responses={200: OpenApiTypes.OBJECT})
    def put(self, request, pk: int):
        """Replace title, body, tags and language (and category, status, review_date if given):
        a change makes the next version."""
        return self._update(request, pk, partial=False)

    @extend_schema(request=OpenApiTypes.OBJECT, responses={200: OpenApiTypes.OBJECT})
    def patch(self, request, pk: int):
        """Change only the fields given."""
        return self._update(request, pk, partial=True)


class ArticleVersionsView(APIView):
    permission_classes = [HasRole.of(*KB_EDITOR_ROLES)]

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request, pk: int):
        """Every saved version, newest first, with who saved it and the change note."""
        article = _article(request, pk)
        return Response(
            {
                "results": [
                    {
                        "version": v.version,
                        "title": v.title,
                        "body": v.body,
                        "tags": list(v.tags),
                        "language": v.language,
                        "status": v.status,
                        "note": v.note,
                        "edited_by": _person(v.edited_by),
                        "created_at": v.created_at.isoformat(),
                    }
                    for v in article_versions(article)
                ]
            }
        )


class SearchView(APIView):
    permission_classes = [HasRole.of(read=READ_ROLES)]

    @extend_schema(
        parameters=[
            OpenApiParameter("q", str, required=True, description="the question, in Chinese or English"),
            OpenApiParameter("language", str, description="zh-hans|en; both when absent"),
            OpenApiParameter("category", int),
            OpenApiParameter("limit", int, description=f"1–{SEARCH_LIMIT_MAX}, default 10"),
        ],
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request):
        """Published articles ranked best first: ``{"results": [{"id", "title", "snippet", "score",
        "snippet_html", "language", "category", "tags"}]}``. ``snippet`` is plain text; ``snippet_html``
        is the same text HTML-escaped with the matched words in ``<mark>``."""
        q = (request.query_params.get("q") or "").strip()
        if not q:
            raise _invalid("q", _("Type what you are looking for."))
        if len(q) > 200:
            raise _invalid("q", _("At most %(n)d characters.") % {"n": 200})
        language = _language_param(request)
        try:
            limit = int(request.query_params.get("limit") or 10)
        except ValueError as error:
            raise _invalid("limit", _("Give a whole number.")) from error
        try:
            category = int(request.query_params["category"]) if request.query_params.get("category") else None
        except ValueError as error:
            raise _invalid("category", _("Give a whole number.")) from error
        if category is not None and not 0 < category <= ID_MAX:
            category = -1  # no such category: nothing found
        if not 1 <= limit <= SEARCH_LIMIT_MAX:
            raise _invalid("limit", _("Give a number from 1 to %(n)d.") % {"n": SEARCH_LIMIT_MAX})
        _terms, hits = article_search(q=q, language=language, category_id=category, limit=limit)
        return Response(
            {
                "results": [
                    {
                        "id": hit.article.pk,
                        "title": hit.article.title,
                        "snippet": hit.snippet,
                        "score": hit.score,
                        "snippet_html": str(hit.snippet_html),
                        "language": hit.article.language,
                        "category": hit.article.category.name if hit.article.category else None,
                        "tags": list(hit.article.tags),
                    }
                    for hit in hits
                ]
            }
        )


class CategoryListView(APIView):
    permission_classes = [HasRole.of(*KB_EDITOR_ROLES, read=READ_ROLES)]

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request):
        return Response(
            {"results": [{"id": c.pk, "name": c.name, "position": c.position} for c in ArticleCategory.objects.all()]}
        )

    @extend_schema(request=OpenApiTypes.OBJECT, responses={201: OpenApiTypes.OBJECT})
    def post(self, request):
        """``{"name", "position"?}`` → 201."""
        body = _body(request)
        category = category_create(actor=request.user, name=body.get("name"), position=body.get("position") or 0)
        return Response({"id": category.pk, "name": category.name, "position": category.position}, status=201)


PHRASE_FIELDS = ("category", "text", "language", "active", "active_from", "active_until", "position")


class PhraseListView(APIView):
    permission_classes = [HasRole.of(*KB_EDITOR_ROLES, read=READ_ROLES)]

    @extend_schema(
        parameters=[
            OpenApiParameter("language", str, description="zh-hans|en"),
            OpenApiParameter("all", bool, description="editors: inactive and out-of-date phrases too"),
        ],
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request):
        """The phrases offered today (holiday greetings between their dates), or every phrase
        for editors with ``?all=1``."""
        language = _language_param(request)
        if request.query_params.get("all") and _is_editor(request.user):
            phrases = StandardPhrase.objects.all()
            if language:
                phrases = phrases.filter(language=language)
        else:
            phrases = phrases_offered(language=language)
        return Response({"results": [phrase_data(p) for p in phrases]})

    @extend_schema(request=OpenApiTypes.OBJECT, responses={201: OpenApiTypes.OBJECT})
    def post(self, request):
        """``{"category": "greeting|verify|hold|apology|transfer|closing|holiday|other", "text",
        "language", "active"?, "active_from"?, "active_until"?, "position"?}`` → 201."""
        body = _body(request)
        data = {name: body[name] for name in PHRASE_FIELDS if name in body}
        return Response(phrase_data(phrase_create(actor=request.user, **data)), status=status.HTTP_201_CREATED)


def _phrase(pk: int) -> StandardPhrase:
    phrase = StandardPhrase.objects.filter(pk=pk).first() if pk <= ID_MAX else None
    if phrase is None:
        raise NotFoundError("not_found", _("No such phrase."))
    return phrase


class PhraseDetailView(APIView):
    permission_classes = [HasRole.of(*KB_EDITOR_ROLES, read=READ_ROLES)]

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request, pk: int):
        return Response(phrase_data(_phrase(pk)))

    @extend_schema(request=OpenApiTypes.OBJECT, responses={200: OpenApiTypes.OBJECT})
    def patch(self, request, pk: int):
        body = _body(request)
        data = {name: body[name] for name in PHRASE_FIELDS if name in body}
        return Response(phrase_data(phrase_update(actor=request.user, phrase=_phrase(pk), **data)))


class PhraseUseView(APIView):
    permission_classes = [HasRole.of(*READ_ROLES)]

    @extend_schema(request=OpenApiTypes.OBJECT, responses={200: OpenApiTypes.OBJECT})
    def post(self, request, pk: int):
        """``{"call"?: "<call ID>"}``: the phrase was inserted (on the desk); counts one use."""
        phrase = phrase_used(user=request.user, phrase=_phrase(pk), call_uid=_body(request).get("call") or "")
        return Response(phrase_data(phrase))
