"""The calls page's agent filter names colleagues by name: an agent or QA analyst filtering calls
has no business reading everyone's e-mail address (issue 12 item 6)."""

from __future__ import annotations

import re

from django_tenants.utils import tenant_context

from apps.telephony.models import Agent
from tests.accounts.helpers import web_login


def test_the_agent_filter_lists_names_not_emails(acme):
    with tenant_context(acme.tenant):
        for email, name in (("mei.han@acme.test", "Mei Han"), ("li.na@acme.test", "李娜")):
            user = acme.user("agent", email=email)
            user.name = name
            user.save(update_fields=["name"])
            Agent.objects.get_or_create(user=user)
    page = web_login(acme, acme.user("qa", email="quality@acme.test").email).get("/calls/").content.decode()
    select = re.search(r'<select name="agent"[^>]*>(.*?)</select>', page, re.S)
    assert select is not None
    options = select.group(1)
    assert "Mei Han" in options and "李娜" in options
    assert "@" not in options


def test_empty_filter_choices_read_all_in_both_languages(acme):
    """An empty choice on the filter bar means every value: it reads "All" / "全部", not Django's
    "---------", and the yes/no filters don't offer "Unknown" / "未知" as if it were a third kind."""
    client = web_login(acme, acme.user("supervisor", email="filters@acme.test").email)
    for language, everything, unknown in (("en", "All", "Unknown"), ("zh-hans", "全部", "未知")):
        client.cookies["django_language"] = language
        page = client.get("/calls/").content.decode()
        for name in ("queue", "agent", "direction", "abandoned"):
            select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', page, re.S)
            assert select is not None, name
            first = re.search(r"<option[^>]*>(.*?)</option>", select.group(1), re.S)
            assert first is not None and first.group(1).strip() == everything, (language, name, first)
        assert "---------" not in page
        assert f">{unknown}<" not in page
