"""The workforce reports in the report framework (issue 15 item 10): registered, readable by HR,
their rows from the same month as the payroll export, CSV and PDF rendered by the framework.
Also the desk's automatic clocking and the daily discipline task's name."""

from __future__ import annotations

import pytest
from django_tenants.utils import tenant_context

from apps.reports import registry
from apps.reports.registry import ReportParams, render_report
from apps.telephony.models import AgentStateEvent
from apps.telephony.services.agent_state import agent_ensure
from apps.workforce.choices import ClockKind, ClockSource, LeaveKind
from apps.workforce.models import ClockEvent, WorkforcePolicy
from apps.workforce.tasks import discipline_due_task, discipline_tenant_task
from tests.workforce.helpers import approved_leave, approved_overtime, at, clock_pair, roster, shift_type

pytestmark = pytest.mark.django_db
CODES = [
    "workforce_attendance",
    "workforce_lateness",
    "workforce_absences",
    "workforce_leave_balances",
    "workforce_overtime",
]


@pytest.fixture
def month(acme):
    with tenant_context(acme.tenant):
        ann = acme.user("agent")
        roster(ann, ["2026-10-12", "2026-10-13", "2026-10-14"], shift_type())
        clock_pair(ann, "2026-10-12", "08:58", "17:00")
        approved_leave(ann, LeaveKind.ANNUAL, "2026-10-14", "2026-10-14")
        approved_overtime(ann, at("2026-10-01", "09:00"), at("2026-10-01", "12:00"), "holiday")
        yield ann


def _params():
    return ReportParams.from_query({"since": "2026-10-01", "until": "2026-11-01"})


@pytest.mark.parametrize("code", CODES)
def test_each_report_is_registered_for_hr_and_renders(acme, month, code):
    report = registry.get(code)
    assert "hr" in report.roles
    with tenant_context(acme.tenant):
        params = _params()
        rows = report.rows(params)
        content, name, _type = render_report(report, params, "csv")
        text = b"".join(content).decode("utf-8")
    assert rows, code
    assert month.email in text and name.endswith(".csv")


def test_the_figures_agree_with_the_export(acme, month):
    with tenant_context(acme.tenant):
        params = _params()
        summary = registry.get("workforce_attendance").rows(params)[0]
        lateness = registry.get("workforce_lateness").rows(params)
        absences = registry.get("workforce_absences").rows(params)
        overtime = registry.get("workforce_overtime").rows(params)[0]
    assert (summary["late_minutes"], summary["absent_days"], summary["leave_total"]) == (8, 1, 1)
    assert [(row["date"], row["late_minutes"], row["early_leave_minutes"]) for row in lateness] == [
        ("2026-10-12", 8, 60)
    ]
    assert [row["date"] for row in absences] == ["2026-10-13"]
    assert overtime["holiday"] == 3.0 and overtime["weighted"] == 9.0


def test_a_pdf_is_rendered(acme, month):
    with tenant_context(acme.tenant):
        content, _name, content_type = render_report(registry.get("workforce_attendance"), _params(), "pdf")
    assert content_type == "application/pdf" and bytes(content)[:4] == b"%PDF"


def _state(agent, from_state, to_state):
    return AgentStateEvent.objects.create(
        agent=agent, at=at("2026-12-01", "09:00"), from_state=from_state, to_state=to_state
    )


def test_the_desk_login_and_logout_clock_when_the_policy_says_so(acme, django_capture_on_commit_callbacks):
    with tenant_context(acme.tenant):
        ann = acme.user("agent")
        agent = agent_ensure(user=ann)
        with django_capture_on_commit_callbacks(execute=True):
            _state(agent, "offline", "not_ready")
        assert not ClockEvent.objects.filter(user=ann).exists()  # off by default
        WorkforcePolicy.objects.update(auto_clock_from_desk=True, handover_required=False)
        with django_capture_on_commit_callbacks(execute=True):
            _state(agent, "offline", "not_ready")
            _state(agent, "not_ready", "ready")  # neither a login nor a logout
            _state(agent, "ready", "offline")
        events = list(ClockEvent.objects.filter(user=ann).values_list("kind", "source"))
    assert events == [(ClockKind.IN, ClockSource.DESK), (ClockKind.OUT, ClockSource.DESK)]


def test_the_discipline_tasks_are_named_and_run(acme):
    assert discipline_due_task.name == "workforce.discipline_due"
    with tenant_context(acme.tenant):
        assert discipline_tenant_task.run() == {"flags": 0}
