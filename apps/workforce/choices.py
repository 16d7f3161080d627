"""Every choice field of the workforce app."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ShiftStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")


class ActivityKind(models.TextChoices):
    """What a scheduled stretch of a shift is for; adherence maps agent states onto these."""

    ON_QUEUE = "on_queue", _("On queue")
    BREAK = "break", _("Break")
    MEAL = "meal", _("Meal")
    TRAINING = "training", _("Training")
    MEETING = "meeting", _("Meeting")


class ClockKind(models.TextChoices):
    IN = "in", _("Clock in")
    OUT = "out", _("Clock out")


class ClockSource(models.TextChoices):
    WEB = "web", _("Web")
    DESK = "desk", _("Agent desktop login/logout")
    CORRECTION = "correction", _("Correction by HR or a supervisor")
    API = "api", _("API")


class SwapStatus(models.TextChoices):
    PENDING_COUNTERPART = "pending_counterpart", _("Waiting for the colleague")
    PENDING_APPROVAL = "pending_approval", _("Waiting for a supervisor")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    DECLINED = "declined", _("Declined by the colleague")
    CANCELLED = "cancelled", _("Cancelled")


class RequestStatus(models.TextChoices):
    """Leave and overtime requests."""

    PENDING = "pending", _("Pending")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    CANCELLED = "cancelled", _("Cancelled")


class LeaveKind(models.TextChoices):
    ANNUAL = "annual", _("Annual leave")
    SICK = "sick", _("Sick leave")
    PERSONAL = "personal", _("Personal leave")
    BEREAVEMENT = "bereavement", _("Bereavement leave")
    MARRIAGE = "marriage", _("Marriage leave")
    MATERNITY = "maternity", _("Maternity leave")
    PATERNITY = "paternity", _("Paternity leave")
    UNPAID = "unpaid", _("Unpaid leave")


class Relation(models.TextChoices):
    """The deceased's relation to the employee (bereavement leave days depend on it)."""

    PARENT = "parent", _("Parent")
    SPOUSE = "spouse", _("Spouse")
    CHILD = "child", _("Child")
    GRANDPARENT = "grandparent", _("Grandparent")
    SIBLING = "sibling", _("Sibling")
    PARENT_IN_LAW = "parent_in_law", _("Parent-in-law")


class ApprovalStep(models.TextChoices):
    """The leave approval chain: a supervisor first; HR too when the policy asks for it."""

    SUPERVISOR = "supervisor", _("Supervisor")
    HR = "hr", _("HR")


class ApprovalDecision(models.TextChoices):
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class OvertimeDayKind(models.TextChoices):
    """Labour Law art. 44: which rate overtime on this day earns (classified by the calendar)."""

    WORKDAY = "workday", _("Working day")
    REST_DAY = "rest_day", _("Rest day")
    HOLIDAY = "holiday", _("Statutory holiday")


class DismissalRule(models.TextChoices):
    WARNINGS = "warnings", _("Warning letters within the window")
    ABSENCE_CONSECUTIVE = "absence_consecutive", _("Consecutive scheduled days absent")
    ABSENCE_YEAR = "absence_year", _("Days absent within a year")


class ReviewDecision(models.TextChoices):
    PENDING = "", _("Not reviewed")
    DISMISS = "dismiss", _("Dismiss")
    KEEP = "keep", _("Keep (no dismissal)")
