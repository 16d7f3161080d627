"""The tenant's dialling policy (toll-fraud guard): one row per tenant schema, made on first use."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.telephony.dialer import dialling


def _default_allowed() -> list[str]:
    return list(dialling.DEFAULT_ALLOWED_PREFIXES)


def _default_blocked() -> list[str]:
    return list(dialling.DEFAULT_BLOCKED_PREFIXES)


class DiallingPolicy(models.Model):
    """Which numbers agents may dial and how often (apps/telephony/dialer/dialling.py holds the rule).

    A singleton: the row with ``id`` 1, created with the defaults the first time it is read
    (``services/dialling.py``), so existing and new tenants need no data migration or seeder.
    The platform's own blocked prefixes (``dialling.PLATFORM_BLOCKED``) are not stored here:
    they always apply and no tenant can lift them.
    """

    SINGLETON_ID = 1

    allow_international = models.BooleanField(_("allow international numbers"), default=False)
    allowed_prefixes = models.JSONField(_("allowed prefixes"), default=_default_allowed)
    blocked_prefixes = models.JSONField(_("blocked prefixes"), default=_default_blocked)
    rate_per_minute = models.PositiveIntegerField(
        _("manual calls per agent per minute"), default=dialling.DEFAULT_RATE_PER_MINUTE
    )
    rate_per_hour = models.PositiveIntegerField(
        _("manual calls per agent per hour"), default=dialling.DEFAULT_RATE_PER_HOUR
    )
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("updated by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("dialling policy")
        verbose_name_plural = _("dialling policies")
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="dialling_policy_singleton")]

    def __str__(self) -> str:
        return str(_("dialling policy"))

    def rules(self) -> dialling.Rules:
        return dialling.Rules(
            allow_international=self.allow_international,
            allowed_prefixes=tuple(self.allowed_prefixes or ()),
            blocked_prefixes=tuple(self.blocked_prefixes or ()),
        )
