"""Sampling rules and the assignments they create.

A rule picks, for each period (day/week/month, in the tenant's time zone), calls to evaluate:
``per_agent`` calls per agent and/or ``percent`` of calls, stratified by the keys in ``strata``
(queue, campaign, direction), with a minimum talk time; calls matching an "always include" test
are added whatever the draw; calls already evaluated (or too short) are excluded. The draw uses
``seed`` and the period so that running it twice gives the same sample. Assignments go to the
rule's evaluators by workload (apps/qa/services/sampling.py).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.qa.choices import AssignmentStatus, SampleReason, SamplingPeriod


class SamplingRule(models.Model):
    name = models.CharField(_("name"), max_length=150)
    is_active = models.BooleanField(_("active"), default=True)
    scorecard = models.ForeignKey(
        "qa.Scorecard", verbose_name=_("scorecard"), on_delete=models.PROTECT, related_name="+"
    )
    period = models.CharField(_("period"), max_length=8, choices=SamplingPeriod.choices, default=SamplingPeriod.WEEK)
    per_agent = models.PositiveIntegerField(_("calls per agent"), null=True, blank=True)
    percent = models.DecimalField(_("percent of calls"), max_digits=5, decimal_places=2, null=True, blank=True)
    strata = models.JSONField(_("stratify by"), default=list, blank=True)  # any of "queue", "campaign", "direction"
    queues = models.ManyToManyField("telephony.Queue", verbose_name=_("queues"), blank=True, related_name="+")
    campaigns = models.ManyToManyField("telephony.Campaign", verbose_name=_("campaigns"), blank=True, related_name="+")
    directions = models.JSONField(_("directions"), default=list, blank=True)  # empty: all
    min_talk_seconds = models.PositiveIntegerField(_("minimum talk time (s)"), default=30)
    # Always include: each test is off when empty.
    include_csat_at_most = models.PositiveSmallIntegerField(_("include CSAT at most"), null=True, blank=True)
    include_dispositions = models.ManyToManyField(
        "telephony.Disposition", verbose_name=_("include dispositions"), blank=True, related_name="+"
    )
    include_transfers = models.BooleanField(_("include transferred calls"), default=False)
    include_hold_seconds_over = models.PositiveIntegerField(_("include holds longer than (s)"), null=True, blank=True)
    include_analysis_flags = models.JSONField(_("include analysis flags"), default=list, blank=True)
    exclude_evaluated = models.BooleanField(_("exclude calls already evaluated"), default=True)
    # A call nobody can listen to cannot be scored on the player (a center records every call;
    # the demo's history records a few a day).
    require_recording = models.BooleanField(_("only calls with a recording"), default=True)
    evaluators = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("evaluators"), related_name="qa_sampling_rules", blank=True
    )
    due_days = models.PositiveSmallIntegerField(_("days to complete"), default=5)
    seed = models.BigIntegerField(_("seed"), default=0)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["name"]
        verbose_name = _("sampling rule")
        verbose_name_plural = _("sampling rules")

    def __str__(self) -> str:
        return self.name


class Assignment(models.Model):
    """One sampled call for one evaluator, with a due date."""

    # No index of their own for ``rule`` and ``assignee``: the unique (rule, call) and the
    # (assignee, status) indexes begin with them, and a sampling run inserts thousands of rows.
    rule = models.ForeignKey(
        SamplingRule,
        verbose_name=_("rule"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assignments",
        db_index=False,
    )
    # No database constraint on ``call`` (decision 0027): a sampling run inserts thousands of
    # assignments for calls it has just read, and the constraint's check locked every one of those
    # call rows at commit — most of a run's write time. Django still cascades a deleted call
    # (retention deletes calls through the ORM), and the draw only ever picks existing calls.
    call = models.ForeignKey(
        "telephony.Call", verbose_name=_("call"), on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    # No index: every assignment of a rule has the rule's scorecard; nothing looks them up by it.
    scorecard = models.ForeignKey(
        "qa.Scorecard", verbose_name=_("scorecard"), on_delete=models.PROTECT, related_name="+", db_index=False
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="qa_assignments",
        db_index=False,
    )
    period_start = models.DateField(_("period start"))
    reason = models.CharField(_("reason"), max_length=16, choices=SampleReason.choices, default=SampleReason.RANDOM)
    status = models.CharField(
        _("status"), max_length=16, choices=AssignmentStatus.choices, default=AssignmentStatus.PENDING
    )
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["due_at", "id"]
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        constraints = [models.UniqueConstraint(fields=["rule", "call"], name="qa_assignment_rule_call_uniq")]
        indexes = [models.Index(fields=["assignee", "status"], name="qa_assignment_assignee_idx")]

    def __str__(self) -> str:
        return f"{self.call_id} → {self.assignee_id}"
