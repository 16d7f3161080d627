"""Cross-tenant isolation and the role matrix of every HTML page of a tenant host.

The routes are found from the URL resolver (as the API walk in test_isolation.py does), so a
page added later is walked without touching this file:
- every page, GET and POST, by an anonymous visitor and by a globex session on acme's host:
  refused (a redirect to the login page, 401/403/404/405), never served, never a 500;
- every page without a parameter, GET, by a user holding one role: served or refused exactly
  as the ``ROLE_MATRIX`` table says. The table is the contract of who sees what; change it
  knowingly when a page's audience changes.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from apps.accounts.choices import Role
from tests.accounts.helpers import web_login
from tests.core.test_isolation import TENANT_URLCONF, _concrete

# Pages every visitor may open: how one logs in, resets a password or picks a language.
PUBLIC_PAGES = {
    "accounts/login/",
    "accounts/logout/",
    "accounts/password-reset/",
    "accounts/password-reset/sent/",
    "accounts/reset/1/1/",
    "accounts/reset/done/",
    "accounts/two-factor/",
    "accounts/two-factor/verify/",
    "i18n/setlang/",
}
# Covered by the API walk (test_isolation.py).
API_PAGES = {"api/schema/", "api/docs/"}


def _walk(resolver: URLResolver, prefix: str = ""):
    for entry in resolver.url_patterns:
        path = prefix + _concrete(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _walk(entry, path)
        elif isinstance(entry, URLPattern) and not path.startswith("api/v1/"):
            yield path, entry


PAGES = sorted({path for path, _entry in _walk(get_resolver(TENANT_URLCONF))} - PUBLIC_PAGES - API_PAGES)
REFUSED = {302, 401, 403, 404, 405}

A, S, G, Q, T, H, B, L = (
    Role.TENANT_ADMIN,
    Role.SUPERVISOR,
    Role.AGENT,
    Role.QA,
    Role.TRAINER,
    Role.HR,
    Role.BILLING,
    Role.QA_LEAD,
)
EVERYONE = (A, S, G, Q, T, H, B, L)
# Who may open each page (GET; POST for the pages that only take POST). Anyone else: 403.
ROLE_MATRIX: dict[str, tuple[str, ...]] = {
    "": EVERYONE,
    "accounts/two-factor/setup/": EVERYONE,
    "billing/": (A, B),
    "calls/": (A, S, G, Q, L),
    "calls/callbacks/": (A, S, G),
    "calls/voicemails/": (A, S, G),
    "console/agents/": (A, S),
    "console/audit/": (A,),
    "console/audit/settings/": (A,),
    "console/calendar/": (A,),
    "console/campaigns/": (A, S),
    "console/campaigns/callbacks/": (A, S),
    "console/campaigns/consents/": (A, S),
    "console/campaigns/consents/policy/": (A,),
    "console/campaigns/dnc/": (A, S),
    "console/campaigns/dnc/import/": (A,),
    "console/campaigns/dnc/imports/": (A, S),
    "console/campaigns/new/": (A,),
    "console/campaigns/script-preview/": (A,),
    "console/dialling/": (A,),
    "console/dispositions/": (A,),
    "console/ivr/": (A,),
    "console/ivr/hours/": (A,),
    "console/ivr/import/": (A,),
    "console/ivr/prompts/": (A,),
    "console/pause-reasons/": (A,),
    "console/queues/": (A, S),
    "console/retention/": (A,),
    "console/seats/": (A,),
    "console/security/": (A,),
    "console/skills/": (A, S),
    "console/teams/": (A,),
    "console/telephony/": (A, S),
    "console/tokens/": EVERYONE,
    "console/users/": (A,),
    "customers/": EVERYONE,
    "customers/new/": (A, S),
    "desk/": (G,),
    "kb/": EVERYONE,
    "kb/insights/": (A, S, T, L),
    "kb/manage/": (A, S, T),
    "kb/manage/categories/": (A, S, T),
    "kb/manage/new/": (A, S, T),
    "kb/panel/": EVERYONE,
    "kb/phrases/": (A, S, T),
    "notifications/": EVERYONE,
    "notifications/read-all/": EVERYONE,
    "qa/": (A, S, Q, L),
    "qa/assignments/": (A, L),
    "qa/calibration/": (A, Q, L),
    "qa/calibration/new/": (A, L),
    "qa/coaching/": (A, S, G, Q, L),
    "qa/coaching/new/": (A, S, Q, L),
    "qa/disputes/": (A, S, Q, L),
    "qa/mine/": (G,),
    "qa/evaluations/preview/": (A, S, Q, L),
    "qa/scorecards/": (A, S, Q, L),
    "qa/scorecards/new/": (A, L),
    "qa/sampling/": (A, L),
    "qa/sampling/new/": (A, L),
    "reports/": (A, S),
    "reports/list/": (A, S, Q, L, T, H),
    "reports/schedules/": (A, S),
    "reports/schedules/new/": (A, S),
    "reports/settings/": (A,),
    "tickets/": (A, S, G, Q, L),
    "tickets/categories/": (A,),
    "tickets/departments/": (A,),
    "tickets/new/": (A, S, G),
    "wallboard/": (A, S),
    "wallboard/screens/": (A, S),
    "customers/export.csv": (A, S),
    "customers/export.xlsx": (A, S),
    "customers/fields/": (A,),
    "customers/fields/new/": (A,),
    "customers/imports/": (A, S),
    "surveys/": (A, S, G, Q, L),
    "surveys/visits/": (A, S, G, Q, L),
    "training/": EVERYONE,
    "training/banks/": (A, T),
    "training/careers/": EVERYONE,
    "training/certificates/": EVERYONE,
    "training/certifications/": EVERYONE,
    "training/courses/": EVERYONE,
    "training/courses/new/": (A, T),
    "training/effectiveness/": (A, T),
    "training/exams/": EVERYONE,
    "training/exams/new/": (A, T),
    "training/grading/": (A, T),
    "training/people/": (A, S, T, H),
    "training/programmes/": (A, S, T),
    "training/qa-rules/": (A, T),
    "training/typing/": EVERYONE,
    "wallboard/what-if/": (A, S),
    "webhooks/": (A,),
    "webhooks/integration-secret/": (A,),
    "webhooks/new/": (A,),
    "workforce/": EVERYONE,
    "workforce/approvals/": (A, S, H),
    "workforce/clock/": EVERYONE,
    "workforce/clock/corrections/": (A, S, H),
    "workforce/clock/corrections/add/": (A, S, H),
    "workforce/clock/record/": EVERYONE,
    "workforce/discipline/": (A, H),
    "workforce/discipline/warnings/new/": (A, H),
    "workforce/policy/": (A, H),
    "workforce/handover/": EVERYONE,
    "workforce/handover/write/": EVERYONE,
    "workforce/requests/": EVERYONE,
    "workforce/requests/leave/new/": EVERYONE,
    "workforce/requests/overtime/new/": EVERYONE,
    "workforce/requests/swap/new/": EVERYONE,
    "workforce/roster/": (A, S, H),
    "workforce/roster/cell/": (A, H),
    "workforce/roster/copy-week/": (A, H),
    "workforce/roster/coverage/": (A, S, H),
    "workforce/roster/patterns/": (A, H),
    "workforce/roster/publish/": (A, H),
    "workforce/roster/rotation/": (A, H),
    "workforce/schedule/": EVERYONE,
    "workforce/shift-types/": (A, H),
    "workforce/staffing/": (A, S, H),
    "workforce/staffing/adherence/": (A, S, H),
    "workforce/staffing/calculator/": (A, S, H),
    "workforce/staffing/what-if/": (A, S, H),
    # Nobody with a login: a wall-screen token is its only credential (tests/telephony/test_wallboard.py).
    "wallboard/tv/": (),
}
POST_ONLY = {
    "console/audit/settings/",
    "console/campaigns/consents/policy/",
    "console/campaigns/dnc/import/",
    "console/campaigns/script-preview/",
    "console/ivr/import/",
    "notifications/read-all/",
    "qa/evaluations/preview/",
    "workforce/clock/corrections/add/",
    "workforce/clock/record/",
    "workforce/discipline/warnings/new/",
    "workforce/handover/write/",
    "workforce/roster/cell/",
    "workforce/roster/copy-week/",
    "workforce/roster/patterns/",
    "workforce/roster/publish/",
    "workforce/roster/rotation/",
}


def test_walk_finds_the_pages():
    assert {"console/users/", "desk/", "wallboard/", "calls/", "customers/", "console/audit/"} <= set(PAGES)
    assert len(PAGES) > 80


@pytest.mark.parametrize("path", PAGES)
def test_strangers_are_refused_on_every_page(acme, globex, path):
    anonymous = Client()
    stranger = web_login(globex, globex.admin_email)
    let_through = {}
    for who, client in (("anonymous", anonymous), ("globex session", stranger)):
        for method in ("get", "post"):
            response = getattr(client, method)(f"/{path}", HTTP_HOST=acme.host)
            if response.status_code not in REFUSED:
                let_through[f"{who} {method.upper()}"] = response.status_code
            elif response.status_code == 302:
                assert response["Location"].startswith("/accounts/login/"), (who, method, response["Location"])
    assert let_through == {}


# A path with a parameter (``/1/``, ``…/1``, the iCal feed's ``<token>.ics``) is walked by the
# strangers' test only.
PARAMETERLESS = [
    path for path in PAGES if "/1/" not in f"/{path}" and not path.endswith("/1") and "/1." not in f"/{path}"
]


def test_every_page_without_a_parameter_is_in_the_matrix():
    assert sorted(set(PARAMETERLESS) - set(ROLE_MATRIX)) == []
    assert sorted(set(ROLE_MATRIX) - set(PARAMETERLESS)) == []


@pytest.mark.parametrize("role", EVERYONE)
def test_role_matrix(acme, role):
    client = web_login(acme, acme.user(role).email)
    wrong = {}
    for path, allowed in ROLE_MATRIX.items():
        method = "post" if path in POST_ONLY else "get"
        status = getattr(client, method)(f"/{path}").status_code
        if role in allowed and status in (403, 500):
            wrong[path] = f"refused ({status}) but the matrix allows {role}"
        elif role not in allowed and status != 403:
            wrong[path] = f"answered {status} but the matrix refuses {role}"
    assert wrong == {}
