"""The knowledge base: articles with categories, tags, versions and review dates; standard
phrases (标准用语); and a record of what agents look up, for trainers.

Bodies are plain text with a small Markdown subset (apps/crm/kb/markup.py), never HTML. Each
article stores its search vector (jieba words in the 'simple' configuration, Latin words in
'english', title and tags weighted above the body), written by the service on every save and
indexed with GIN: docs/decisions/0025-kb-search.md.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.crm.kb.choices import ArticleLanguage, ArticleStatus, PhraseCategory, UsageKind


class ArticleCategory(models.Model):
    """A shelf of the knowledge base (账单与话费, Returns & refunds …)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("article category")
        verbose_name_plural = _("article categories")

    def __str__(self) -> str:
        return self.name


class Article(models.Model):
    """One answer agents read during calls. ``version`` counts saved changes; each is kept as an
    :class:`ArticleVersion`. Agents see published articles only."""

    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"), help_text=_("Plain text: blank lines, ## headings, - and 1. lists, **bold**."))
    category = models.ForeignKey(
        ArticleCategory,
        verbose_name=_("category"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="articles",
    )
    tags = ArrayField(models.CharField(max_length=50), verbose_name=_("tags"), default=list, blank=True)
    language = models.CharField(_("language"), max_length=8, choices=ArticleLanguage.choices)
    status = models.CharField(_("status"), max_length=10, choices=ArticleStatus.choices, default=ArticleStatus.DRAFT)
    version = models.PositiveIntegerField(_("version"), default=1)
    review_date = models.DateField(_("review by"), null=True, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("last edited by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    lookup_count = models.PositiveIntegerField(_("times opened"), default=0)
    # Written by apps/crm/services/kb.py (article_index) on every save, never by a form.
    search_vector = SearchVectorField(null=True, editable=False)

    class Meta:
        ordering = ["-updated_at", "-id"]
        verbose_name = _("article")
        verbose_name_plural = _("articles")
        indexes = [
            GinIndex(fields=["search_vector"], name="kbarticle_search_gin"),
            GinIndex(fields=["tags"], name="kbarticle_tags_gin"),
            models.Index(fields=["status", "language"], name="kbarticle_status_lang_idx"),
            models.Index(fields=["review_date"], name="kbarticle_review_idx"),
        ]

    def __str__(self) -> str:
        return self.title


class ArticleVersion(models.Model):
    """An article as it was saved (version N): what changed, who changed it and when."""

    article = models.ForeignKey(Article, verbose_name=_("article"), on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField(_("version"))
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"))
    tags = ArrayField(models.CharField(max_length=50), verbose_name=_("tags"), default=list, blank=True)
    language = models.CharField(_("language"), max_length=8, choices=ArticleLanguage.choices)
    status = models.CharField(_("status"), max_length=10, choices=ArticleStatus.choices)
    category_name = models.CharField(_("category"), max_length=100, blank=True)
    note = models.CharField(_("change note"), max_length=200, blank=True)
    edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("edited by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("saved"), default=timezone.now)

    class Meta:
        ordering = ["article", "-version"]
        verbose_name = _("article version")
        verbose_name_plural = _("article versions")
        constraints = [models.UniqueConstraint(fields=["article", "version"], name="kbversion_article_version_uniq")]

    def __str__(self) -> str:
        return f"{self.article_id} v{self.version}"


class StandardPhrase(models.Model):
    """A sentence agents say word for word (标准用语). A holiday greeting is offered only between
    its dates; ``usage_count`` counts one-click inserts from the desk."""

    category = models.CharField(_("category"), max_length=10, choices=PhraseCategory.choices)
    text = models.TextField(_("text"))
    language = models.CharField(_("language"), max_length=8, choices=ArticleLanguage.choices)
    active = models.BooleanField(_("active"), default=True)
    active_from = models.DateField(_("offered from"), null=True, blank=True)
    active_until = models.DateField(_("offered until"), null=True, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    usage_count = models.PositiveIntegerField(_("times used"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        ordering = ["category", "position", "id"]
        verbose_name = _("standard phrase")
        verbose_name_plural = _("standard phrases")
        constraints = [
            models.CheckConstraint(
                condition=Q(active_from__isnull=True)
                | Q(active_until__isnull=True)
                | Q(active_until__gte=models.F("active_from")),
                name="kbphrase_dates_ordered",
            ),
        ]

    def __str__(self) -> str:
        return self.text[:40]


class KbUsage(models.Model):
    """One look-up: a search (with its words and how many it found), an article opened, or a
    phrase inserted — by whom and, on the desk, during which call (by its call ID: the call's row
    may be purged by retention before this one)."""

    kind = models.CharField(_("kind"), max_length=8, choices=UsageKind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    article = models.ForeignKey(
        Article, verbose_name=_("article"), null=True, blank=True, on_delete=models.SET_NULL, related_name="usages"
    )
    phrase = models.ForeignKey(
        StandardPhrase,
        verbose_name=_("phrase"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="usages",
    )
    query = models.CharField(_("search words"), max_length=200, blank=True)
    result_count = models.PositiveIntegerField(_("results"), null=True, blank=True)
    call_uid = models.CharField(_("call ID"), max_length=64, blank=True)
    at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("knowledge-base use")
        verbose_name_plural = _("knowledge-base uses")
        indexes = [
            models.Index(fields=["kind", "at"], name="kbusage_kind_at_idx"),
            models.Index(fields=["article", "at"], name="kbusage_article_at_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.at:%Y-%m-%d %H:%M}"
