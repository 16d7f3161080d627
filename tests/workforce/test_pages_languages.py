"""Every workforce page renders in Chinese as well as English for the roles that use it, with the
page components (a page header with breadcrumbs), and a GET writes nothing."""

from __future__ import annotations

import pytest
from django_tenants.utils import tenant_context

from apps.accounts.choices import Role
from apps.workforce.models import ClockEvent, Handover, LeaveRequest, Shift, ShiftType
from tests.workforce.pages_helpers import login, person

PAGES = {
    Role.HR: [
        "/workforce/",
        "/workforce/shift-types/",
        "/workforce/roster/",
        "/workforce/roster/?view=month",
        "/workforce/clock/corrections/",
        "/workforce/approvals/",
        "/workforce/discipline/",
    ],
    Role.AGENT: [
        "/workforce/",
        "/workforce/schedule/",
        "/workforce/clock/",
        "/workforce/handover/",
        "/workforce/requests/",
        "/workforce/requests/leave/new/",
        "/workforce/requests/swap/new/",
        "/workforce/requests/overtime/new/",
    ],
}


@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize("role", [Role.HR, Role.AGENT])
def test_pages_render_in_both_languages(acme, role, language):
    browser = login(acme, person(acme, role))
    browser.cookies["django_language"] = language
    for path in PAGES[role]:
        page = browser.get(path)
        text = page.content.decode()
        assert page.status_code == 200, path
        assert 'class="page-header"' in text and 'class="crumbs"' in text, path
        assert f'lang="{"zh-hans" if language == "zh-hans" else "en"}"' in text.lower(), path
    with tenant_context(acme.tenant):
        assert not any(m.objects.exists() for m in (Shift, ShiftType, ClockEvent, Handover, LeaveRequest))
