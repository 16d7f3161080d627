"""Every choice field of the QA app."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class QuestionKind(models.TextChoices):
    YES_NO = "yes_no", _("Yes / no")
    SCALE = "scale", _("Scale (0 to points)")
    POINTS = "points", _("Points (0 to points)")


class Critical(models.TextChoices):
    NONE = "none", _("Not critical")
    SECTION = "section", _("Critical to its section")
    FORM = "form", _("Critical to the whole form")


class ScorecardStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    RETIRED = "retired", _("Retired")


class EvaluationKind(models.TextChoices):
    REGULAR = "regular", _("Evaluation")
    CALIBRATION = "calibration", _("Calibration")


class EvaluationStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    DISPUTED = "disputed", _("Disputed")
    FINAL = "final", _("Final")


class DisputeStatus(models.TextChoices):
    OPEN = "open", _("Open")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")


class CalibrationStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class BenchmarkMode(models.TextChoices):
    LEAD = "lead", _("The lead's evaluation")
    CONSENSUS = "consensus", _("The consensus (median) answer")


class CoachingStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class SamplingPeriod(models.TextChoices):
    DAY = "day", pgettext_lazy("period", "Day")
    WEEK = "week", pgettext_lazy("period", "Week")
    MONTH = "month", pgettext_lazy("period", "Month")


class AssignmentStatus(models.TextChoices):
    PENDING = "pending", _("To do")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")
    SKIPPED = "skipped", _("Skipped")


class SampleReason(models.TextChoices):
    RANDOM = "random", _("Random sample")
    LOW_CSAT = "low_csat", _("Low satisfaction score")
    COMPLAINT = "complaint", _("Complaint disposition")
    TRANSFER = "transfer", _("Transferred")
    LONG_HOLD = "long_hold", _("Long hold")
    ANALYSIS = "analysis", _("Automatic analysis flag")
    MANUAL = "manual", _("Added by hand")
