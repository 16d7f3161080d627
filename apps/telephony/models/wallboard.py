"""Wall-screen tokens: a TV in the room keeps the wallboard open all day without a person's login.

A separate model rather than an :class:`apps.accounts.models.ApiToken`: an API token carries
everything its user may do (the whole REST API, the supervisor's wallboard socket with its force
and monitor actions), while a wall-screen token grants one thing only, reading the wallboard
(the TV page and its socket, apps/telephony/services/wallboard_tokens.py). Only the SHA-256
digest is stored, as for API tokens; a revoked token keeps its row (with ``revoked_at``) so the
audit log's entries still point at something.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class WallboardToken(models.Model):
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=12)
    digest = models.CharField(_("digest"), max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.CASCADE,
        related_name="wallboard_tokens",
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"))
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("wall-screen token")
        verbose_name_plural = _("wall-screen tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()
