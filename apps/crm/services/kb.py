"""Writing the knowledge base: articles (every save a new version, re-indexed in the same
transaction), categories, standard phrases, and the record of what agents look up.

Editors are trainers, supervisors and administrators (existing roles: a separate KB editor role
would be one more thing to hand out, and these are the people who own the answers). Everyone in
the company reads published articles. Input is validated as a whole before anything is written,
and every problem comes back at once as field messages (HTTP 400 ``invalid``).
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db import connection, models, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.choices import Role
from apps.audit.choices import AuditAction
from apps.audit.services import audit_record
from apps.core.errors import ApplicationError, PermissionDeniedError
from apps.crm.kb.choices import ArticleLanguage, ArticleStatus, PhraseCategory, UsageKind
from apps.crm.kb.markup import plain
from apps.crm.kb.text import index_text
from apps.crm.models import Article, ArticleCategory, ArticleVersion, KbUsage, StandardPhrase

KB_EDITOR_ROLES = (Role.TENANT_ADMIN, Role.SUPERVISOR, Role.TRAINER)
# Who reads what agents look up (most looked-up articles, searches that found nothing).
KB_INSIGHT_ROLES = (Role.TENANT_ADMIN, Role.SUPERVISOR, Role.TRAINER, Role.QA_LEAD)

TITLE_MAX, BODY_MAX, TAG_MAX, TAGS_MAX, NOTE_MAX, PHRASE_MAX, QUERY_MAX = 200, 50_000, 50, 20, 200, 1000, 200


def check_editor(actor) -> None:
    """``actor=None`` is the system (demo data, benchmarks); a person needs an editor's role."""
    if actor is not None and not actor.has_role(*KB_EDITOR_ROLES):
        raise PermissionDeniedError(
            "forbidden", _("Only trainers, supervisors and administrators may change the knowledge base.")
        )


class _Errors:
    def __init__(self) -> None:
        self.fields: dict[str, list[str]] = {}

    def add(self, name: str, message: str) -> None:
        self.fields.setdefault(name, []).append(str(message))

    def raise_if_any(self) -> None:
        if self.fields:
            first = next(iter(self.fields.values()))[0]
            raise ApplicationError("invalid", first, fields=self.fields)


def _text(errors: _Errors, name: str, value: Any, *, limit: int, required: bool = True) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors.add(name, _("Give text."))
        return ""
    value = value.strip()
    if required and not value:
        errors.add(name, _("This field is required."))
    elif len(value) > limit:
        errors.add(name, _("At most %(n)d characters.") % {"n": limit})
    return value


def _choice(errors: _Errors, name: str, value: Any, choices: type[models.TextChoices], *, required: bool = True) -> str:
    if value in (None, "") and not required:
        return ""
    if value not in choices.values:
        errors.add(name, _("Choose one of: %(values)s.") % {"values": ", ".join(choices.values)})
        return ""
    return str(value)


def _tags(errors: _Errors, value: Any) -> list[str]:
    if value in (None, ""):
        return []
    if isinstance(value, str):
        value = [t for t in value.replace("，", ",").split(",")]
    if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
        errors.add("tags", _("Give a list of words."))
        return []
    tags: list[str] = []
    for tag in (t.strip() for t in value):
        if tag and tag not in tags:
            tags.append(tag)
    if len(tags) > TAGS_MAX:
        errors.add("tags", _("At most %(n)d tags.") % {"n": TAGS_MAX})
    if any(len(t) > TAG_MAX for t in tags):
        errors.add("tags", _("A tag has at most %(n)d characters.") % {"n": TAG_MAX})
    return tags


def _date(errors: _Errors, name: str, value: Any) -> datetime.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value))
    except ValueError:
        errors.add(name, _("Give a date as YYYY-MM-DD."))
        return None


def _category(errors: _Errors, value: Any) -> ArticleCategory | None:
    if value in (None, ""):
        return None
    if isinstance(value, ArticleCategory):
        return value
    try:
        return ArticleCategory.objects.get(pk=int(value))
    except (TypeError, ValueError, ArticleCategory.DoesNotExist):
        errors.add("category", _("No such category."))
        return None


# --- the search vector ------------------------------------------------------------------------


def articles_index(article_ids: list[int]) -> None:
    """Write the stored search vectors of these articles in one statement.

    Title and tags weigh A, the body B; Chinese as character bigrams in 'simple', Latin words in
    'english' (apps/crm/kb/text.py). The service calls it on every save, inside its transaction.
    """
    if not article_ids:
        return
    rows = Article.objects.filter(pk__in=article_ids).values_list("pk", "title", "tags", "body")
    ids, head_zh, head_en, body_zh, body_en = [], [], [], [], []
    for pk, title, tags, body in rows:
        head = index_text(" ".join([title, *tags]))
        text = index_text(plain(body))
        ids.append(pk)
        head_zh.append(head.chinese)
        head_en.append(head.english)
        body_zh.append(text.chinese)
        body_en.append(text.english)
    table = connection.ops.quote_name(Article._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""UPDATE {table} AS a SET search_vector =
                   setweight(to_tsvector('simple', v.head_zh), 'A') || setweight(to_tsvector('english', v.head_en), 'A')
                || setweight(to_tsvector('simple', v.body_zh), 'B') || setweight(to_tsvector('english', v.body_en), 'B')
                FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::text[], %s::text[])
                     AS v(id, head_zh, head_en, body_zh, body_en)
                WHERE a.id = v.id""",  # noqa: S608 -- the table name is the model's own
            [ids, head_zh, head_en, body_zh, body_en],
        )


# --- articles -----------------------------------------------------------------------------------


def _snapshot(article: Article) -> dict:
    return {
        "title": article.title,
        "status": article.status,
        "language": article.language,
        "tags": list(article.tags),
        "category": article.category.name if article.category_id and article.category else "",
        "review_date": article.review_date.isoformat() if article.review_date else None,
        "version": article.version,
    }


def _save_version(article: Article, *, actor, note: str) -> None:
    ArticleVersion.objects.create(
        article=article,
        version=article.version,
        title=article.title,
        body=article.body,
        tags=list(article.tags),
        language=article.language,
        status=article.status,
        category_name=article.category.name if article.category else "",
        note=note,
        edited_by=actor,
    )


@transaction.atomic
def article_create(
    *,
    actor,
    title: Any,
    body: Any,
    language: Any,
    tags: Any = None,
    category: Any = None,
    status: Any = ArticleStatus.PUBLISHED,
    review_date: Any = None,
    owner=None,
    note: str = "",
) -> Article:
    """A new article (version 1), indexed for search at once. Published unless ``status`` says
    otherwise: an answer written through the API is meant to be found."""
    check_editor(actor)
    errors = _Errors()
    clean = {
        "title": _text(errors, "title", title, limit=TITLE_MAX),
        "body": _text(errors, "body", body, limit=BODY_MAX),
        "language": _choice(errors, "language", language, ArticleLanguage),
        "tags": _tags(errors, tags),
        "category": _category(errors, category),
        "status": _choice(errors, "status", status or ArticleStatus.PUBLISHED, ArticleStatus),
        "review_date": _date(errors, "review_date", review_date),
    }
    note = _text(errors, "note", note, limit=NOTE_MAX, required=False)
    errors.raise_if_any()
    now = timezone.now()
    article = Article.objects.create(
        **clean,
        owner=owner or actor,
        updated_by=actor,
        created_at=now,
        updated_at=now,
        published_at=now if clean["status"] == ArticleStatus.PUBLISHED else None,
    )
    _save_version(article, actor=actor, note=note)
    articles_index([article.pk])
    audit_record(action=AuditAction.KB_ARTICLE_CREATED, actor=actor, target=article, after=_snapshot(article))
    return article


_UNSET: Any = object()


@transaction.atomic
def article_update(
    *,
    actor,
    article: Article,
    title: Any = _UNSET,
    body: Any = _UNSET,
    language: Any = _UNSET,
    tags: Any = _UNSET,
    category: Any = _UNSET,
    status: Any = _UNSET,
    review_date: Any = _UNSET,
    owner: Any = _UNSET,
    note: str = "",
) -> Article:
    """Change the fields given. A change that changes something makes version N + 1 (kept with
    who and why); one that changes nothing writes nothing."""
    check_editor(actor)
    article = Article.objects.select_for_update(of=("self",)).select_related("category").get(pk=article.pk)
    errors = _Errors()
    changes: dict[str, Any] = {}
    if title is not _UNSET:
        changes["title"] = _text(errors, "title", title, limit=TITLE_MAX)
    if body is not _UNSET:
        changes["body"] = _text(errors, "body", body, limit=BODY_MAX)
    if language is not _UNSET:
        changes["language"] = _choice(errors, "language", language, ArticleLanguage)
    if tags is not _UNSET:
        changes["tags"] = _tags(errors, tags)
    if category is not _UNSET:
        changes["category"] = _category(errors, category)
    if status is not _UNSET:
        changes["status"] = _choice(errors, "status", status, ArticleStatus)
    if review_date is not _UNSET:
        changes["review_date"] = _date(errors, "review_date", review_date)
    if owner is not _UNSET:
        changes["owner"] = owner
    note = _text(errors, "note", note, limit=NOTE_MAX, required=False)
    errors.raise_if_any()
    changed = {name: value for name, value in changes.items() if getattr(article, name) != value}
    if not changed:
        return article
    before = _snapshot(article)
    for name, value in changed.items():
        setattr(article, name, value)
    article.version = F("version") + 1
    article.updated_by = actor
    article.updated_at = timezone.now()
    if changed.get("status") == ArticleStatus.PUBLISHED and article.published_at is None:
        article.published_at = article.updated_at
    article.save()
    article.refresh_from_db()
    _save_version(article, actor=actor, note=note)
    if {"title", "body", "tags"} & changed.keys():
        articles_index([article.pk])
    audit_record(
        action=AuditAction.KB_ARTICLE_CHANGED, actor=actor, target=article, before=before, after=_snapshot(article)
    )
    return article


def article_restore(*, actor, article: Article, version: int) -> Article:
    """Bring back the text of an earlier version, as a new version (history is never rewritten)."""
    old = ArticleVersion.objects.filter(article=article, version=version).first()
    if old is None:
        raise ApplicationError("invalid", _("No such version."), fields={"version": [_("No such version.")]})
    return article_update(
        actor=actor,
        article=article,
        title=old.title,
        body=old.body,
        tags=list(old.tags),
        language=old.language,
        note=_("Restored version %(n)d") % {"n": version},
    )


@transaction.atomic
def category_create(*, actor, name: Any, position: Any = 0) -> ArticleCategory:
    check_editor(actor)
    errors = _Errors()
    name = _text(errors, "name", name, limit=100)
    if name and ArticleCategory.objects.filter(name__iexact=name).exists():
        errors.add("name", _("A category with this name exists."))
    errors.raise_if_any()
    category = ArticleCategory.objects.create(name=name, position=int(position or 0))
    audit_record(action=AuditAction.KB_CATEGORY_CREATED, actor=actor, target=category, after={"name": name})
    return category


# --- standard phrases ---------------------------------------------------------------------------


def _phrase_fields(errors: _Errors, data: dict) -> dict:
    clean: dict[str, Any] = {}
    if "category" in data:
        clean["category"] = _choice(errors, "category", data["category"], PhraseCategory)
    if "text" in data:
        clean["text"] = _text(errors, "text", data["text"], limit=PHRASE_MAX)
    if "language" in data:
        clean["language"] = _choice(errors, "language", data["language"], ArticleLanguage)
    if "active" in data:
        clean["active"] = bool(data["active"])
    if "active_from" in data:
        clean["active_from"] = _date(errors, "active_from", data["active_from"])
    if "active_until" in data:
        clean["active_until"] = _date(errors, "active_until", data["active_until"])
    if "position" in data:
        try:
            clean["position"] = max(0, min(int(data["position"] or 0), 32767))
        except (TypeError, ValueError):
            errors.add("position", _("Give a whole number."))
    return clean


def _check_dates(errors: _Errors, start: datetime.date | None, end: datetime.date | None) -> None:
    if start and end and end < start:
        errors.add("active_until", _("The last day comes before the first."))


@transaction.atomic
def phrase_create(*, actor, **data: Any) -> StandardPhrase:
    """A standard phrase; a holiday greeting gives the dates it is offered between."""
    check_editor(actor)
    errors = _Errors()
    data.setdefault("category", None)
    data.setdefault("text", None)
    data.setdefault("language", None)
    clean = _phrase_fields(errors, data)
    _check_dates(errors, clean.get("active_from"), clean.get("active_until"))
    errors.raise_if_any()
    phrase = StandardPhrase.objects.create(**clean, created_by=actor)
    audit_record(action=AuditAction.KB_PHRASE_CREATED, actor=actor, target=phrase, after={"text": phrase.text})
    return phrase


@transaction.atomic
def phrase_update(*, actor, phrase: StandardPhrase, **data: Any) -> StandardPhrase:
    check_editor(actor)
    phrase = StandardPhrase.objects.select_for_update().get(pk=phrase.pk)
    errors = _Errors()
    clean = _phrase_fields(errors, data)
    _check_dates(errors, clean.get("active_from", phrase.active_from), clean.get("active_until", phrase.active_until))
    errors.raise_if_any()
    before = {"text": phrase.text, "active": phrase.active}
    for name, value in clean.items():
        setattr(phrase, name, value)
    phrase.updated_at = timezone.now()
    phrase.save()
    audit_record(
        action=AuditAction.KB_PHRASE_CHANGED,
        actor=actor,
        target=phrase,
        before=before,
        after={"text": phrase.text, "active": phrase.active},
    )
    return phrase


# --- what agents look up ------------------------------------------------------------------------
# An access log, like a recording's plays: written when an agent reads, never changing what they read.


def _call_uid(value: Any) -> str:
    return str(value or "")[:64]


def search_recorded(*, user, query: str, result_count: int, call_uid: Any = "") -> None:
    KbUsage.objects.create(
        kind=UsageKind.SEARCH,
        user=user if user and user.is_authenticated else None,
        query=" ".join(str(query).split())[:QUERY_MAX],
        result_count=result_count,
        call_uid=_call_uid(call_uid),
    )


@transaction.atomic
def article_viewed(*, user, article: Article, call_uid: Any = "") -> None:
    """Count one look at an article (``lookup_count`` with F(), so concurrent readers never lose one)."""
    Article.objects.filter(pk=article.pk).update(lookup_count=F("lookup_count") + 1)
    KbUsage.objects.create(
        kind=UsageKind.VIEW,
        user=user if user and user.is_authenticated else None,
        article=article,
        call_uid=_call_uid(call_uid),
    )


@transaction.atomic
def phrase_used(*, user, phrase: StandardPhrase, call_uid: Any = "") -> StandardPhrase:
    """One click on a phrase on the desk: its count goes up by one and the use is recorded."""
    if not phrase.active:
        raise ApplicationError("invalid", _("This phrase is no longer in use."))
    StandardPhrase.objects.filter(pk=phrase.pk).update(usage_count=F("usage_count") + 1)
    KbUsage.objects.create(
        kind=UsageKind.INSERT,
        user=user if user and user.is_authenticated else None,
        phrase=phrase,
        call_uid=_call_uid(call_uid),
    )
    phrase.refresh_from_db(fields=["usage_count"])
    return phrase
