"""Workforce routes under /api/v1/workforce/ (config/api_tenant.py). Contracts: docs/api.md."""

from django.urls import path

from apps.workforce.api import attendance, clocking, discipline, roster
from apps.workforce.api import requests as requests_api
from apps.workforce.api import staffing as staffing_api

P = "workforce/"

urlpatterns: list = [
    path(f"{P}attendance", attendance.AttendanceView.as_view(), name="workforce-attendance"),
    path(f"{P}shift-types", roster.ShiftTypeListView.as_view(), name="workforce-shift-types"),
    path(f"{P}shift-types/<int:pk>", roster.ShiftTypeDetailView.as_view(), name="workforce-shift-type"),
    path(f"{P}shifts", roster.ShiftListView.as_view(), name="workforce-shifts"),
    path(f"{P}shifts/publish", roster.ShiftPublishView.as_view(), name="workforce-shifts-publish"),
    path(f"{P}shifts/<int:pk>", roster.ShiftDetailView.as_view(), name="workforce-shift"),
    path(f"{P}clock", clocking.ClockView.as_view(), name="workforce-clock"),
    path(f"{P}clock-events", clocking.ClockEventListView.as_view(), name="workforce-clock-events"),
    path(f"{P}clock-events/<int:pk>/void", clocking.ClockEventVoidView.as_view(), name="workforce-clock-event-void"),
    path(f"{P}handovers", clocking.HandoverListView.as_view(), name="workforce-handovers"),
    path(f"{P}handovers/<int:pk>/sign", clocking.HandoverSignView.as_view(), name="workforce-handover-sign"),
    path(
        f"{P}handovers/<int:pk>/override", clocking.HandoverOverrideView.as_view(), name="workforce-handover-override"
    ),
    path(f"{P}leave-requests", requests_api.LeaveListView.as_view(), name="workforce-leave-requests"),
    path(f"{P}leave-balances", requests_api.LeaveBalanceView.as_view(), name="workforce-leave-balances"),
    path(
        f"{P}leave-requests/<int:pk>/certificate",
        requests_api.LeaveCertificateView.as_view(),
        name="workforce-leave-certificate",
    ),
    path(f"{P}overtime-requests", requests_api.OvertimeListView.as_view(), name="workforce-overtime-requests"),
    path(f"{P}swap-requests", requests_api.SwapListView.as_view(), name="workforce-swap-requests"),
    path(f"{P}policy", discipline.PolicyView.as_view(), name="workforce-policy"),
    path(f"{P}warnings", discipline.WarningListView.as_view(), name="workforce-warnings"),
    path(f"{P}review-flags", discipline.ReviewFlagListView.as_view(), name="workforce-review-flags"),
    path(
        f"{P}review-flags/<int:pk>/decide",
        discipline.ReviewFlagDecideView.as_view(),
        name="workforce-review-flag-decide",
    ),
]

for action in ("approve", "reject", "cancel"):
    urlpatterns += [
        path(
            f"{P}leave-requests/<int:pk>/{action}",
            requests_api.LeaveActionView.as_view(action=action),
            name=f"workforce-leave-{action}",
        ),
        path(
            f"{P}overtime-requests/<int:pk>/{action}",
            requests_api.OvertimeActionView.as_view(action=action),
            name=f"workforce-overtime-{action}",
        ),
    ]
for action in ("accept", "decline", "approve", "reject", "cancel"):
    urlpatterns.append(
        path(
            f"{P}swap-requests/<int:pk>/{action}",
            requests_api.SwapActionView.as_view(action=action),
            name=f"workforce-swap-{action}",
        )
    )

# Staffing and adherence (read only; apps/workforce/api/staffing.py).
urlpatterns += [
    path(f"{P}staffing", staffing_api.StaffingView.as_view(), name="workforce-staffing"),
    path(f"{P}adherence", staffing_api.AdherenceView.as_view(), name="workforce-adherence"),
    path(f"{P}adherence/live", staffing_api.AdherenceLiveView.as_view(), name="workforce-adherence-live"),
]
