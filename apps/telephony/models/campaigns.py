"""Outbound campaigns: the campaign and its rules, contact lists and contacts, every dial attempt,
do-not-call and consent records, scheduled callbacks.

Policy (who may be dialled, when, how often) is applied by apps.telephony.services.campaigns.lifecycle and
the engine's contact source (services/campaign_source.py); the engine itself never reads these
tables. Dispositions are the tenant-wide ``Disposition`` rows the CDR already carries: what a
disposition *means for a campaign* (final, retry after a gap, add the number to do-not-call) is a
``CampaignRetryRule`` keyed by that disposition, so reports, FCR and the desktop keep one
vocabulary while each campaign decides its own follow-up.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.core.tenancy import current_schema
from apps.telephony.choices import (
    CampaignStatus,
    CampaignType,
    ContactListStatus,
    ContactStatus,
    DialMode,
    DialOutcome,
    DoNotCallSource,
    ExportFormat,
    RetryOutcome,
    ScheduledCallbackStatus,
)

#: Contacts the dialer may still take (the hot "due contacts of campaign X" query filters on these).
OPEN_CONTACT_STATUSES = (ContactStatus.NEW, ContactStatus.RETRY)
MIN_RING_TIMEOUT_SECONDS = 15
ALL_WEEKDAYS = [1, 2, 3, 4, 5, 6, 7]


def default_weekdays() -> list[int]:
    return list(ALL_WEEKDAYS)


def campaign_file_path(instance: models.Model, filename: str) -> str:
    """Imports, error reports and exports live under the tenant's prefix (ARCHITECTURE §8)."""
    return f"tenants/{current_schema()}/campaigns/{timezone.now():%Y/%m/%d}/{filename}"


class Campaign(models.Model):
    """An outbound campaign: who takes the calls (a queue), how lines are paced, when and whom to dial."""

    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    type = models.CharField(_("type"), max_length=16, choices=CampaignType.choices, default=CampaignType.SALES)
    is_marketing = models.BooleanField(
        _("marketing"),
        default=False,
        help_text=_("Marketing campaigns dial only consented numbers when the tenant's consent policy is on."),
    )
    dial_mode = models.CharField(_("dial mode"), max_length=16, choices=DialMode.choices, default=DialMode.PROGRESSIVE)
    power_ratio = models.FloatField(
        _("lines per Ready agent (power mode)"),
        default=2.0,
        validators=[MinValueValidator(1.0), MaxValueValidator(5.0)],
    )
    queue = models.ForeignKey(
        "telephony.Queue", verbose_name=_("queue"), on_delete=models.PROTECT, related_name="campaigns"
    )
    trunk = models.ForeignKey(
        "telephony.Trunk",
        verbose_name=_("trunk"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="campaigns",
        help_text=_("Empty: the default trunk."),
    )
    caller_id = models.CharField(_("caller ID"), max_length=32, blank=True)

    start_date = models.DateField(_("first day"), null=True, blank=True)
    end_date = models.DateField(_("last day"), null=True, blank=True)
    window_start = models.TimeField(_("daily window from"), default=datetime.time(8, 0))
    window_end = models.TimeField(_("daily window until"), default=datetime.time(21, 0))
    weekdays = models.JSONField(
        _("weekdays"), default=default_weekdays, help_text=_("ISO weekdays to dial on (1 = Monday … 7 = Sunday).")
    )
    skip_holidays = models.BooleanField(
        _("skip Chinese public holidays"),
        default=True,
        help_text=_("Holidays are skipped; make-up workdays (调休) are dialled even on a weekend."),
    )
    default_time_zone = models.CharField(
        _("default time zone"),
        max_length=64,
        default="Asia/Shanghai",
        help_text=_("For contacts whose time zone is neither in the list nor implied by their number."),
    )

    max_abandon_rate = models.DecimalField(
        _("maximum abandon rate"),
        max_digits=5,
        decimal_places=4,
        default=Decimal("0.0300"),
        validators=[MinValueValidator(0), MaxValueValidator(1)],
    )
    abandon_window_days = models.PositiveSmallIntegerField(
        _("abandon rate window (days)"), default=30, validators=[MinValueValidator(1), MaxValueValidator(365)]
    )
    ring_timeout_seconds = models.PositiveSmallIntegerField(
        _("ring timeout (s)"),
        default=25,
        validators=[MinValueValidator(MIN_RING_TIMEOUT_SECONDS), MaxValueValidator(120)],
    )
    amd_enabled = models.BooleanField(_("answering machine detection"), default=True)
    abandon_message = models.TextField(
        _("abandon message"),
        blank=True,
        help_text=_("Played when no agent takes a live answer within 2 s: who is calling and a number to call back."),
    )
    script = models.TextField(
        _("agent script"),
        blank=True,
        help_text=_("Shown to the agent; {{contact.name}} and other fields are filled in."),
    )
    record_calls = models.BooleanField(_("record calls"), default=True)

    status = models.CharField(_("status"), max_length=16, choices=CampaignStatus.choices, default=CampaignStatus.DRAFT)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    paused_at = models.DateTimeField(_("paused"), null=True, blank=True)
    resumed_at = models.DateTimeField(_("resumed"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        constraints = [
            models.UniqueConstraint(fields=["name"], name="campaign_name_uniq"),
            models.CheckConstraint(
                condition=Q(ring_timeout_seconds__gte=MIN_RING_TIMEOUT_SECONDS), name="campaign_ring_timeout_min"
            ),
            models.CheckConstraint(
                condition=Q(max_abandon_rate__gte=0, max_abandon_rate__lte=1), name="campaign_abandon_rate_range"
            ),
            models.CheckConstraint(condition=Q(power_ratio__gte=1), name="campaign_power_ratio_min"),
        ]
        indexes = [models.Index(fields=["status"], name="campaign_status_idx")]

    def __str__(self) -> str:
        return self.name


class CampaignRetryRule(models.Model):
    """What happens after an attempt: per outcome (busy, no answer, machine, failed, abandoned) or per
    disposition the agent chose. ``retry`` off makes it final; ``do_not_call`` (dispositions only)
    puts the number on the tenant's do-not-call list at once ("do not call me")."""

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campaign"), on_delete=models.CASCADE, related_name="retry_rules"
    )
    outcome = models.CharField(_("outcome"), max_length=16, choices=RetryOutcome.choices, blank=True)
    disposition = models.ForeignKey(
        "telephony.Disposition",
        verbose_name=_("disposition"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="campaign_rules",
    )
    retry = models.BooleanField(_("retry"), default=True)
    min_gap_minutes = models.PositiveIntegerField(
        _("minimum gap (minutes)"), default=60, validators=[MaxValueValidator(60 * 24 * 90)]
    )
    max_attempts = models.PositiveSmallIntegerField(
        _("maximum attempts"), default=3, validators=[MinValueValidator(1), MaxValueValidator(50)]
    )
    do_not_call = models.BooleanField(_("add to do-not-call"), default=False)

    class Meta:
        ordering = ["campaign", "outcome", "disposition_id"]
        verbose_name = _("campaign retry rule")
        verbose_name_plural = _("campaign retry rules")
        constraints = [
            models.CheckConstraint(
                condition=(Q(outcome="") & Q(disposition__isnull=False))
                | (~Q(outcome="") & Q(disposition__isnull=True)),
                name="campaignretryrule_outcome_xor_disposition",
            ),
            models.CheckConstraint(
                condition=Q(do_not_call=False) | (Q(disposition__isnull=False) & Q(retry=False)),
                name="campaignretryrule_dnc_is_final_disposition",
            ),
            models.UniqueConstraint(
                fields=["campaign", "outcome"], condition=~Q(outcome=""), name="campaignretryrule_campaign_outcome_uniq"
            ),
            models.UniqueConstraint(
                fields=["campaign", "disposition"],
                condition=Q(disposition__isnull=False),
                name="campaignretryrule_campaign_disposition_uniq",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}:{self.outcome or self.disposition_id}"


class ContactList(models.Model):
    """One uploaded file of contacts for a campaign, and how its import went."""

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campaign"), on_delete=models.CASCADE, related_name="contact_lists"
    )
    name = models.CharField(_("name"), max_length=200)
    file = models.FileField(_("file"), upload_to=campaign_file_path, max_length=300)
    file_format = models.CharField(_("format"), max_length=8, choices=ExportFormat.choices)
    encoding = models.CharField(_("text encoding"), max_length=32, blank=True)
    columns = models.JSONField(_("columns in the file"), default=list, blank=True)
    sample = models.JSONField(_("first rows"), default=list, blank=True)
    mapping = models.JSONField(
        _("column mapping"), default=dict, blank=True, help_text=_('{"column": "phone" | "name" | … | "custom.key"}')
    )
    status = models.CharField(
        _("status"), max_length=16, choices=ContactListStatus.choices, default=ContactListStatus.UPLOADED
    )
    error_message = models.TextField(_("error"), blank=True)
    rows_total = models.PositiveIntegerField(_("rows (estimate)"), null=True, blank=True)
    rows_processed = models.PositiveIntegerField(_("rows read"), default=0)
    rows_imported = models.PositiveIntegerField(_("contacts imported"), default=0)
    rows_invalid = models.PositiveIntegerField(_("invalid rows"), default=0)
    rows_duplicate = models.PositiveIntegerField(_("duplicates"), default=0)
    rows_dnc = models.PositiveIntegerField(_("on do-not-call"), default=0)
    progress_percent = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    error_report = models.FileField(_("error report"), upload_to=campaign_file_path, max_length=300, blank=True)
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
    # The import's lease and checkpoint: rows up to ``rows_checkpoint`` are in (contacts, error
    # rows and counters are committed with it), so a redelivered or retried task resumes after it.
    heartbeat_at = models.DateTimeField(_("last sign of life"), null=True, blank=True)
    rows_checkpoint = models.PositiveIntegerField(_("last row committed"), default=0)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("contact list")
        verbose_name_plural = _("contact lists")

    def __str__(self) -> str:
        return self.name


class Contact(models.Model):
    """One number a campaign dials, with its place in the campaign's life cycle."""

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campaign"), on_delete=models.CASCADE, related_name="contacts"
    )
    contact_list = models.ForeignKey(
        ContactList,
        verbose_name=_("contact list"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="contacts",
    )
    name = models.CharField(_("name"), max_length=200, blank=True)
    phone = models.CharField(_("phone (E.164)"), max_length=20)
    time_zone = models.CharField(_("time zone"), max_length=64)
    email = models.CharField(_("email"), max_length=254, blank=True)
    external_id = models.CharField(_("external ID"), max_length=100, blank=True)
    data = models.JSONField(_("custom fields"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=ContactStatus.choices, default=ContactStatus.NEW)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    # Due when ``next_attempt_at <= now``; a new contact is due from its import.
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    # Scheduled callbacks jump the line.
    priority = models.SmallIntegerField(_("priority"), default=0)
    last_attempt_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    last_outcome = models.CharField(_("last outcome"), max_length=16, choices=DialOutcome.choices, blank=True)
    last_disposition = models.ForeignKey(
        "telephony.Disposition",
        verbose_name=_("last disposition"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    owner_agent = models.ForeignKey(
        "telephony.Agent",
        verbose_name=_("callback owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["id"]
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        constraints = [
            # One campaign never dials the same number twice as two contacts.
            models.UniqueConstraint(fields=["campaign", "phone"], name="contact_campaign_phone_uniq"),
        ]
        indexes = [
            # The dialer's "due contacts of campaign X" scan, in hand-out order.
            models.Index(
                "campaign",
                models.F("priority").desc(),
                "next_attempt_at",
                "id",
                condition=Q(status__in=OPEN_CONTACT_STATUSES),
                name="contact_due_idx",
            ),
            models.Index(fields=["campaign", "status"], name="contact_campaign_status_idx"),
            models.Index(fields=["phone"], name="contact_phone_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.name or self.phone}"


class DialAttempt(models.Model):
    """One attempt to reach a contact. Created when the dialer takes the contact (``outcome`` empty:
    still dialling), closed when the engine reports what happened."""

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campaign"), on_delete=models.CASCADE, related_name="dial_attempts"
    )
    contact = models.ForeignKey(
        Contact, verbose_name=_("contact"), on_delete=models.CASCADE, related_name="dial_attempts"
    )
    attempt_no = models.PositiveSmallIntegerField(_("attempt"))
    number = models.CharField(_("number dialled"), max_length=20)
    call_uid = models.CharField(_("call ID"), max_length=64, blank=True)
    call = models.ForeignKey(
        "telephony.Call", verbose_name=_("call"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    outcome = models.CharField(_("outcome"), max_length=16, choices=DialOutcome.choices, blank=True)
    started_at = models.DateTimeField(_("started"))
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    agent = models.ForeignKey(
        "telephony.Agent", verbose_name=_("agent"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    disposition = models.ForeignKey(
        "telephony.Disposition",
        verbose_name=_("disposition"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Closed by ``recover`` after an engine restart, not by a report.
    recovered = models.BooleanField(_("closed on engine restart"), default=False)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("dial attempt")
        verbose_name_plural = _("dial attempts")
        constraints = [
            # A contact handed back undialled keeps its row, and its number is used again by the
            # next real attempt: only dialled (or still open) attempts are numbered uniquely.
            models.UniqueConstraint(
                fields=["contact", "attempt_no"],
                condition=~Q(outcome="returned"),
                name="dialattempt_contact_no_uniq",
            )
        ]
        indexes = [
            models.Index(fields=["campaign", "started_at"], name="dialattempt_camp_started_idx"),
            models.Index(fields=["call_uid"], condition=~Q(call_uid=""), name="dialattempt_call_uid_idx"),
            models.Index(fields=["campaign"], condition=Q(outcome=""), name="dialattempt_open_idx"),
            models.Index(fields=["agent", "started_at"], name="dialattempt_agent_started_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.contact_id}#{self.attempt_no} {self.outcome or 'dialing'}"


class DoNotCall(models.Model):
    """A number never to dial: tenant-wide (``campaign`` empty) or for one campaign."""

    number = models.CharField(_("number (E.164)"), max_length=20)
    campaign = models.ForeignKey(
        Campaign,
        verbose_name=_("campaign"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="do_not_call",
        help_text=_("Empty: every campaign of the company."),
    )
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    source = models.CharField(
        _("source"), max_length=16, choices=DoNotCallSource.choices, default=DoNotCallSource.MANUAL
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("added by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("added"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("do-not-call entry")
        verbose_name_plural = _("do-not-call list")
        constraints = [
            models.UniqueConstraint(
                fields=["number"], condition=Q(campaign__isnull=True), name="donotcall_tenant_uniq"
            ),
            models.UniqueConstraint(
                fields=["number", "campaign"], condition=Q(campaign__isnull=False), name="donotcall_campaign_uniq"
            ),
        ]
        indexes = [models.Index(fields=["number"], name="donotcall_number_idx")]

    def __str__(self) -> str:
        return self.number


class DoNotCallImport(models.Model):
    """A file of numbers added to a do-not-call list in the background."""

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campaign"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    file = models.FileField(_("file"), upload_to=campaign_file_path, max_length=300)
    file_format = models.CharField(_("format"), max_length=8, choices=ExportFormat.choices)
    column = models.CharField(_("number column"), max_length=200, blank=True)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=ContactListStatus.choices, default=ContactListStatus.QUEUED
    )
    error_message = models.TextField(_("error"), blank=True)
    rows_processed = models.PositiveIntegerField(_("rows read"), default=0)
    rows_added = models.PositiveIntegerField(_("numbers added"), default=0)
    rows_invalid = models.PositiveIntegerField(_("invalid rows"), default=0)
    rows_duplicate = models.PositiveIntegerField(_("already listed"), default=0)
    error_report = models.FileField(_("error report"), upload_to=campaign_file_path, max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("uploaded"), default=timezone.now)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(_("last sign of life"), null=True, blank=True)
    rows_checkpoint = models.PositiveIntegerField(_("last row committed"), default=0)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("do-not-call import")
        verbose_name_plural = _("do-not-call imports")

    def __str__(self) -> str:
        return f"{self.pk} {self.status}"


class ImportRowError(models.Model):
    """A rejected row of a contact-list or do-not-call import, written in the same transaction
    as the batch it belongs to (so a resumed import reports every row exactly once); the CSV
    error report is built from these rows when the import ends."""

    contact_list = models.ForeignKey(
        ContactList, verbose_name=_("contact list"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    dnc_import = models.ForeignKey(
        DoNotCallImport,
        verbose_name=_("do-not-call import"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    row = models.PositiveIntegerField(_("row"))
    value = models.CharField(_("value"), max_length=200, blank=True)
    reason = models.CharField(_("reason"), max_length=200)

    class Meta:
        ordering = ["row"]
        verbose_name = _("rejected import row")
        verbose_name_plural = _("rejected import rows")
        constraints = [
            models.UniqueConstraint(fields=["contact_list", "row"], name="import_row_error_list_row_unique"),
            models.UniqueConstraint(fields=["dnc_import", "row"], name="import_row_error_dnc_row_unique"),
            models.CheckConstraint(
                condition=models.Q(contact_list__isnull=False) ^ models.Q(dnc_import__isnull=False),
                name="import_row_error_one_job",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.row}: {self.reason}"


class Consent(models.Model):
    """The callee's consent to marketing calls (China: marketing needs it and stops when refused).
    A number may have several rows over time; it is consented while one row is granted and not revoked."""

    number = models.CharField(_("number (E.164)"), max_length=20)
    source = models.CharField(_("source"), max_length=200, help_text=_("Where and how consent was given."))
    granted_at = models.DateTimeField(_("granted"))
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoke_reason = models.CharField(_("why revoked"), max_length=200, blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("recorded"), default=timezone.now)

    class Meta:
        ordering = ["-granted_at", "-id"]
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        indexes = [models.Index(fields=["number", "granted_at"], name="consent_number_granted_idx")]

    def __str__(self) -> str:
        return self.number


class ScheduledCallback(models.Model):
    """A promise to call a contact again at a time, by one agent (``agent``) or by anyone in the queue."""

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campaign"), on_delete=models.CASCADE, related_name="scheduled_callbacks"
    )
    contact = models.ForeignKey(
        Contact, verbose_name=_("contact"), on_delete=models.CASCADE, related_name="scheduled_callbacks"
    )
    due_at = models.DateTimeField(_("when"))
    agent = models.ForeignKey(
        "telephony.Agent",
        verbose_name=_("agent"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="scheduled_callbacks",
        help_text=_("Empty: any agent of the campaign's queue."),
    )
    note = models.TextField(_("note"), blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=ScheduledCallbackStatus.choices, default=ScheduledCallbackStatus.PENDING
    )
    attempt = models.ForeignKey(
        DialAttempt, verbose_name=_("attempt"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("scheduled by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("scheduled"), default=timezone.now)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)

    class Meta:
        ordering = ["due_at", "id"]
        verbose_name = _("scheduled callback")
        verbose_name_plural = _("scheduled callbacks")
        indexes = [
            models.Index(fields=["agent", "status", "due_at"], name="schedcallback_agent_due_idx"),
            models.Index(fields=["contact", "status"], name="schedcallback_contact_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.contact_id} @ {self.due_at:%Y-%m-%d %H:%M}"


class CampaignExport(models.Model):
    """The audit log of result exports: customer data leaving the product is always recorded."""

    campaign = models.ForeignKey(Campaign, verbose_name=_("campaign"), on_delete=models.CASCADE, related_name="exports")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    file_format = models.CharField(_("format"), max_length=8, choices=ExportFormat.choices)
    at = models.DateTimeField(_("at"), default=timezone.now)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    class Meta:
        ordering = ["-at"]
        verbose_name = _("campaign export")
        verbose_name_plural = _("campaign exports")

    def __str__(self) -> str:
        return f"{self.campaign_id} {self.file_format} {self.at:%Y-%m-%d %H:%M}"
