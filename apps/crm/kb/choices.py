"""The knowledge base's choice fields (kept beside its rules rather than in apps/crm/choices.py,
which the tickets work owns; the models import them from here)."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class ArticleLanguage(models.TextChoices):
    """The language an article is written in: it decides how it is searched and shown."""

    ZH_HANS = "zh-hans", _("Chinese")
    EN = "en", _("English")


class ArticleStatus(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("article", "Draft")
    PUBLISHED = "published", pgettext_lazy("article", "Published")
    ARCHIVED = "archived", pgettext_lazy("article", "Archived")


class PhraseCategory(models.TextChoices):
    """Standard phrases (标准用语) by the moment of the call they are for."""

    GREETING = "greeting", _("Greeting")
    VERIFY = "verify", _("Identity check")
    HOLD = "hold", _("Hold and return")
    APOLOGY = "apology", _("Apology")
    TRANSFER = "transfer", _("Transfer")
    CLOSING = "closing", _("Closing")
    HOLIDAY = "holiday", _("Holiday greeting")
    OTHER = "other", _("Other")


class UsageKind(models.TextChoices):
    """What an agent did with the knowledge base (what trainers read)."""

    SEARCH = "search", _("Searched")
    VIEW = "view", _("Opened an article")
    INSERT = "insert", _("Inserted a phrase")
