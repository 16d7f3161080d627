"""What employees ask for: shift swaps, leave and overtime, and their decisions.

Nothing here takes effect on its own: a swap changes the roster only when a supervisor
approves it after the colleague accepted; leave and overtime count in attendance only once
approved (DOMAIN.md §4).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.core.tenancy import current_schema
from apps.workforce.choices import (
    ApprovalDecision,
    ApprovalStep,
    LeaveKind,
    OvertimeDayKind,
    Relation,
    RequestStatus,
    SwapStatus,
)


def _decider(verbose: Any, related: str = "+") -> Any:
    """A nullable link to the user who decided (kept when that user is deleted)."""
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=verbose,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name=related,
    )


class SwapRequest(models.Model):
    """Swap one's shift with a colleague's (or give it to a colleague who is off that day when
    ``counterpart_shift`` is empty): the colleague accepts, then a supervisor approves."""

    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("requester"), on_delete=models.CASCADE, related_name="swaps_requested"
    )
    counterpart = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("colleague"), on_delete=models.CASCADE, related_name="swaps_offered"
    )
    requester_shift = models.ForeignKey(
        "workforce.Shift", verbose_name=_("requester's shift"), on_delete=models.CASCADE, related_name="+"
    )
    counterpart_shift = models.ForeignKey(
        "workforce.Shift",
        verbose_name=_("colleague's shift"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    status = models.CharField(
        _("status"), max_length=24, choices=SwapStatus.choices, default=SwapStatus.PENDING_COUNTERPART
    )
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("requested"), default=timezone.now)
    answered_at = models.DateTimeField(_("answered by the colleague"), null=True, blank=True)
    decided_by = _decider(_("decided by"))
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decision_note = models.TextField(_("decision note"), blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("shift swap")
        verbose_name_plural = _("shift swaps")
        indexes = [models.Index(fields=["status", "created_at"], name="wf_swap_status_idx")]

    def __str__(self) -> str:
        return f"{self.requester_id}⇄{self.counterpart_id} {self.status}"


def leave_certificate_path(instance: models.Model, filename: str) -> str:
    """Files live under the tenant's prefix (ARCHITECTURE §8), one folder per month."""
    return f"tenants/{current_schema()}/workforce/leave/{timezone.now():%Y/%m}/{filename}"


def warning_evidence_path(instance: models.Model, filename: str) -> str:
    return f"tenants/{current_schema()}/workforce/discipline/{timezone.now():%Y/%m}/{filename}"


class LeaveRequest(models.Model):
    """Leave for whole days ``start_date``–``end_date`` (inclusive). ``days`` is counted when the
    request is made: the scheduled days it covers, or the calendar's working days when nothing is
    rostered yet. Approval is a chain (``approvals``): a supervisor, and HR too when the policy
    says so (``required_steps``)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="leave_requests"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=LeaveKind.choices)
    start_date = models.DateField(_("from"))
    end_date = models.DateField(_("to"))
    days = models.DecimalField(_("days"), max_digits=6, decimal_places=1, default=0)
    relation = models.CharField(_("relation"), max_length=16, choices=Relation.choices, blank=True)
    certificate = models.FileField(_("certificate"), upload_to=leave_certificate_path, max_length=300, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    status = models.CharField(_("status"), max_length=16, choices=RequestStatus.choices, default=RequestStatus.PENDING)
    required_steps = models.JSONField(_("approval steps"), default=list)
    created_at = models.DateTimeField(_("requested"), default=timezone.now)
    created_by = _decider(_("requested by"))
    decided_by = _decider(_("decided by"))
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decision_note = models.TextField(_("decision note"), blank=True)

    class Meta:
        ordering = ["-start_date", "user"]
        verbose_name = _("leave request")
        verbose_name_plural = _("leave requests")
        constraints = [
            models.CheckConstraint(condition=models.Q(end_date__gte=models.F("start_date")), name="wf_leave_dates")
        ]
        indexes = [
            models.Index(fields=["user", "start_date"], name="wf_leave_user_idx"),
            models.Index(fields=["status", "start_date"], name="wf_leave_status_idx"),
            models.Index(fields=["end_date"], name="wf_leave_end_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind} {self.start_date}–{self.end_date}"


class LeaveApproval(models.Model):
    """One step of a leave request's approval chain, as decided."""

    request = models.ForeignKey(
        LeaveRequest, verbose_name=_("leave request"), on_delete=models.CASCADE, related_name="approvals"
    )
    step = models.CharField(_("step"), max_length=16, choices=ApprovalStep.choices)
    decision = models.CharField(_("decision"), max_length=16, choices=ApprovalDecision.choices)
    decided_by = _decider(_("decided by"))
    decided_at = models.DateTimeField(_("decided"), default=timezone.now)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["request", "decided_at"]
        verbose_name = _("leave approval")
        verbose_name_plural = _("leave approvals")
        constraints = [models.UniqueConstraint(fields=["request", "step"], name="wf_leave_approval_step_uniq")]

    def __str__(self) -> str:
        return f"{self.request_id} {self.step} {self.decision}"


class OvertimeRequest(models.Model):
    """Overtime asked for ahead and counted only once approved. ``day_kind`` is classified by the
    calendar from the day it starts (rules.overtime_day_kind) and kept, so the rate paid stays
    what was approved even if the calendar changes later."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="overtime_requests"
    )
    start = models.DateTimeField(_("starts"))
    end = models.DateTimeField(_("ends"))
    reason = models.TextField(_("reason"), blank=True)
    day_kind = models.CharField(_("kind of day"), max_length=16, choices=OvertimeDayKind.choices)
    status = models.CharField(_("status"), max_length=16, choices=RequestStatus.choices, default=RequestStatus.PENDING)
    created_at = models.DateTimeField(_("requested"), default=timezone.now)
    created_by = _decider(_("requested by"))
    decided_by = _decider(_("decided by"))
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decision_note = models.TextField(_("decision note"), blank=True)

    class Meta:
        ordering = ["-start", "user"]
        verbose_name = _("overtime request")
        verbose_name_plural = _("overtime requests")
        constraints = [
            models.CheckConstraint(condition=models.Q(end__gt=models.F("start")), name="wf_overtime_end_after_start")
        ]
        indexes = [
            models.Index(fields=["user", "start"], name="wf_overtime_user_idx"),
            models.Index(fields=["status", "start"], name="wf_overtime_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.start:%Y-%m-%d %H:%M} {self.status}"
