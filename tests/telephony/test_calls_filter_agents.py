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
