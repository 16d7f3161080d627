"""Tickets (work orders, 工单): categories with their service-level targets, the departments that
work them, the tickets themselves and what happens to them (events, notes, files, callback visits).

Due times are computed once in business time (apps/crm/sla.py) and stored, so that a list of a
million tickets filters and sorts on plain indexed columns; docs/tickets.md says when they are
computed again.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.core.tenancy import current_schema
from apps.crm.choices import NoteKind, TicketEventKind, TicketPriority, TicketStatus, VisitAttitude

# Statuses in which the work is not done yet: the SLA clocks run, the sweep looks at them.
OPEN_STATUSES = (TicketStatus.RECEIVED, TicketStatus.ASSIGNED, TicketStatus.SUPERVISED, TicketStatus.IN_PROGRESS)


class TicketCategory(models.Model):
    """What a ticket is about (咨询, 投诉, 报修 …); its SLA targets are per priority (:class:`SlaTarget`)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    active = models.BooleanField(_("active"), default=True)
    business_hours = models.ForeignKey(
        "telephony.BusinessHours",
        verbose_name=_("business hours"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("The hours its SLA clocks run in. Empty: the company's first business hours."),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["name"]
        verbose_name = _("ticket category")
        verbose_name_plural = _("ticket categories")

    def __str__(self) -> str:
        return self.name


class SlaTarget(models.Model):
    """First response and resolution targets of one category × priority, in business minutes."""

    category = models.ForeignKey(
        TicketCategory, verbose_name=_("category"), on_delete=models.CASCADE, related_name="targets"
    )
    priority = models.CharField(_("priority"), max_length=8, choices=TicketPriority.choices)
    first_response_minutes = models.PositiveIntegerField(_("first response (business minutes)"))
    resolution_minutes = models.PositiveIntegerField(_("resolution (business minutes)"))

    class Meta:
        ordering = ["category", "priority"]
        verbose_name = _("SLA target")
        verbose_name_plural = _("SLA targets")
        constraints = [
            models.UniqueConstraint(fields=["category", "priority"], name="slatarget_category_priority_uniq"),
            models.CheckConstraint(
                condition=Q(first_response_minutes__gt=0)
                & Q(resolution_minutes__gte=models.F("first_response_minutes")),
                name="slatarget_minutes_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.category} / {self.priority}"


class Department(models.Model):
    """A department tickets are handed to (交办). Its people are a team's (apps.accounts ``Team``):
    the team's members work its tickets, the team's supervisors are the first to hear of a breach."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="ticket_departments",
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["name"]
        verbose_name = _("department")
        verbose_name_plural = _("departments")

    def __str__(self) -> str:
        return self.name


class TicketCounter(models.Model):
    """The last ticket number given out in a year (numbers are T-<year>-<six digits> per tenant)."""

    year = models.PositiveSmallIntegerField(_("year"), primary_key=True)
    last = models.PositiveIntegerField(_("last number"), default=0)

    class Meta:
        verbose_name = _("ticket counter")
        verbose_name_plural = _("ticket counters")

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"


class Ticket(models.Model):
    """A work order. Every change goes through apps/crm/services/tickets.py, which writes a
    :class:`TicketEvent` (and the audit log) for it."""

    number = models.CharField(_("number"), max_length=24, unique=True)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    customer = models.ForeignKey(
        "crm.Customer",
        verbose_name=_("customer"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tickets",
    )
    calls = models.ManyToManyField("telephony.Call", verbose_name=_("calls"), blank=True, related_name="tickets")
    category = models.ForeignKey(
        TicketCategory, verbose_name=_("category"), on_delete=models.PROTECT, related_name="tickets"
    )
    priority = models.CharField(
        _("priority"), max_length=8, choices=TicketPriority.choices, default=TicketPriority.NORMAL
    )
    status = models.CharField(_("status"), max_length=16, choices=TicketStatus.choices, default=TicketStatus.RECEIVED)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_tickets",
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tickets",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="created_tickets",
    )
    resolution = models.TextField(_("resolution"), blank=True)
    received_at = models.DateTimeField(_("received"))
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    # The targets applied, copied at receipt (and on a priority or category change): editing a
    # category's targets later does not move the due times of tickets already running.
    first_response_minutes = models.PositiveIntegerField(_("first response target (business minutes)"))
    resolution_minutes = models.PositiveIntegerField(_("resolution target (business minutes)"))
    first_response_due = models.DateTimeField(_("first response due"))
    first_response_warn_at = models.DateTimeField(_("first response warning"))
    first_response_at = models.DateTimeField(_("first response"), null=True, blank=True)
    resolution_due = models.DateTimeField(_("resolution due"))
    resolution_warn_at = models.DateTimeField(_("resolution warning"))
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    first_response_warned = models.BooleanField(_("first response warned"), default=False)
    resolution_warned = models.BooleanField(_("resolution warned"), default=False)
    first_response_breached = models.BooleanField(_("first response missed"), default=False)
    resolution_breached = models.BooleanField(_("resolution missed"), default=False)
    breached = models.BooleanField(_("target missed"), default=False)
    supervision_count = models.PositiveSmallIntegerField(_("times supervised"), default=0)
    supervised_at = models.DateTimeField(_("last supervised"), null=True, blank=True)
    escalation_level = models.PositiveSmallIntegerField(_("escalation level"), default=0)
    escalated_at = models.DateTimeField(_("escalated"), null=True, blank=True)
    escalation_due = models.DateTimeField(_("next escalation"), null=True, blank=True)
    reopen_count = models.PositiveSmallIntegerField(_("times reopened"), default=0)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        indexes = [
            # The list (newest first) with each filter the API and the page offer.
            models.Index(fields=["-received_at", "-id"], name="ticket_received_idx"),
            models.Index(fields=["status", "-received_at", "-id"], name="ticket_status_idx"),
            models.Index(fields=["assignee", "status", "-received_at"], name="ticket_assignee_idx"),
            models.Index(fields=["department", "status", "-received_at"], name="ticket_department_idx"),
            models.Index(fields=["created_by", "-received_at"], name="ticket_creator_idx"),
            models.Index(fields=["category", "priority", "-received_at"], name="ticket_category_idx"),
            models.Index(fields=["priority", "-received_at"], name="ticket_priority_idx"),
            models.Index(fields=["customer", "-received_at"], name="ticket_customer_idx"),
            models.Index(fields=["-received_at", "-id"], condition=Q(breached=True), name="ticket_breached_idx"),
            # What the SLA sweep looks for, among open tickets only.
            models.Index(
                fields=["first_response_warn_at"],
                condition=Q(first_response_at__isnull=True, first_response_breached=False)
                & Q(status__in=OPEN_STATUSES),
                name="ticket_fr_clock_idx",
            ),
            models.Index(
                fields=["resolution_warn_at"],
                condition=Q(resolution_breached=False) & Q(status__in=OPEN_STATUSES),
                name="ticket_res_clock_idx",
            ),
            models.Index(
                fields=["escalation_due"],
                condition=Q(escalation_due__isnull=False) & Q(status__in=OPEN_STATUSES),
                name="ticket_escalation_idx",
            ),
            models.Index(fields=["resolution_due"], condition=Q(status__in=OPEN_STATUSES), name="ticket_due_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class TicketEvent(models.Model):
    """One line of a ticket's history: a transition, an assignment, a supervision, a note …
    ``actor`` empty means the system (the SLA sweep)."""

    ticket = models.ForeignKey(Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("kind"), max_length=16, choices=TicketEventKind.choices)
    at = models.DateTimeField(_("when"), default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    from_status = models.CharField(_("from"), max_length=16, choices=TicketStatus.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=16, choices=TicketStatus.choices, blank=True)
    data = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("ticket event")
        verbose_name_plural = _("ticket events")
        indexes = [models.Index(fields=["ticket", "at"], name="ticketevent_ticket_at_idx")]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.kind}"


class TicketNote(models.Model):
    """Text written on a ticket: an internal note, or a reply the customer is told. A follow-up
    (跟进) is a note or reply that records work done; the first one is the first response."""

    ticket = models.ForeignKey(Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="notes")
    kind = models.CharField(_("kind"), max_length=8, choices=NoteKind.choices, default=NoteKind.NOTE)
    is_follow_up = models.BooleanField(_("follow-up"), default=False)
    body = models.TextField(_("text"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("written"), default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("ticket note")
        verbose_name_plural = _("ticket notes")
        indexes = [models.Index(fields=["ticket", "created_at"], name="ticketnote_ticket_idx")]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.kind}"


def ticket_attachment_path(instance: models.Model, filename: str) -> str:
    """Files live under the tenant's prefix (ARCHITECTURE §8), one folder per day."""
    return f"tenants/{current_schema()}/tickets/{timezone.now():%Y/%m/%d}/{filename}"


class TicketAttachment(models.Model):
    """A file attached to a ticket; served only through the ticket page, to who may see the ticket."""

    ticket = models.ForeignKey(Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("file"), upload_to=ticket_attachment_path, max_length=300)
    name = models.CharField(_("name"), max_length=200)
    size_bytes = models.PositiveIntegerField(_("size (bytes)"))
    content_type = models.CharField(_("content type"), max_length=100)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("uploaded"), default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("ticket attachment")
        verbose_name_plural = _("ticket attachments")

    def __str__(self) -> str:
        return self.name


class TicketVisit(models.Model):
    """The callback visit (回访): the customer's five answers, recorded when the ticket is closed."""

    ticket = models.ForeignKey(Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="visits")
    solved = models.BooleanField(_("solved"))
    attitude = models.CharField(_("staff attitude"), max_length=16, choices=VisitAttitude.choices)
    charged = models.BooleanField(_("charged"))
    score = models.PositiveSmallIntegerField(
        _("score (1–10)"), validators=[MinValueValidator(1), MaxValueValidator(10)]
    )
    suggestion = models.TextField(_("suggestion"), blank=True)
    visited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("visited by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    visited_at = models.DateTimeField(_("visited"), default=timezone.now)

    class Meta:
        ordering = ["visited_at", "id"]
        verbose_name = _("callback visit")
        verbose_name_plural = _("callback visits")
        constraints = [
            models.CheckConstraint(condition=Q(score__gte=1) & Q(score__lte=10), name="ticketvisit_score_range")
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.score}"
