"""Every choice field of the CRM app (customers, tickets)."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class TicketStatus(models.TextChoices):
    """The work-order life cycle: 受理 → 交办 → (督办) → 跟进 → 办结 → 回访 → 结案 (ticket_states.py)."""

    RECEIVED = "received", pgettext_lazy("ticket", "Received")
    ASSIGNED = "assigned", pgettext_lazy("ticket", "Assigned")
    SUPERVISED = "supervised", pgettext_lazy("ticket", "Supervised")
    IN_PROGRESS = "in_progress", pgettext_lazy("ticket", "In progress")
    RESOLVED = "resolved", pgettext_lazy("ticket", "Resolved")
    VISITED = "visited", pgettext_lazy("ticket", "Visited")
    CLOSED = "closed", pgettext_lazy("ticket", "Closed")


class TicketPriority(models.TextChoices):
    LOW = "low", pgettext_lazy("priority", "Low")
    NORMAL = "normal", pgettext_lazy("priority", "Normal")
    HIGH = "high", pgettext_lazy("priority", "High")
    URGENT = "urgent", pgettext_lazy("priority", "Urgent")


class NoteKind(models.TextChoices):
    NOTE = "note", _("Internal note")
    REPLY = "reply", _("Reply to the customer")


class VisitAttitude(models.TextChoices):
    """How the staff behaved, in the customer's words on the callback visit (回访)."""

    SATISFIED = "satisfied", _("Satisfied")
    AVERAGE = "average", _("Average")
    DISSATISFIED = "dissatisfied", _("Dissatisfied")


class TicketEventKind(models.TextChoices):
    CREATED = "created", _("Received")
    ASSIGNED = "assigned", _("Assigned")
    SUPERVISED = "supervised", _("Supervised")
    FOLLOW_UP = "follow_up", _("Followed up")
    NOTE = "note", _("Internal note")
    RESOLVED = "resolved", _("Resolved")
    VISITED = "visited", _("Callback visit")
    CLOSED = "closed", _("Closed")
    REOPENED = "reopened", _("Reopened")
    CHANGED = "changed", _("Changed")
    ATTACHMENT = "attachment", _("File attached")
    CALL_LINKED = "call_linked", _("Call linked")
    WARNED = "warned", _("Due soon")
    BREACHED = "breached", _("Target missed")
    ESCALATED = "escalated", _("Escalated")


class SlaClock(models.TextChoices):
    """The two service-level targets a ticket is measured on."""

    FIRST_RESPONSE = "first_response", _("First response")
    RESOLUTION = "resolution", _("Resolution")


# --- customers ---------------------------------------------------------------------------------------

VIP_LEVEL_MAX = 5  # 0: not a VIP; 1 (highest) … 5


class CustomFieldType(models.TextChoices):
    """What a custom field holds; apps/crm/custom_fields.py validates each."""

    TEXT = "text", _("Text")
    NUMBER = "number", _("Number")
    DATE = "date", _("Date")
    CHOICE = "choice", _("Choice")
    MULTI_CHOICE = "multi_choice", _("Multiple choice")
    PHONE = "phone", _("Phone number")
    EMAIL = "email", _("E-mail address")


class CustomerImportStatus(models.TextChoices):
    """The same life cycle as a contact-list import (apps/telephony/services/campaigns/import_jobs.py)."""

    UPLOADED = "uploaded", _("Uploaded: waiting for the column mapping")
    QUEUED = "queued", _("Queued")
    IMPORTING = "importing", _("Importing")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")
    STALLED = "stalled", _("Stalled: its worker stopped")
    CANCELLED = "cancelled", _("Cancelled")
