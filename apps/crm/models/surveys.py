"""Satisfaction surveys: the customers' answers (from the post-call IVR survey, or given on a
callback visit), their follow-up when the score is low, and callback visits (回访) handed to an
outbound campaign so that the dialer calls the customer back.

A response made from a call's IVR survey is unique per call, so reading the CDRs again never
counts an answer twice (apps/crm/services/surveys.py). A visit task keeps the campaign contact it
created; the dialer's outcome is read back from it (apps/crm/services/visits.py).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.crm.surveys.choices import FollowUpStatus, SurveyChannel, VisitTaskStatus
from apps.crm.surveys.scoring import SCORE_MAX, SCORE_MIN


class SurveyResponse(models.Model):
    """One customer's answer to the satisfaction survey: a score of 1–5 and, where the channel
    asks them, more questions (``answers``: question code → answer)."""

    channel = models.CharField(_("channel"), max_length=8, choices=SurveyChannel.choices, default=SurveyChannel.IVR)
    call = models.ForeignKey(
        "telephony.Call",
        verbose_name=_("call"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    ticket = models.ForeignKey(
        "crm.Ticket",
        verbose_name=_("ticket"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="survey_responses",
    )
    agent = models.ForeignKey(
        "telephony.Agent",
        verbose_name=_("agent"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    queue = models.ForeignKey(
        "telephony.Queue",
        verbose_name=_("queue"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    caller = models.CharField(_("caller number"), max_length=32, blank=True)
    score = models.PositiveSmallIntegerField(_("score (1–5)"))
    answers = models.JSONField(_("answers"), default=dict, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    answered_at = models.DateTimeField(_("answered"))
    created_at = models.DateTimeField(_("recorded"), default=timezone.now)
    follow_up_status = models.CharField(
        _("follow-up"), max_length=8, choices=FollowUpStatus.choices, default=FollowUpStatus.NONE
    )
    follow_up_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("follow-up by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="survey_follow_ups",
    )
    follow_up_note = models.TextField(_("follow-up note"), blank=True)
    follow_up_done_at = models.DateTimeField(_("followed up"), null=True, blank=True)

    class Meta:
        ordering = ["-answered_at", "-id"]
        verbose_name = _("survey response")
        verbose_name_plural = _("survey responses")
        constraints = [
            models.UniqueConstraint(fields=["call"], condition=Q(call__isnull=False), name="surveyresponse_call_uniq"),
            models.CheckConstraint(
                condition=Q(score__gte=SCORE_MIN) & Q(score__lte=SCORE_MAX), name="surveyresponse_score_range"
            ),
        ]
        indexes = [
            models.Index(fields=["-answered_at", "-id"], name="surveyresponse_answered_idx"),
            models.Index(fields=["agent", "answered_at"], name="surveyresponse_agent_idx"),
            models.Index(fields=["queue", "answered_at"], name="surveyresponse_queue_idx"),
            models.Index(
                fields=["follow_up_status", "answered_at"],
                condition=Q(follow_up_status__in=[FollowUpStatus.PENDING, FollowUpStatus.OPEN]),
                name="surveyresponse_followup_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.score}"


class VisitTask(models.Model):
    """A callback visit (回访) given to an outbound campaign: the contact it added, and what the
    dialer made of it (outcome, the agent's disposition, the call), read back by the sync."""

    ticket = models.ForeignKey(
        "crm.Ticket",
        verbose_name=_("ticket"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="visit_tasks",
    )
    survey_response = models.ForeignKey(
        SurveyResponse,
        verbose_name=_("survey response"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="visit_tasks",
    )
    campaign = models.ForeignKey(
        "telephony.Campaign",
        verbose_name=_("campaign"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    contact = models.ForeignKey(
        "telephony.Contact",
        verbose_name=_("campaign contact"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    phone = models.CharField(_("phone (E.164)"), max_length=20)
    status = models.CharField(_("status"), max_length=8, choices=VisitTaskStatus.choices, default=VisitTaskStatus.OPEN)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_outcome = models.CharField(_("last outcome"), max_length=16, blank=True)
    disposition = models.ForeignKey(
        "telephony.Disposition",
        verbose_name=_("disposition"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    call = models.ForeignKey(
        "telephony.Call",
        verbose_name=_("visit call"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("visit task")
        verbose_name_plural = _("visit tasks")
        constraints = [
            models.CheckConstraint(
                condition=Q(ticket__isnull=False) | Q(survey_response__isnull=False), name="visittask_has_subject"
            ),
            # One visit waiting for the dialer per ticket and per response: a second click is refused.
            models.UniqueConstraint(
                fields=["ticket"], condition=Q(status=VisitTaskStatus.OPEN), name="visittask_open_ticket_uniq"
            ),
            models.UniqueConstraint(
                fields=["survey_response"],
                condition=Q(status=VisitTaskStatus.OPEN),
                name="visittask_open_response_uniq",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "id"], condition=Q(status=VisitTaskStatus.OPEN), name="visittask_open_idx")
        ]

    def __str__(self) -> str:
        return f"{self.phone} {self.status}"
