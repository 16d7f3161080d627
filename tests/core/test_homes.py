"""Each role lands on its workspace and sees in the navigation only what it can open.

The navigation table (apps/core/navigation.py) and the pages' own checks
(tests/core/test_isolation_pages.py ROLE_MATRIX) must agree: a link that answers 403 is a dead end.
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django_tenants.utils import tenant_context

from apps.accounts.choices import Role
from apps.core.navigation import TENANT_NAVIGATION, home_url_name
from tests.accounts.helpers import web_login
from tests.core.test_isolation_pages import EVERYONE, ROLE_MATRIX

# Where each role lands after logging in ("/" is the plain home).
HOMES = {
    Role.TENANT_ADMIN: "/",
    Role.SUPERVISOR: "/wallboard/",
    Role.AGENT: "/desk/",
    Role.QA: "/qa/",
    Role.TRAINER: "/",
    Role.HR: "/",
    Role.BILLING: "/",
    Role.QA_LEAD: "/qa/",
}
# The links of the top bar each role sees, in order (menus' links in place of their menu).
NAVIGATION = {
    Role.TENANT_ADMIN: [
        "/",
        "/wallboard/",
        "/calls/",
        "/calls/voicemails/",
        "/calls/callbacks/",
        "/console/campaigns/",
        "/console/queues/",
        "/wallboard/what-if/",
        "/console/ivr/",
        "/console/ivr/prompts/",
        "/console/telephony/",
        "/console/dialling/",
        "/console/seats/",
        "/qa/",
        "/qa/scorecards/",
        "/qa/sampling/",
        "/qa/calibration/",
        "/qa/disputes/",
        "/qa/coaching/",
        "/customers/",
        "/tickets/",
        "/kb/",
        "/kb/manage/",
        "/kb/phrases/",
        "/kb/insights/",
        "/surveys/",
        "/surveys/visits/",
        "/customers/imports/",
        "/workforce/",
        "/workforce/schedule/",
        "/workforce/clock/",
        "/workforce/handover/",
        "/workforce/requests/",
        "/workforce/roster/",
        "/workforce/approvals/",
        "/workforce/clock/corrections/",
        "/workforce/shift-types/",
        "/workforce/discipline/",
        "/workforce/policy/",
        "/workforce/staffing/",
        "/workforce/staffing/adherence/",
        "/workforce/staffing/calculator/",
        "/workforce/staffing/what-if/",
        "/training/",
        "/training/courses/",
        "/training/exams/",
        "/training/typing/",
        "/training/certificates/",
        "/training/certifications/",
        "/training/careers/",
        "/training/programmes/",
        "/training/people/",
        "/training/banks/",
        "/training/grading/",
        "/training/effectiveness/",
        "/training/qa-rules/",
        "/reports/",
        "/reports/list/",
        "/billing/",
        "/console/users/",
        "/console/teams/",
        "/customers/fields/",
        "/webhooks/",
        "/console/security/",
        "/tickets/categories/",
        "/tickets/departments/",
        "/console/calendar/",
        "/console/audit/",
        "/console/retention/",
    ],
    Role.SUPERVISOR: [
        "/wallboard/",
        "/calls/",
        "/calls/voicemails/",
        "/calls/callbacks/",
        "/console/campaigns/",
        "/console/queues/",
        "/wallboard/what-if/",
        "/console/telephony/",
        "/qa/",
        "/qa/scorecards/",
        "/qa/disputes/",
        "/qa/coaching/",
        "/customers/",
        "/tickets/",
        "/kb/",
        "/kb/manage/",
        "/kb/phrases/",
        "/kb/insights/",
        "/surveys/",
        "/surveys/visits/",
        "/customers/imports/",
        "/workforce/",
        "/workforce/schedule/",
        "/workforce/clock/",
        "/workforce/handover/",
        "/workforce/requests/",
        "/workforce/roster/",
        "/workforce/approvals/",
        "/workforce/clock/corrections/",
        "/workforce/staffing/",
        "/workforce/staffing/adherence/",
        "/workforce/staffing/calculator/",
        "/workforce/staffing/what-if/",
        "/training/",
        "/training/courses/",
        "/training/exams/",
        "/training/typing/",
        "/training/certificates/",
        "/training/certifications/",
        "/training/careers/",
        "/training/programmes/",
        "/training/people/",
        "/reports/",
        "/reports/list/",
    ],
    Role.AGENT: [
        "/desk/",
        "/calls/",
        "/calls/voicemails/",
        "/calls/callbacks/",
        "/qa/mine/",
        "/qa/coaching/",
        "/customers/",
        "/tickets/",
        "/kb/",
        "/surveys/",
        "/surveys/visits/",
        "/workforce/",
        "/workforce/schedule/",
        "/workforce/clock/",
        "/workforce/handover/",
        "/workforce/requests/",
        "/training/",
        "/training/courses/",
        "/training/exams/",
        "/training/typing/",
        "/training/certificates/",
        "/training/certifications/",
        "/training/careers/",
    ],
    Role.QA: [
        "/calls/",
        "/qa/",
        "/qa/scorecards/",
        "/qa/calibration/",
        "/qa/disputes/",
        "/qa/coaching/",
        "/customers/",
        "/tickets/",
        "/kb/",
        "/surveys/",
        "/surveys/visits/",
        "/workforce/",
        "/workforce/schedule/",
        "/workforce/clock/",
        "/workforce/handover/",
        "/workforce/requests/",
        "/training/",
        "/training/courses/",
        "/training/exams/",
        "/training/typing/",
        "/training/certificates/",
        "/training/certifications/",
        "/training/careers/",
        "/reports/list/",
    ],
    Role.TRAINER: [
        "/",
        "/customers/",
        "/kb/",
        "/kb/manage/",
        "/kb/phrases/",
        "/kb/insights/",
        "/workforce/",
        "/workforce/schedule/",
        "/workforce/clock/",
        "/workforce/handover/",
        "/workforce/requests/",
        "/training/",
        "/training/courses/",
        "/training/exams/",
        "/training/typing/",
        "/training/certificates/",
        "/training/certifications/",
        "/training/careers/",
        "/training/programmes/",
        "/training/people/",
        "/training/banks/",
        "/training/grading/",
        "/training/effectiveness/",
        "/training/qa-rules/",
        "/reports/list/",
    ],
    Role.HR: [
        "/",
        "/customers/",
        "/kb/",
        "/workforce/",
        "/workforce/schedule/",
        "/workforce/clock/",
        "/workforce/handover/",
        "/workforce/requests/",
        "/workforce/roster/",
        "/workforce/approvals/",
        "/workforce/clock/corrections/",
        "/workforce/shift-types/",
        "/workforce/discipline/",
        "/workforce/policy/",
        "/workforce/staffing/",
        "/workforce/staffing/adherence/",
        "/workforce/staffing/calculator/",
        "/workforce/staffing/what-if/",
        "/training/",
        "/training/courses/",
        "/training/exams/",
        "/training/typing/",
        "/training/certificates/",
        "/training/certifications/",
        "/training/careers/",
        "/training/people/",
        "/reports/list/",
    ],
    Role.BILLING: [
        "/",
        "/customers/",
        "/kb/",
        "/workforce/",
        "/workforce/schedule/",
        "/workforce/clock/",
        "/workforce/handover/",
        "/workforce/requests/",
        "/training/",
        "/training/courses/",
        "/training/exams/",
        "/training/typing/",
        "/training/certificates/",
        "/training/certifications/",
        "/training/careers/",
        "/billing/",
    ],
    Role.QA_LEAD: [
        "/calls/",
        "/qa/",
        "/qa/scorecards/",
        "/qa/sampling/",
        "/qa/calibration/",
        "/qa/disputes/",
        "/qa/coaching/",
        "/customers/",
        "/tickets/",
        "/kb/",
        "/kb/insights/",
        "/surveys/",
        "/surveys/visits/",
        "/workforce/",
        "/workforce/schedule/",
        "/workforce/clock/",
        "/workforce/handover/",
        "/workforce/requests/",
        "/training/",
        "/training/courses/",
        "/training/exams/",
        "/training/typing/",
        "/training/certificates/",
        "/training/certifications/",
        "/training/careers/",
        "/reports/list/",
    ],
}
NAV = re.compile(r'<nav class="mainnav">(.*?)</nav>', re.S)


def _nav_hrefs(page: str) -> list[str]:
    """The links of the shell's navigation bar."""
    match = NAV.search(page)
    assert match is not None
    return re.findall(r'<a href="([^"]+)"', match.group(1))


@pytest.mark.parametrize("role", EVERYONE)
def test_each_role_lands_on_its_home_and_sees_its_navigation(acme, role):
    client = web_login(acme, acme.user(role).email)
    response = client.get("/")
    if HOMES[role] == "/":
        assert response.status_code == 200
        page = response.content.decode()
    else:
        assert response.status_code == 302
        assert response["Location"] == HOMES[role]
        page = client.get(HOMES[role]).content.decode()
    assert _nav_hrefs(page) == NAVIGATION[role]


def test_login_sends_an_agent_to_the_desk(acme):
    user = acme.user(Role.AGENT)
    client = acme.client()
    response = client.post(
        "/accounts/login/", {"username": user.email, "password": "Corr3ct-Horse-Battery"}, follow=True
    )
    assert response.redirect_chain[-1][0] == "/desk/"


@pytest.mark.parametrize(
    ("roles", "home"),
    [
        ((Role.TENANT_ADMIN, Role.SUPERVISOR), "home"),
        ((Role.SUPERVISOR, Role.AGENT), "agents:wallboard"),
        ((Role.AGENT, Role.QA), "agents:desk"),
        ((Role.QA, Role.HR), "qa:home"),
        ((Role.HR, Role.TRAINER), "home"),
    ],
)
def test_the_most_senior_role_decides_the_home(acme, roles, home):
    with tenant_context(acme.tenant):
        assert home_url_name(acme.user(*roles)) == home


def test_every_navigation_entry_opens_for_the_roles_that_see_it():
    """The table's roles are exactly the page's audience in ROLE_MATRIX (Home aside: "/" serves
    everyone, and sends agents and supervisors on to their workspace)."""
    wrong = {}
    for item in TENANT_NAVIGATION:
        path = reverse(item.url_name).lstrip("/")
        if item.url_name == "home":
            continue
        roles = set(item.roles) & set(EVERYONE)
        if roles != set(ROLE_MATRIX[path]):
            wrong[path] = (sorted(roles), sorted(ROLE_MATRIX[path]))
    assert wrong == {}


@pytest.mark.parametrize("role", [Role.TRAINER, Role.HR, Role.BILLING])
def test_the_plain_home_lists_only_tools_the_role_can_open(acme, role):
    client = web_login(acme, acme.user(role).email)
    page = client.get("/").content.decode()
    main = page.split("<main", 1)[-1]
    assert "coming soon" not in page.lower()
    assert 'href="/customers/"' in main
    assert 'href="/calls/"' not in main
    # The administrator's dashboard (seats, trunks, numbers) is not theirs.
    assert 'class="tiles"' not in main
    for path in ("/desk/", "/wallboard/", "/console/users/"):
        assert f'href="{path}"' not in page


def test_the_administrator_is_told_which_agents_can_receive_no_calls(acme):
    from apps.telephony.models import Agent
    from apps.telephony.services.agent_state import agent_ensure

    with tenant_context(acme.tenant):
        stranded = acme.user(Role.AGENT, email="stranded@acme.test")
        stranded.name = "Stella Stranded"
        stranded.save(update_fields=["name"])
        Agent.objects.create(user=stranded)  # made by hand: no skill at all
        ready = acme.user(Role.AGENT, email="ready@acme.test")
        ready.name = "Rita Ready"
        ready.save(update_fields=["name"])
        agent_ensure(user=ready)  # the default skill, which the default queue asks for
    admin = web_login(acme, acme.admin_email)
    page = admin.get("/").content.decode()
    assert "data-agents-without-queue" in page
    assert "Stella Stranded" in page
    assert "Rita Ready" not in page
    # Agents and supervisors do not get the administrator's warnings.
    assert "data-agents-without-queue" not in web_login(acme, stranded.email).get("/", follow=True).content.decode()


def test_the_home_greets_by_name_or_else_by_the_company(acme):
    """Sign-up asks for no name: an administrator without one is not greeted by the first half of
    their e-mail address ("Welcome, admin"), but welcomed to the company."""
    with tenant_context(acme.tenant):
        admin_user = acme.user(Role.TENANT_ADMIN, email="noname-admin@acme.test")
        admin_user.name = ""
        admin_user.save(update_fields=["name"])
    page = web_login(acme, "noname-admin@acme.test").get("/").content.decode()
    assert f"Welcome to {acme.tenant.name}" in page
    assert "Welcome, noname-admin" not in page

    with tenant_context(acme.tenant):
        admin_user.name = "Ada Admin"
        admin_user.save(update_fields=["name"])
    page = web_login(acme, "noname-admin@acme.test").get("/").content.decode()
    assert "Welcome, Ada Admin" in page
