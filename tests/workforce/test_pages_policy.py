"""The attendance policy page: HR saves a new version from a date through the service (audited),
the form is pre-filled from the version in effect, a bad band is a field error that saves
nothing, agents and supervisors are refused, another company's HR cannot reach it, and it
renders in Chinese."""

from __future__ import annotations

import datetime as dt

import pytest
from django_tenants.utils import tenant_context

from apps.accounts.choices import Role
from apps.audit.models import AuditEntry
from apps.workforce.models import WorkforcePolicy
from tests.workforce.pages_helpers import login, person

URL = "/workforce/policy/"


def form_data(**changes) -> dict:
    data = {
        "effective_from": "2027-01-01",
        "early_clock_in_minutes": "15",
        "late_grace_minutes": "2",
        "sick_bands": "1-3: 60%\n4+: 100%",
        "bereavement_parent": "3",
        "bereavement_spouse": "3",
        "bereavement_child": "3",
        "bereavement_grandparent": "2",
        "bereavement_sibling": "1",
        "bereavement_parent_in_law": "1",
        "annual_leave_bands": "1-10: 5\n10-20: 10\n20+: 15",
        "overtime_rate_workday": "150",
        "overtime_rate_rest_day": "200",
        "overtime_rate_holiday": "300",
        "monthly_legal_hours": "174",
        "warning_threshold": "3",
        "warning_window_months": "6",
        "absence_consecutive_days": "3",
        "absence_days_per_year": "3",
        "leave_hr_approval_over_days": "3",
        "handover_required": "on",
        "ip_allowlist": "10.0.0.0/8",
        "note": "New year rules",
    }
    data.update(changes)
    return data


def versions(world) -> list[WorkforcePolicy]:
    with tenant_context(world.tenant):
        return list(WorkforcePolicy.objects.order_by("effective_from"))


def test_hr_saves_a_version_from_a_date(acme):
    hr_user = person(acme, Role.HR, name="Helen HR")
    hr = login(acme, hr_user)
    page = hr.get(URL)
    text = page.content.decode()
    assert page.status_code == 200
    assert 'data-date-input="date"' in text and 'type="date"' not in text
    assert "1-3: 50%" in text and "10-20: 10" in text  # pre-filled from the version in effect
    assert '<li aria-current="page">Attendance policy</li>' in text  # the title ends the breadcrumbs
    before = len(versions(acme))

    saved = hr.post(URL, form_data())
    assert saved.status_code == 302
    rows = versions(acme)
    assert len(rows) == before + 1
    new = rows[-1]
    assert new.effective_from == dt.date(2027, 1, 1) and new.created_by_id == hr_user.pk
    assert new.sick_bands == [[1, 3, 0.6], [4, None, 1.0]]
    assert new.annual_leave_bands == [[1, 10, 5.0], [10, 20, 10.0], [20, None, 15.0]]
    assert new.bereavement_days["grandparent"] == 2 and new.early_clock_in_minutes == 15
    assert new.handover_required and not new.auto_clock_from_desk and new.ip_allowlist == "10.0.0.0/8"
    with tenant_context(acme.tenant):
        entry = AuditEntry.objects.get(action="workforce.policy_saved")
        assert entry.actor_id == hr_user.pk
    listing = hr.get(URL).content.decode()
    assert f'data-policy="{new.pk}"' in listing and "Helen HR" in listing and "2027-01-01" in listing


@pytest.mark.parametrize(
    "field,value",
    [
        ("sick_bands", "1-3: 50%\n5+: 100%"),  # a gap: day 4 is in no band
        ("sick_bands", "one to three: half"),
        ("annual_leave_bands", "1-10: 5%"),
        ("ip_allowlist", "10.0.0.300"),
        ("bereavement_parent", "-1"),
    ],
)
def test_a_bad_value_is_a_field_error_and_saves_nothing(acme, field, value):
    hr = login(acme, person(acme, Role.TENANT_ADMIN))
    before = len(versions(acme))
    answer = hr.post(URL, form_data(**{field: value}))
    assert answer.status_code == 400
    assert field in answer.context["form"].errors
    assert 'class="field has-error"' in answer.content.decode()
    assert len(versions(acme)) == before
    with tenant_context(acme.tenant):
        assert not AuditEntry.objects.filter(action="workforce.policy_saved").exists()


def test_agents_and_supervisors_are_refused(acme):
    before = len(versions(acme))
    for role in (Role.AGENT, Role.SUPERVISOR):
        browser = login(acme, person(acme, role))
        assert browser.get(URL).status_code == 403
        assert browser.post(URL, form_data()).status_code == 403
    assert len(versions(acme)) == before


def test_another_companys_hr_cannot_reach_it(acme, globex):
    before = len(versions(acme))
    stranger_user = person(globex, Role.HR)
    # Their own page saves into their own company only.
    own = login(globex, stranger_user).post(URL, form_data())
    assert own.status_code == 302 and own["Location"] == URL
    assert any(v.effective_from == dt.date(2027, 1, 1) for v in versions(globex))
    assert len(versions(acme)) == before
    # Their session is no key to this company's page.
    stranger = login(globex, stranger_user)
    assert stranger.get(URL, HTTP_HOST=acme.host).status_code in (302, 403, 404)
    answer = stranger.post(URL, form_data(effective_from="2027-02-01"), HTTP_HOST=acme.host)
    assert answer.status_code in (302, 403, 404) and answer.get("Location") != URL
    assert len(versions(acme)) == before


def test_the_page_renders_in_chinese(acme):
    browser = login(acme, person(acme, Role.HR))
    browser.cookies["django_language"] = "zh-hans"
    page = browser.get(URL)
    text = page.content.decode()
    assert page.status_code == 200
    assert 'lang="zh-hans"' in text.lower() and 'class="page-header"' in text
