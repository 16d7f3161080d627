"""The tenant's QA settings (one row)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class QaSettings(models.Model):
    dispute_window_days = models.PositiveSmallIntegerField(_("days to dispute"), default=7)
    notify_by_email = models.BooleanField(_("e-mail agents about evaluations"), default=True)

    class Meta:
        verbose_name = _("QA settings")
        verbose_name_plural = _("QA settings")

    def __str__(self) -> str:
        return "QA settings"

    @classmethod
    def load(cls) -> QaSettings:
        settings, _created = cls.objects.get_or_create(pk=1)
        return settings
