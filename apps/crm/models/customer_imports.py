"""Customer imports: one uploaded CSV/XLSX and how its background import went.

The job fields (status, heartbeat, checkpoint, attempts) are those of a contact-list import, so
that the lease and checkpoint of apps/telephony/services/campaigns/import_jobs.py run it too
(apps/crm/services/customer_import_jobs.py).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.core.tenancy import current_schema
from apps.crm.choices import CustomerImportStatus


def customer_import_path(instance: models.Model, filename: str) -> str:
    """Uploads and error reports live under the tenant's prefix (ARCHITECTURE §8)."""
    return f"tenants/{current_schema()}/customers/{timezone.now():%Y/%m/%d}/{filename}"


class CustomerImport(models.Model):
    """One uploaded file of customers: its columns, the mapping and the import's progress."""

    file = models.FileField(_("file"), upload_to=customer_import_path, max_length=300)
    file_name = models.CharField(_("file name"), max_length=200, blank=True)
    file_format = models.CharField(_("format"), max_length=8)
    encoding = models.CharField(_("text encoding"), max_length=32, blank=True)
    columns = models.JSONField(_("columns in the file"), default=list, blank=True)
    sample = models.JSONField(_("first rows"), default=list, blank=True)
    mapping = models.JSONField(
        _("column mapping"), default=dict, blank=True, help_text=_('{"column": "name" | "phone" | … | "custom.key"}')
    )
    status = models.CharField(
        _("status"), max_length=16, choices=CustomerImportStatus.choices, default=CustomerImportStatus.UPLOADED
    )
    error_message = models.TextField(_("error"), blank=True)
    rows_total = models.PositiveIntegerField(_("rows"), null=True, blank=True)
    rows_processed = models.PositiveIntegerField(_("rows read"), default=0)
    rows_imported = models.PositiveIntegerField(_("customers imported"), default=0)
    rows_invalid = models.PositiveIntegerField(_("invalid rows"), default=0)
    rows_duplicate = models.PositiveIntegerField(_("duplicates"), default=0)
    progress_percent = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    error_report = models.FileField(_("error report"), upload_to=customer_import_path, max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("uploaded"), default=timezone.now)
    started_at = models.DateTimeField(_("import started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("import finished"), null=True, blank=True)
    # The lease and checkpoint: rows up to ``rows_checkpoint`` are in (customers, rejected rows and
    # counters commit with it), so a redelivered or retried task resumes after it.
    heartbeat_at = models.DateTimeField(_("last sign of life"), null=True, blank=True)
    rows_checkpoint = models.PositiveIntegerField(_("last row committed"), default=0)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("customer import")
        verbose_name_plural = _("customer imports")
        indexes = [models.Index(fields=["status", "heartbeat_at"], name="customerimport_status_idx")]

    def __str__(self) -> str:
        return self.file_name or f"#{self.pk}"


class CustomerImportRowError(models.Model):
    """A rejected row, written in the transaction of its batch (a resumed import reports each row
    once); the CSV error report is built from these rows when the import ends."""

    job = models.ForeignKey(CustomerImport, verbose_name=_("import"), on_delete=models.CASCADE, related_name="+")
    row = models.PositiveIntegerField(_("row"))
    value = models.CharField(_("value"), max_length=200, blank=True)
    reason = models.CharField(_("reason"), max_length=200)

    class Meta:
        ordering = ["row"]
        verbose_name = _("rejected customer row")
        verbose_name_plural = _("rejected customer rows")
        constraints = [models.UniqueConstraint(fields=["job", "row"], name="customerimport_row_unique")]

    def __str__(self) -> str:
        return f"{self.row}: {self.reason}"
