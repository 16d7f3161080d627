"""Every choice field of the training app."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class CourseStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")


class LessonKind(models.TextChoices):
    TEXT = "text", _("Text")
    HTML = "html", _("HTML")
    GOLDEN_CALL = "golden_call", _("Golden call")
    ATTACHMENT = "attachment", _("Attachment")


class AssignmentSource(models.TextChoices):
    MANUAL = "manual", _("Assigned by hand")
    COACHING = "coaching", _("Coaching session")
    QA_RULE = "qa_rule", _("QA rule")
    PROGRAMME = "programme", _("Programme")


class QuestionKind(models.TextChoices):
    SINGLE = "single", _("Single choice")
    MULTIPLE = "multiple", _("Multiple choice")
    TRUE_FALSE = "true_false", _("True / false")
    SHORT_ANSWER = "short_answer", _("Short answer")


class AttemptStatus(models.TextChoices):
    IN_PROGRESS = "in_progress", _("In progress")
    SUBMITTED = "submitted", _("Submitted")
    EXPIRED = "expired", _("Expired")
    AWAITING_GRADING = "awaiting_grading", _("Awaiting grading")


class TypingLanguage(models.TextChoices):
    ZH = "zh", _("Chinese")
    EN = "en", _("English")


class ProgrammeStepKind(models.TextChoices):
    COURSE = "course", _("Course")
    EXAM = "exam", _("Exam")
    MILESTONE = "milestone", _("On-the-job milestone")
