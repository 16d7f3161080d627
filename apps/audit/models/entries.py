"""The audit log of one tenant: who did what, when, from where, with before/after.

Invariants:
- **Append-only.** Rows are inserted and never changed: ``save()`` refuses an existing row,
  ``delete()`` and the queryset's ``update()`` / ``delete()`` / ``bulk_update()`` raise, and a
  database trigger (``apps/audit/sql.py``) refuses ``UPDATE`` and ``DELETE`` from any client
  that has not switched on the purge flag. The retention purge (``audit_purge_expired``) is
  the only deletion.
- **Readable without the people it names.** The actor is a snapshot (kind, id, email, name),
  not a foreign key: deleting a user keeps every row about and by them, and platform staff
  (who live in the public schema, not in the tenant's) can be actors too. Targets are
  likewise a type, an id and a short text.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.audit.choices import ActorKind, action_label


class AppendOnlyError(Exception):
    """Raised for any attempt to change or delete an audit row through the ORM."""


class AuditEntryQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("audit entries cannot be updated")

    def delete(self):
        raise AppendOnlyError("audit entries cannot be deleted (retention purge only)")

    def bulk_update(self, objs, fields, batch_size=None):
        raise AppendOnlyError("audit entries cannot be updated")

    def update_or_create(self, defaults=None, create_defaults=None, **kwargs):
        raise AppendOnlyError("audit entries cannot be updated")

    def _update(self, values):  # the path Model.save() takes for an existing row
        raise AppendOnlyError("audit entries cannot be updated")


class AuditEntry(models.Model):
    """One audited action. See the module docstring for why nothing here is a foreign key."""

    created_at = models.DateTimeField(_("when"), default=timezone.now)
    action = models.CharField(_("action"), max_length=64)
    actor_kind = models.CharField(_("actor kind"), max_length=16, choices=ActorKind.choices)
    actor_id = models.BigIntegerField(_("actor id"), null=True, blank=True)
    actor_email = models.CharField(_("actor email"), max_length=254, blank=True)
    actor_name = models.CharField(_("actor name"), max_length=150, blank=True)
    target_type = models.CharField(_("object type"), max_length=64, blank=True)
    target_id = models.CharField(_("object id"), max_length=64, blank=True)
    target_repr = models.CharField(_("object"), max_length=200, blank=True)
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)
    extra = models.JSONField(_("details"), default=dict, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=400, blank=True)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        indexes = [
            models.Index(fields=["-created_at", "-id"], name="audit_entry_created"),
            models.Index(fields=["action", "-created_at"], name="audit_entry_action"),
            models.Index(fields=["actor_id", "-created_at"], name="audit_entry_actor"),
            models.Index(fields=["target_type", "target_id"], name="audit_entry_target"),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.action} {self.actor_email or self.actor_kind}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("audit entries cannot be updated")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("audit entries cannot be deleted (retention purge only)")

    @property
    def action_label(self) -> str:
        return action_label(self.action)

    @property
    def actor_display(self) -> str:
        if self.actor_kind == ActorKind.SYSTEM:
            return str(ActorKind.SYSTEM.label)
        name = self.actor_name or self.actor_email
        if self.actor_kind == ActorKind.PLATFORM:
            return f"{name} ({ActorKind.PLATFORM.label})"
        return name


class AuditSettings(models.Model):
    """The tenant's audit settings: one row (pk 1), created on first use.

    ``retention_days`` empty means the platform default (``AUDIT_RETENTION_DAYS``)."""

    retention_days = models.PositiveIntegerField(_("keep audit entries for (days)"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        verbose_name = _("audit settings")
        verbose_name_plural = _("audit settings")
        constraints = [models.CheckConstraint(condition=models.Q(pk=1), name="audit_settings_single_row")]

    def __str__(self) -> str:
        return f"audit settings ({self.retention_days or '-'} days)"
