"""Evaluations: one evaluator scoring one call on one scorecard version.

``score`` and ``section_scores`` are stored when the evaluation is saved (computed by
apps/qa/scoring.py, unrounded to 4 decimals) so that reports read them without re-scoring.
``agent`` is the user who handled the call (the call's agent's user), kept on the row so that
"an agent sees only their own" and the per-agent reports need no join through telephony.
A re-score after an accepted dispute keeps the earlier answers in ``EvaluationRevision``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.qa.choices import EvaluationKind, EvaluationStatus


class Evaluation(models.Model):
    call = models.ForeignKey(
        "telephony.Call", verbose_name=_("call"), on_delete=models.CASCADE, related_name="qa_evaluations"
    )
    scorecard = models.ForeignKey(
        "qa.Scorecard", verbose_name=_("scorecard"), on_delete=models.PROTECT, related_name="evaluations"
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("agent"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="qa_evaluations_received",
    )
    evaluator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("evaluator"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="qa_evaluations_given",
    )
    kind = models.CharField(_("kind"), max_length=16, choices=EvaluationKind.choices, default=EvaluationKind.REGULAR)
    calibration = models.ForeignKey(
        "qa.CalibrationSession",
        verbose_name=_("calibration session"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="evaluations",
    )
    assignment = models.ForeignKey(
        "qa.Assignment",
        verbose_name=_("assignment"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="evaluations",
    )
    status = models.CharField(
        _("status"), max_length=16, choices=EvaluationStatus.choices, default=EvaluationStatus.DRAFT
    )
    score = models.DecimalField(_("score"), max_digits=9, decimal_places=4, null=True, blank=True)
    section_scores = models.JSONField(_("section scores"), default=dict, blank=True)
    critical_failed = models.BooleanField(_("critical failed"), default=False)
    summary = models.TextField(_("summary"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True, db_index=True)
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)

    class Meta:
        ordering = ["-submitted_at", "-created_at"]
        verbose_name = _("evaluation")
        verbose_name_plural = _("evaluations")
        indexes = [
            models.Index(fields=["agent", "submitted_at"], name="qa_eval_agent_submitted_idx"),
            models.Index(fields=["evaluator", "submitted_at"], name="qa_eval_evaluator_sub_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.call_id} / {self.scorecard_id}"

    @property
    def is_visible_to_agent(self) -> bool:
        return self.kind == EvaluationKind.REGULAR and self.status != EvaluationStatus.DRAFT


class Answer(models.Model):
    """``earned`` is the points earned (yes = the question's points, no = 0); null with ``na``."""

    evaluation = models.ForeignKey(
        Evaluation, verbose_name=_("evaluation"), on_delete=models.CASCADE, related_name="answers"
    )
    question = models.ForeignKey(
        "qa.Question", verbose_name=_("question"), on_delete=models.PROTECT, related_name="answers"
    )
    earned = models.DecimalField(_("points earned"), max_digits=9, decimal_places=2, null=True, blank=True)
    na = models.BooleanField(_("N/A"), default=False)
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        ordering = ["evaluation", "question__section__position", "question__position", "question_id"]
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        constraints = [
            models.UniqueConstraint(fields=["evaluation", "question"], name="qa_answer_eval_question_uniq"),
            models.CheckConstraint(
                condition=models.Q(na=True, earned__isnull=True) | models.Q(na=False, earned__isnull=False),
                name="qa_answer_na_xor_earned",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.question_id}={'N/A' if self.na else self.earned}"


class EvaluationComment(models.Model):
    """A comment, optionally pinned to a moment of the recording (``at_seconds``)."""

    evaluation = models.ForeignKey(
        Evaluation, verbose_name=_("evaluation"), on_delete=models.CASCADE, related_name="comments"
    )
    at_seconds = models.FloatField(_("at (s)"), null=True, blank=True)
    text = models.TextField(_("text"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("author"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["evaluation", "at_seconds", "id"]
        verbose_name = _("comment")
        verbose_name_plural = _("comments")

    def __str__(self) -> str:
        return self.text[:40]


class EvaluationRevision(models.Model):
    """The answers and score an evaluation had before a re-score (a dispute accepted, a lead's edit)."""

    evaluation = models.ForeignKey(
        Evaluation, verbose_name=_("evaluation"), on_delete=models.CASCADE, related_name="revisions"
    )
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("changed by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField(_("changed"), default=timezone.now)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    before = models.JSONField(_("before"), default=dict)
    after = models.JSONField(_("after"), default=dict)

    class Meta:
        ordering = ["evaluation", "changed_at"]
        verbose_name = _("evaluation revision")
        verbose_name_plural = _("evaluation revisions")

    def __str__(self) -> str:
        return f"{self.evaluation_id} @ {self.changed_at:%Y-%m-%d %H:%M}"
