"""An agent's dispute of specific questions of an evaluation, decided by a QA lead."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.qa.choices import DisputeStatus


class Dispute(models.Model):
    evaluation = models.ForeignKey(
        "qa.Evaluation", verbose_name=_("evaluation"), on_delete=models.CASCADE, related_name="disputes"
    )
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("raised by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.TextField(_("reason"))
    status = models.CharField(_("status"), max_length=16, choices=DisputeStatus.choices, default=DisputeStatus.OPEN)
    raised_at = models.DateTimeField(_("raised"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decision_note = models.TextField(_("decision note"), blank=True)

    class Meta:
        ordering = ["-raised_at"]
        verbose_name = _("dispute")
        verbose_name_plural = _("disputes")
        constraints = [
            models.UniqueConstraint(
                fields=["evaluation"], condition=models.Q(status="open"), name="qa_dispute_one_open_per_eval"
            )
        ]

    def __str__(self) -> str:
        return f"{self.evaluation_id} {self.status}"


class DisputeItem(models.Model):
    dispute = models.ForeignKey(Dispute, verbose_name=_("dispute"), on_delete=models.CASCADE, related_name="items")
    question = models.ForeignKey("qa.Question", verbose_name=_("question"), on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(_("reason"), blank=True)

    class Meta:
        ordering = ["dispute", "id"]
        verbose_name = _("disputed question")
        verbose_name_plural = _("disputed questions")
        constraints = [models.UniqueConstraint(fields=["dispute", "question"], name="qa_dispute_item_uniq")]

    def __str__(self) -> str:
        return f"{self.dispute_id}:{self.question_id}"
