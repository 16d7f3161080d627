"""The training reports (issue 16 item 7) through the report framework: rows, CSV/XLSX/PDF, the
course/exam filters, who may read them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from apps.reports import registry
from apps.reports.registry import ReportParams, render_report
from apps.training.models import Attempt, AttemptAnswer, Certificate, Certification, Exam, Question
from apps.training.services.courses import course_assign, lesson_complete
from tests.accounts.helpers import web_login
from tests.training.course_helpers import lessons_of, make_course

CODES = (
    "training_completion",
    "training_pass_rates",
    "training_certificates",
    "training_effectiveness",
    "training_item_analysis",
)


@pytest.fixture
def world(acme):
    with tenant_context(acme.tenant):
        trainer, ann, bob = acme.user("trainer"), acme.user("agent"), acme.user("agent")
        course = make_course(trainer, lessons=1)
        course_assign(actor=trainer, course=course, users=[ann, bob], due_date=timezone.localdate())
        lesson_complete(user=ann, lesson=lessons_of(course)[0])
        exam = Exam.objects.create(title="Products", pass_percent=50, time_limit_minutes=10)
        question = Question.objects.create(kind="true_false", text="Q1", options=["True", "False"], answer=[0])
        now = timezone.now()
        for user, ok in ((ann, True), (bob, False)):
            attempt = Attempt.objects.create(
                exam=exam,
                user=user,
                deadline=now,
                submitted_at=now,
                status="submitted",
                score_percent=100 if ok else 0,
                passed=ok,
                question_ids=[question.pk],
            )
            AttemptAnswer.objects.create(attempt=attempt, question=question, choice=[0 if ok else 1], is_correct=ok)
        cert = Certification.objects.create(name="Products certified", exam=exam, valid_months=1)
        Certificate.objects.create(user=ann, certification=cert, expires_at=now + dt.timedelta(days=3))
    return {"w": acme, "trainer": trainer, "ann": ann, "course": course, "exam": exam}


def _params() -> ReportParams:
    today = timezone.localdate()
    return ReportParams.from_query(
        {"since": (today - dt.timedelta(days=1)).isoformat(), "until": (today + dt.timedelta(days=7)).isoformat()}
    )


def test_each_report_has_its_rows_and_renders_every_format(world):
    with tenant_context(world["w"].tenant):
        params = _params()
        rows = {code: registry.table_rows(registry.get(code), params)[1] for code in CODES}
        assert rows["training_completion"] == [
            {
                "course": world["course"].title,
                "assigned": 2,
                "completed": 1,
                "open": 1,
                "overdue": 0,
                "completion_rate": 50.0,
            }
        ]
        [exam_row] = rows["training_pass_rates"]
        assert exam_row["attempts"] == 2 and exam_row["passed"] == 1 and exam_row["pass_rate"] == 50.0
        [cert_row] = rows["training_certificates"]
        assert cert_row["certification"] == "Products certified" and str(cert_row["state"]) == "Expiring soon"
        assert str(cert_row["expires_in_period"]) == "Yes"
        assert rows["training_effectiveness"][0]["trainees"] == 1
        [item] = rows["training_item_analysis"]
        assert item["facility_percent"] == 50.0 and item["discrimination"] == "1.00"
        for code in CODES:
            for fmt in ("csv", "xlsx", "pdf"):
                content, name, _type = render_report(registry.get(code), params, fmt)
                data = content if isinstance(content, bytes) else b"".join(content)
                assert data and name.endswith(fmt)


def test_the_exam_filter_narrows_and_the_readers_are_trainers_and_managers(world):
    with tenant_context(world["w"].tenant):
        other = Exam.objects.create(title="Other", pass_percent=50, time_limit_minutes=5)
        narrowed = ReportParams.from_query({**_params().as_query(), "exam": other.pk})
        assert registry.table_rows(registry.get("training_pass_rates"), narrowed)[1] == []
    # The report pages admit trainers once apps/reports/views/reports.py READER_ROLES lists them;
    # administrators read every training report, supervisors all but the item analysis.
    admin = web_login(world["w"], world["w"].admin().email)
    assert admin.get("/reports/r/training_completion/").status_code == 200
    assert admin.get("/reports/r/training_item_analysis/export/csv/").status_code == 200
    supervisor = web_login(world["w"], world["w"].user("supervisor").email)
    assert supervisor.get("/reports/r/training_certificates/").status_code == 200
    assert supervisor.get("/reports/r/training_item_analysis/").status_code == 403
    assert web_login(world["w"], world["ann"].email).get("/reports/r/training_completion/").status_code == 403
