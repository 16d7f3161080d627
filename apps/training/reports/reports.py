"""The five training reports. Each figure's definition is printed with it (``figure_definitions``)."""

from __future__ import annotations

from typing import Any

from django.db.models import Avg, Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.accounts.models import User
from apps.reports.registry import Column, ReportParams, register
from apps.training.choices import AttemptStatus
from apps.training.models import Attempt, Certificate, CourseAssignment, Exam
from apps.training.reports.common import AUTHOR_REPORT_ROLES, TrainingReport
from apps.training.selectors.certifications import certificate_state
from apps.training.selectors.effectiveness import DEFAULT_N, course_effectiveness
from apps.training.selectors.item_analysis import exam_item_analysis


def _percent(part: int, whole: int) -> float | None:
    return round(part * 100 / whole, 2) if whole else None


def _members(params: ReportParams) -> list[int] | None:
    teams = params.chosen("team")
    if not teams:
        return None
    return list(User.objects.filter(teams__in=teams).values_list("pk", flat=True))


@register
class CourseCompletionReport(TrainingReport):
    code = "training_completion"
    title = _("Course completion")
    description = _("Courses assigned in the period: completed, still open, overdue and the completion rate.")
    filters = ("since", "until", "team", "course")
    empty_text = _("No course was assigned in this period.")
    figure_definitions = [
        (_("Assigned"), _("Course assignments made in the period (by hand, coaching, a QA rule or a programme).")),
        (_("Completed"), _("Of those, the ones whose every lesson has been done.")),
        (_("Overdue"), _("Of those, the ones still open after their due date.")),
        (_("Completion rate"), _("Completed ÷ assigned × 100.")),
    ]

    def columns(self, params: ReportParams) -> list[Column]:
        return [
            Column("course", _("Course")),
            Column("assigned", _("Assigned"), "count"),
            Column("completed", _("Completed"), "count"),
            Column("open", _("Open"), "count"),
            Column("overdue", _("Overdue"), "count"),
            Column("completion_rate", _("Completion rate"), "percent"),
        ]

    def rows(self, params: ReportParams) -> list[dict[str, Any]]:
        today = timezone.localdate()
        rows = CourseAssignment.objects.filter(assigned_at__gte=params.since, assigned_at__lt=params.until)
        members = _members(params)
        if members is not None:
            rows = rows.filter(user_id__in=members)
        if params.chosen("course"):
            rows = rows.filter(course_id__in=params.chosen("course"))
        grouped = (
            rows.values("course__title")
            .annotate(
                n_assigned=Count("id"),
                n_completed=Count("id", filter=Q(completed_at__isnull=False)),
                n_overdue=Count("id", filter=Q(completed_at__isnull=True, due_date__lt=today)),
            )
            .order_by("course__title")
        )
        return [
            {
                "course": row["course__title"],
                "assigned": row["n_assigned"],
                "completed": row["n_completed"],
                "open": row["n_assigned"] - row["n_completed"],
                "overdue": row["n_overdue"],
                "completion_rate": _percent(row["n_completed"], row["n_assigned"]),
            }
            for row in grouped
        ]


@register
class ExamPassRateReport(TrainingReport):
    code = "training_pass_rates"
    title = _("Exam pass rates")
    description = _("Exam attempts submitted in the period: passed, failed, awaiting grading and the mean score.")
    filters = ("since", "until", "team", "exam")
    empty_text = _("No exam attempt was submitted in this period.")
    figure_definitions = [
        (_("Attempts"), _("Attempts submitted in the period, expired ones included (they score what was answered).")),
        (_("Pass rate"), _("Passed ÷ graded attempts × 100; attempts awaiting a trainer's grading are left out.")),
        (_("Mean score"), _("The mean score (%) of the graded attempts.")),
    ]

    def columns(self, params: ReportParams) -> list[Column]:
        return [
            Column("exam", _("Exam")),
            Column("attempts", _("Attempts"), "count"),
            Column("people", _("People"), "count"),
            Column("passed", _("Passed"), "count"),
            Column("awaiting", _("Awaiting grading"), "count"),
            Column("pass_rate", _("Pass rate"), "percent"),
            Column("mean_score", _("Mean score"), "percent"),
        ]

    def rows(self, params: ReportParams) -> list[dict[str, Any]]:
        rows = Attempt.objects.filter(submitted_at__gte=params.since, submitted_at__lt=params.until).exclude(
            status=AttemptStatus.IN_PROGRESS
        )
        members = _members(params)
        if members is not None:
            rows = rows.filter(user_id__in=members)
        if params.chosen("exam"):
            rows = rows.filter(exam_id__in=params.chosen("exam"))
        grouped = (
            rows.values("exam__title")
            .annotate(
                n_attempts=Count("id"),
                n_people=Count("user", distinct=True),
                n_passed=Count("id", filter=Q(passed=True)),
                n_graded=Count("id", filter=Q(passed__isnull=False)),
                n_awaiting=Count("id", filter=Q(status=AttemptStatus.AWAITING_GRADING)),
                mean=Avg("score_percent", filter=Q(passed__isnull=False)),
            )
            .order_by("exam__title")
        )
        return [
            {
                "exam": row["exam__title"],
                "attempts": row["n_attempts"],
                "people": row["n_people"],
                "passed": row["n_passed"],
                "awaiting": row["n_awaiting"],
                "pass_rate": _percent(row["n_passed"], row["n_graded"]),
                "mean_score": round(float(row["mean"]), 2) if row["mean"] is not None else None,
            }
            for row in grouped
        ]


@register
class CertificateStatusReport(TrainingReport):
    code = "training_certificates"
    title = _("Certificates and expiries")
    description = _("Every certificate issued up to the period's end with its state, and those expiring in the period.")
    filters = ("since", "until", "team")
    empty_text = _("No certificates.")
    figure_definitions = [
        (
            _("State"),
            _("Valid; expiring (within its renewal notice); expired; or revoked — at the time of the report."),
        ),
        (_("Expires in the period"), _("Yes when the expiry date falls in the chosen period.")),
    ]

    def columns(self, params: ReportParams) -> list[Column]:
        return [
            Column("holder", _("Holder")),
            Column("certification", _("Certification")),
            Column("issued_at", _("Issued"), "datetime"),
            Column("expires_at", _("Expires"), "datetime"),
            Column("state", _("State")),
            Column("expires_in_period", _("Expires in the period")),
        ]

    def rows(self, params: ReportParams) -> list[dict[str, Any]]:
        rows = Certificate.objects.filter(issued_at__lt=params.until).select_related("user", "certification")
        members = _members(params)
        if members is not None:
            rows = rows.filter(user_id__in=members)
        labels = {
            "valid": _("Valid"),
            "expiring": _("Expiring soon"),
            "expired": _("Expired"),
            "revoked": _("Revoked"),
        }
        out = []
        for certificate in rows.order_by("expires_at", "user__name"):
            expires = certificate.expires_at
            out.append(
                {
                    "holder": certificate.user.get_full_name(),
                    "certification": certificate.certification.name,
                    "issued_at": certificate.issued_at,
                    "expires_at": expires,
                    "state": labels[certificate_state(certificate)],
                    "expires_in_period": _("Yes")
                    if expires is not None and params.since <= expires < params.until
                    else "",
                }
            )
        return out


@register
class EffectivenessReport(TrainingReport):
    code = "training_effectiveness"
    title = _("Training effectiveness")
    description = _("Courses completed in the period and their trainees' QA scores before and after.")
    filters = ("since", "until", "course")
    empty_text = _("No course was completed in this period.")
    figure_definitions = [
        (
            _("Mean before / Mean after"),
            _(
                "For each trainee who completed the course in the period: their last 5 QA scores (regular, submitted "
                "evaluations) before the completion and their first 5 at or after it; the means pool those evaluations."
            ),
        ),
        (_("Change"), _("Mean after − mean before, in points of the 0–100 score.")),
        (_("Evaluations / trainees"), _("How many evaluations and trainees each mean rests on.")),
    ]

    def columns(self, params: ReportParams) -> list[Column]:
        return [
            Column("course_title", _("Course")),
            Column("trainees", _("Trainees"), "count"),
            Column("mean_before", _("Mean before"), "score"),
            Column("evaluations_before", _("Evaluations before"), "count"),
            Column("trainees_before", _("Trainees before"), "count"),
            Column("mean_after", _("Mean after"), "score"),
            Column("evaluations_after", _("Evaluations after"), "count"),
            Column("trainees_after", _("Trainees after"), "count"),
            Column("change", _("Change"), "score"),
        ]

    def rows(self, params: ReportParams) -> list[dict[str, Any]]:
        return course_effectiveness(
            n=DEFAULT_N, since=params.since, until=params.until, course_ids=params.chosen("course") or None
        )


@register
class ItemAnalysisReport(TrainingReport):
    code = "training_item_analysis"
    title = _("Exam item analysis")
    description = _("Per exam question: how many were given it, facility and discrimination index.")
    filters = ("since", "until", "exam")
    roles = AUTHOR_REPORT_ROLES
    empty_text = _("No graded attempts in this period.")
    figure_definitions = [
        (_("Facility"), _("Correct ÷ attempts given the question × 100.")),
        (
            _("Discrimination"),
            _(
                "Share correct among the top 27% of attempts by total score minus the share among the bottom 27% "
                "(each among those given the question); from −1 to 1."
            ),
        ),
    ]

    def columns(self, params: ReportParams) -> list[Column]:
        return [
            Column("exam", _("Exam")),
            Column("question", _("Question")),
            Column("given", _("Given"), "count"),
            Column("correct", _("Correct"), "count"),
            Column("facility_percent", _("Facility"), "percent"),
            Column("discrimination", _("Discrimination")),
        ]

    def rows(self, params: ReportParams) -> list[dict[str, Any]]:
        exams = Exam.objects.order_by("title")
        if params.chosen("exam"):
            exams = exams.filter(pk__in=params.chosen("exam"))
        out = []
        for exam in exams:
            for row in exam_item_analysis(exam, since=params.since, until=params.until):
                row["facility_percent"] = round(row["facility"] * 100, 2) if row["facility"] is not None else None
                row["discrimination"] = f"{row['discrimination']:.2f}" if row["discrimination"] is not None else ""
                out.append(row)
        return out
