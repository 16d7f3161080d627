"""The surveys' choice fields (kept beside their rules, as the knowledge base does, rather than in
apps/crm/choices.py, which the tickets work owns; the models import them from here)."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class SurveyChannel(models.TextChoices):
    """Where the customer gave the answer."""

    IVR = "ivr", _("Post-call IVR")
    VISIT = "visit", _("Callback visit")


class FollowUpStatus(models.TextChoices):
    """A low score's follow-up by the agent's supervisor (``none``: the score needs none)."""

    NONE = "none", pgettext_lazy("follow-up", "None needed")
    PENDING = "pending", pgettext_lazy("follow-up", "Pending")
    OPEN = "open", pgettext_lazy("follow-up", "Open")
    DONE = "done", pgettext_lazy("follow-up", "Done")


class VisitTaskStatus(models.TextChoices):
    """A callback visit handed to an outbound campaign: waiting for the dialer, or finished."""

    OPEN = "open", pgettext_lazy("visit task", "Waiting for the call")
    DONE = "done", pgettext_lazy("visit task", "Called")
    FAILED = "failed", pgettext_lazy("visit task", "Not reached")
