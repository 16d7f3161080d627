"""The report schedule pages (/reports/schedules/): list with the last status and error, create
from a report page's link, edit, delete, send now; supervisors and administrators only."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import mail
from django_tenants.utils import tenant_context

from apps.reports.models import ReportSchedule
from apps.reports.services.schedules import schedule_save
from tests.accounts.helpers import web_login
from tests.factories import QueueFactory
from tests.reports import framework_report


@pytest.fixture(autouse=True)
def report():
    framework_report.install()
    yield
    framework_report.uninstall()


def _saved(acme, **fields) -> ReportSchedule:
    with tenant_context(acme.tenant):
        values = {
            "report_code": framework_report.CODE,
            "format": "pdf",
            "frequency": "daily",
            "time_zone": "Asia/Shanghai",
        }
        values.update(fields)
        schedule = schedule_save(ReportSchedule(**values), recipients=[acme.admin()])
        schedule.created_by = acme.admin()
        schedule.save()
        return schedule


def test_supervisor_creates_a_schedule_from_a_report_link(acme):
    with tenant_context(acme.tenant):
        queue = QueueFactory(name="售后")
    supervisor = acme.user("supervisor")
    client = web_login(acme, supervisor.email)

    page = client.get(f"/reports/schedules/new/?report={framework_report.CODE}&queue={queue.pk}")
    assert page.status_code == 200
    html = page.content.decode()
    assert f'value="{framework_report.CODE}" selected' in html
    assert f'value="{queue.pk}" selected' in html
    # The time of day is the project's text box with its format hint (decision 0021), not the
    # browser's own time input (which would say "--:-- --" in the browser's language).
    time_box = re.search(r'<input[^>]*name="time_of_day"[^>]*>', html).group(0)
    assert 'type="text"' in time_box and 'placeholder="HH:MM"' in time_box and 'type="time"' not in time_box

    response = client.post(
        "/reports/schedules/new/",
        {
            "report_code": framework_report.CODE,
            "format": "xlsx",
            "frequency": "weekly",
            "weekday": "0",
            "time_of_day": "08:30",
            "time_zone": "Europe/London",
            "active": "on",
            "recipients": [supervisor.pk],
            "queues": [queue.pk],
            "interval_minutes": "60",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    with tenant_context(acme.tenant):
        schedule = ReportSchedule.objects.get()
        assert schedule.params == {"queue": [queue.pk], "interval_minutes": 60}
        assert schedule.created_by == supervisor
        assert list(schedule.recipients.all()) == [supervisor]
        local = schedule.next_run_at.astimezone(dt.timezone(dt.timedelta(0)))
        assert schedule.next_run_at.weekday() == 0 or local.weekday() == 0

    listing = client.get("/reports/schedules/")
    assert listing.status_code == 200
    assert "Queues (framework test)" in listing.content.decode()


def test_a_weekly_schedule_without_its_day_is_a_form_error(acme):
    client = web_login(acme, acme.admin_email)
    response = client.post(
        "/reports/schedules/new/",
        {
            "report_code": framework_report.CODE,
            "format": "pdf",
            "frequency": "weekly",
            "time_of_day": "08:30",
            "time_zone": "Asia/Shanghai",
            "recipients": [acme.admin().pk],
            "interval_minutes": "30",
        },
    )
    assert response.status_code == 200
    assert "Choose the day of the week." in response.content.decode()
    with tenant_context(acme.tenant):
        assert not ReportSchedule.objects.exists()


def test_the_list_shows_the_last_error(acme):
    schedule = _saved(acme)
    with tenant_context(acme.tenant):
        ReportSchedule.objects.filter(pk=schedule.pk).update(
            last_status="failed",
            last_error="RuntimeError: the warehouse is closed",
            last_run_at=dt.datetime.now(dt.UTC),
        )
    html = web_login(acme, acme.admin_email).get("/reports/schedules/").content.decode()
    assert "the warehouse is closed" in html
    assert "Failed" in html


def test_edit_delete_and_send_now(acme, django_capture_on_commit_callbacks):
    with tenant_context(acme.tenant):
        QueueFactory(name="Sales")
    schedule = _saved(acme)
    client = web_login(acme, acme.admin_email)

    assert client.get(f"/reports/schedules/{schedule.pk}/").status_code == 200
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post(f"/reports/schedules/{schedule.pk}/send/")
    assert sent.status_code == 302
    assert len(mail.outbox) == 1
    assert mail.outbox[0].attachments[0][0].endswith(".pdf")

    assert client.get(f"/reports/schedules/{schedule.pk}/delete/").status_code == 405
    assert client.post(f"/reports/schedules/{schedule.pk}/delete/").status_code == 302
    with tenant_context(acme.tenant):
        assert not ReportSchedule.objects.exists()


def test_agents_are_refused_and_other_tenants_schedules_are_not_found(acme, globex):
    schedule = _saved(acme)
    agent = web_login(acme, acme.user("agent").email)
    assert agent.get("/reports/schedules/").status_code == 403
    assert agent.post(f"/reports/schedules/{schedule.pk}/send/").status_code == 403
    stranger = web_login(globex, globex.admin_email)
    assert stranger.get(f"/reports/schedules/{schedule.pk}/").status_code == 404
    assert stranger.post(f"/reports/schedules/{schedule.pk}/delete/").status_code == 404
    with tenant_context(acme.tenant):
        assert ReportSchedule.objects.filter(pk=schedule.pk).exists()


def test_the_pages_in_chinese(acme):
    from tests.pending_po import pending_translations

    schedule = _saved(acme)
    with tenant_context(acme.tenant):
        ReportSchedule.objects.filter(pk=schedule.pk).update(last_status="retrying", last_error="x")
    client = web_login(acme, acme.admin_email)
    client.cookies["django_language"] = "zh-hans"
    with pending_translations("framework"):
        listing = client.get("/reports/schedules/").content.decode()
        form = client.get("/reports/schedules/new/").content.decode()
    assert "<h1>报表定时发送</h1>" in listing
    assert "立即发送" in listing and "重试中" in listing and "每天" in listing
    assert "Send now" not in listing and "Next sending" not in listing
    assert "<h1>新建定时发送</h1>" in form
    assert "收件人" in form
