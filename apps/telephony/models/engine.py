"""Bookkeeping of the call engine itself (not call data)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class EngineStoreCursor(models.Model):
    """How far one engine outbox has been written to this schema.

    Every write the engine's store makes is first appended to a local outbox file with a
    sequence number (apps/telephony/engine/outbox.py), then applied in a transaction that also
    moves this cursor. A batch that is retried after a lost connection, or an outbox replayed by
    the engine that took over the tenant, skips what the cursor says is done: nothing is written
    twice, even when a commit's acknowledgement was lost. The row is deleted once its outbox has
    been replayed and removed."""

    outbox = models.CharField(_("outbox"), max_length=100, unique=True)
    seq = models.BigIntegerField(_("last applied sequence number"), default=0)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        verbose_name = _("engine store cursor")
        verbose_name_plural = _("engine store cursors")

    def __str__(self) -> str:
        return f"{self.outbox}@{self.seq}"
