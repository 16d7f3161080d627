"""Scheduled delivery (apps/reports/services/schedules.py, reports.schedules_due / send_schedule):
occurrences in the schedule's time zone across DST, the period a sending covers, one e-mail
per due occurrence with the report attached, failures recorded and retried."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django_tenants.utils import tenant_context

from apps.reports.models import ReportRun, ReportSchedule
from apps.reports.services.schedules import next_run_after, schedule_period, schedule_save, schedules_claim_due
from apps.reports.tasks_delivery import schedules_due_task, send_schedule_task
from config.celery import app as celery_app
from tests.factories import QueueFactory
from tests.reports import framework_report

UTC = dt.UTC


@pytest.fixture(autouse=True)
def report():
    framework_report.install()
    yield
    framework_report.uninstall()


def _schedule(**fields) -> ReportSchedule:
    values = {"report_code": framework_report.CODE, "format": "csv", "frequency": "daily", "time_zone": "Asia/Shanghai"}
    values.update(fields)
    return ReportSchedule(**values)


def test_tasks_are_named():
    assert schedules_due_task.name == "reports.schedules_due"
    assert send_schedule_task.name == "reports.send_schedule"


@pytest.mark.parametrize(
    ("fields", "after", "expected"),
    [
        # 07:00 in Shanghai is 23:00 UTC the day before.
        (
            {"time_of_day": dt.time(7)},
            dt.datetime(2026, 3, 1, 22, 0, tzinfo=UTC),
            dt.datetime(2026, 3, 1, 23, 0, tzinfo=UTC),
        ),
        (
            {"time_of_day": dt.time(7)},
            dt.datetime(2026, 3, 1, 23, 0, tzinfo=UTC),
            dt.datetime(2026, 3, 2, 23, 0, tzinfo=UTC),
        ),
        # New York springs forward on 8 March 2026: 07:00 EST is 12:00 UTC, 07:00 EDT is 11:00 UTC.
        (
            {"time_of_day": dt.time(7), "time_zone": "America/New_York"},
            dt.datetime(2026, 3, 7, 12, 0, tzinfo=UTC),
            dt.datetime(2026, 3, 8, 11, 0, tzinfo=UTC),
        ),
        # ... and falls back on 1 November 2026.
        (
            {"time_of_day": dt.time(7), "time_zone": "America/New_York"},
            dt.datetime(2026, 10, 31, 11, 0, tzinfo=UTC),
            dt.datetime(2026, 11, 1, 12, 0, tzinfo=UTC),
        ),
        # 02:30 does not exist in New York on 8 March: sent at the old offset (03:30 EDT).
        (
            {"time_of_day": dt.time(2, 30), "time_zone": "America/New_York"},
            dt.datetime(2026, 3, 8, 0, 0, tzinfo=UTC),
            dt.datetime(2026, 3, 8, 7, 30, tzinfo=UTC),
        ),
        # Weekly on Monday 09:00 London (BST from 29 March 2026).
        (
            {"frequency": "weekly", "weekday": 0, "time_of_day": dt.time(9), "time_zone": "Europe/London"},
            dt.datetime(2026, 3, 25, 0, 0, tzinfo=UTC),
            dt.datetime(2026, 3, 30, 8, 0, tzinfo=UTC),
        ),
        # Monthly on the 31st: the last day of a shorter month.
        (
            {"frequency": "monthly", "day_of_month": 31, "time_of_day": dt.time(8)},
            dt.datetime(2026, 2, 1, 0, 0, tzinfo=UTC),
            dt.datetime(2026, 2, 28, 0, 0, tzinfo=UTC),
        ),
        (
            {"frequency": "monthly", "day_of_month": 1, "time_of_day": dt.time(6)},
            dt.datetime(2026, 12, 5, 0, 0, tzinfo=UTC),
            dt.datetime(2026, 12, 31, 22, 0, tzinfo=UTC),
        ),
    ],
)
def test_next_run_in_the_schedules_time_zone(fields, after, expected):
    assert next_run_after(_schedule(**fields), after) == expected


def test_the_period_is_the_whole_local_day_week_or_month_before():
    shanghai = ZoneInfo("Asia/Shanghai")
    sent = dt.datetime(2026, 12, 1, 7, 0, tzinfo=shanghai)
    day = schedule_period(_schedule(frequency="daily"), sent)
    week = schedule_period(_schedule(frequency="weekly", weekday=1), sent)
    month = schedule_period(_schedule(frequency="monthly", day_of_month=1), sent)
    assert day == (dt.datetime(2026, 11, 30, tzinfo=shanghai), dt.datetime(2026, 12, 1, tzinfo=shanghai))
    assert week == (dt.datetime(2026, 11, 24, tzinfo=shanghai), dt.datetime(2026, 12, 1, tzinfo=shanghai))
    assert month == (dt.datetime(2026, 11, 1, tzinfo=shanghai), dt.datetime(2026, 12, 1, tzinfo=shanghai))


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"report_code": "nope"}, "report_code"),
        ({"frequency": "weekly"}, "weekday"),
        ({"frequency": "monthly", "day_of_month": 32}, "day_of_month"),
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"params": {"queue": [987654]}}, "queue"),
    ],
)
def test_a_bad_schedule_names_its_field_and_is_not_saved(acme, fields, field):
    with tenant_context(acme.tenant):
        admin = acme.admin()
        with pytest.raises(ValidationError) as caught:
            schedule_save(_schedule(**fields), recipients=[admin])
        assert field in caught.value.message_dict
        assert not ReportSchedule.objects.exists()


def test_recipients_must_be_active_users_with_an_address(acme):
    with tenant_context(acme.tenant):
        user = acme.user("supervisor")
        user.is_active = False
        user.save()
        with pytest.raises(ValidationError) as caught:
            schedule_save(_schedule(), recipients=[user])
        assert "recipients" in caught.value.message_dict


def test_only_the_filters_a_schedule_keeps_are_stored(acme):
    with tenant_context(acme.tenant):
        queue = QueueFactory()
        saved = schedule_save(
            _schedule(params={"queue": [queue.pk], "since": "2020-01-01", "junk": 1}), recipients=[acme.admin()]
        )
        assert saved.params == {"queue": [queue.pk]}
        assert saved.next_run_at is not None


def _due(acme, **fields) -> ReportSchedule:
    with tenant_context(acme.tenant):
        QueueFactory(name="售后")
        supervisor = acme.user("supervisor", email="boss@acme.test")
        schedule = schedule_save(_schedule(**fields), recipients=[acme.admin(), supervisor])
        schedule.created_by = acme.admin()
        schedule.next_run_at = dt.datetime.now(UTC) - dt.timedelta(minutes=1)
        schedule.save()
        return schedule


def test_a_due_schedule_sends_one_email_with_the_report_attached(acme):
    schedule = _due(acme)
    mail.outbox.clear()

    schedules_due_task()
    schedules_due_task()  # the next minute: already moved on, nothing more is sent

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert sorted(message.to) == ["admin@acme.test", "boss@acme.test"]
    assert "Queues (framework test)" in message.subject
    (name, content, content_type) = message.attachments[0]
    assert name.startswith(f"{framework_report.CODE}-") and name.endswith(".csv")
    assert content_type.startswith("text/csv")
    assert "售后" in (content.decode("utf-8") if isinstance(content, bytes) else content)
    with tenant_context(acme.tenant):
        schedule.refresh_from_db()
        assert schedule.last_status == "sent" and schedule.last_error == ""
        assert schedule.next_run_at > dt.datetime.now(UTC)
        run = ReportRun.objects.get(schedule=schedule)
        assert run.status == "done" and run.size == len(content if isinstance(content, bytes) else content.encode())


def test_a_schedule_missed_for_days_is_sent_once(acme):
    schedule = _due(acme)
    with tenant_context(acme.tenant):
        ReportSchedule.objects.filter(pk=schedule.pk).update(next_run_at=dt.datetime.now(UTC) - dt.timedelta(days=5))
        claimed = schedules_claim_due()
        assert [pk for pk, _ in claimed] == [schedule.pk]
        assert schedules_claim_due() == []


def test_another_tenants_schedules_are_not_touched(acme, globex):
    _due(acme)
    with tenant_context(globex.tenant):
        assert schedules_claim_due() == []


def test_a_failing_render_is_recorded_and_retried(acme, monkeypatch):
    # Eagerly run tasks re-run themselves on retry only when errors are not propagated (as in a
    # worker, where the retry is a new message); the countdown is not waited for.
    monkeypatch.setitem(celery_app.conf, "task_eager_propagates", False)
    schedule = _due(acme)
    framework_report.FrameworkTestReport.fail_with = RuntimeError("the warehouse is closed")
    mail.outbox.clear()

    schedules_due_task()

    assert mail.outbox == []
    with tenant_context(acme.tenant):
        schedule.refresh_from_db()
        assert schedule.last_status == "failed"
        assert "the warehouse is closed" in schedule.last_error
        attempts = sorted(ReportRun.objects.filter(schedule=schedule).values_list("attempts", flat=True))
        assert attempts == [1, 2, 3, 4]  # the first try and three retries
        assert set(ReportRun.objects.filter(schedule=schedule).values_list("status", flat=True)) == {"failed"}
