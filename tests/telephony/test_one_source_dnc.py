"""One do-not-call matcher (apps/telephony/selectors/campaigns/dnc.py): the lists' pages and the
API find the same entries for the same query — a whole number exactly (any format), otherwise
every number containing the digits, nothing for a query without digits."""

from __future__ import annotations

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from apps.accounts.choices import Role
from apps.telephony.selectors.campaigns.dnc import dnc_search
from apps.telephony.services.campaigns import dnc
from tests.accounts.helpers import web_login

NUMBERS = ("+8613800138000", "+8613900139000", "+8613800990011")
QUERIES = (
    "138 0013 8000",  # a whole number, spaced: exactly that one
    "+86 139-0013-9000",
    "8000",  # partial digits: every number containing them
    "138",
    "0011",
    "abc",  # no digits: nothing
    "",  # no query: everything
)


@pytest.fixture
def lists(acme):
    user = acme.admin()
    with tenant_context(acme.tenant):
        for number in NUMBERS:
            dnc.dnc_add(number=number, campaign=None, reason="test", user=user)
            dnc.consent_record(number=number, source="test", granted_at=timezone.now(), user=user)
    return acme


def _page_numbers(client, path: str, query: str) -> set[str]:
    response = client.get(path, {"q": query} if query else {})
    assert response.status_code == 200
    return {row.number for row in response.context["page"].object_list}


def _api_numbers(api, path: str, query: str) -> set[str]:
    response = api.get(path, {"number": query} if query else {})
    assert response.status_code == 200, response.content
    return {row["number"] for row in response.json()["results"]}


def _expected(query: str) -> set[str]:
    digits = "".join(ch for ch in query if ch.isdigit())
    whole = {"138 0013 8000": {"+8613800138000"}, "+86 139-0013-9000": {"+8613900139000"}}
    if not query:
        return set(NUMBERS)
    return whole.get(query, {number for number in NUMBERS if digits and digits in number})


@pytest.mark.parametrize("query", QUERIES)
def test_the_page_and_the_api_find_the_same_do_not_call_entries(lists, query: str) -> None:
    page = web_login(lists, lists.admin_email)
    api = lists.api(lists.user(Role.SUPERVISOR))
    on_page = _page_numbers(page, "/console/campaigns/dnc/", query)
    in_api = _api_numbers(api, "/api/v1/dnc", query)
    assert on_page == in_api == _expected(query)
    with tenant_context(lists.tenant):
        assert {entry.number for entry in dnc_search(query)} == on_page


@pytest.mark.parametrize("query", ("138 0013 8000", "8000", "abc"))
def test_the_consent_page_and_api_match_the_same_way(lists, query: str) -> None:
    page = web_login(lists, lists.admin_email)
    api = lists.api(lists.admin())
    assert _page_numbers(page, "/console/campaigns/consents/", query) == _expected(query)
    assert _api_numbers(api, "/api/v1/consents", query) == _expected(query)
