"""What the training reports share: readers, the course/exam/certification filters, definitions."""

from __future__ import annotations

from typing import Any, ClassVar

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from apps.accounts.choices import Role
from apps.reports.periods import tenant_zone
from apps.reports.registry import Report, ReportParams, register_filter
from apps.training.models import Course, Exam

TRAINING_REPORT_ROLES: tuple[str, ...] = (Role.TENANT_ADMIN, Role.TRAINER, Role.SUPERVISOR, Role.HR)
AUTHOR_REPORT_ROLES: tuple[str, ...] = (Role.TENANT_ADMIN, Role.TRAINER)


def register_filters() -> None:
    register_filter("course", label=_("Course"), choices=lambda: Course.objects.order_by("title"))
    register_filter("exam", label=_("Exam"), choices=lambda: Exam.objects.order_by("title"))


register_filters()


class TrainingReport(Report):
    roles: ClassVar[tuple[str, ...]] = TRAINING_REPORT_ROLES
    drills_to_calls = False
    figure_definitions: ClassVar[list[tuple[Promise, Promise]]] = []

    def settings(self, params: ReportParams) -> dict[str, Any]:
        return {"time_zone": tenant_zone().key}

    def definitions(self, params: ReportParams) -> list[tuple[str, str]]:
        lines = [(str(term), str(text)) for term, text in self.figure_definitions]
        return [*lines, (str(_("Time zone")), tenant_zone().key)]
