"""The pages of issue 12's last pass show the shared components (CONTRIBUTING.md, "Page
components"): a page header with breadcrumbs instead of a bare <h1>, sortable tables, empty
states, state badges and confirm dialogs for what cannot be undone; the administrator's home shows
its figures as stat cards. Pages are fetched as their users fetch them (an administrator's
session on the tenant host)."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.test import Client
from django_tenants.utils import schema_context, tenant_context

from apps.accounts.models import User
from apps.crm.services import customer_create
from apps.telephony.models import BusinessHours, ContactList, IvrFlowVersion, PhoneNumber, Prompt, Queue, Trunk
from tests.accounts.helpers import web_login
from tests.conftest import PASSWORD
from tests.telephony.agent_helpers import make_agent
from tests.telephony.campaign_factories import make_campaign


@pytest.fixture
def admin(acme):
    return web_login(acme, acme.admin_email)


@pytest.fixture
def objects(acme):
    agent = make_agent(acme)
    with tenant_context(acme.tenant):
        campaign = make_campaign(running=False, name="Spring renewals")
        contact_list = ContactList.objects.create(campaign=campaign, name="March list", status="uploaded")
        other = User.objects.create_user("colleague@acme.test", "Colleague!2026pass", name="Cole", roles=["agent"])
        prompt = Prompt.objects.create(name="greeting", description="The welcome")
        customer = customer_create(name="Han Meimei", phones=["13800138123"], is_vip=True)
        return {
            "campaign": campaign.pk,
            "list": contact_list.pk,
            "user": other.pk,
            "prompt": prompt.pk,
            "trunk": Trunk.objects.order_by("pk").first().pk,
            "number": PhoneNumber.objects.order_by("pk").first().pk,
            "queue": Queue.objects.order_by("pk").first().pk,
            "agent": agent.agent.pk,
            "hours": BusinessHours.objects.order_by("pk").first().pk,
            "flow": IvrFlowVersion.objects.order_by("pk").first().flow_id,
            "version": IvrFlowVersion.objects.order_by("pk").first().number,
            "customer": customer.pk,
        }


PAGES = [
    ("/console/campaigns/", "Outbound campaigns"),
    ("/console/campaigns/new/", "New campaign"),
    ("/console/campaigns/{campaign}/", "Spring renewals"),
    ("/console/campaigns/{campaign}/edit/", "Edit Spring renewals"),
    ("/console/campaigns/{campaign}/monitor/", "Spring renewals"),
    ("/console/campaigns/lists/{list}/", "March list"),
    ("/console/campaigns/dnc/", "Do-not-call lists"),
    ("/console/campaigns/consents/", "Marketing consent"),
    ("/console/campaigns/callbacks/", "Scheduled callbacks"),
    ("/console/ivr/prompts/", "Prompts"),
    ("/console/ivr/prompts/{prompt}/", "greeting"),
    ("/console/telephony/", "Trunks & numbers"),
    ("/console/telephony/trunks/{trunk}/", None),
    ("/console/telephony/numbers/{number}/", None),
    ("/console/dialling/", "Dialling policy"),
    ("/console/security/", "Security"),
    ("/console/users/{user}/", "colleague@acme.test"),
    ("/console/tokens/", "API tokens"),
    ("/accounts/two-factor/", "Two-factor authentication"),
    ("/console/queues/", "Queues & skills"),
    ("/console/skills/", "Queues & skills"),
    ("/console/dispositions/", "Queues & skills"),
    ("/console/agents/", "Queues & skills"),
    ("/console/queues/{queue}/", None),
    ("/console/agents/{agent}/", None),
    ("/console/agents/{agent}/seats/", None),
    ("/console/ivr/", "IVR flows"),
    ("/console/ivr/hours/", "Business hours"),
    ("/console/ivr/hours/{hours}/", None),
    ("/console/ivr/flows/{flow}/versions/{version}/", None),
    ("/calls/voicemails/", "Voicemail"),
    ("/calls/callbacks/", "Callback requests"),
    ("/customers/new/", "New customer"),
    ("/customers/{customer}/", "Han Meimei"),
    ("/customers/{customer}/edit/", "Edit customer"),
]


def _main(page: str) -> str:
    return page.split("<main", 1)[1].split("</main>", 1)[0]


@pytest.mark.parametrize(("path", "title"), PAGES)
def test_page_has_a_header_with_breadcrumbs_and_no_bare_heading(admin, objects, path, title):
    response = admin.get(path.format(**objects))

    assert response.status_code == 200
    main = _main(response.content.decode())
    header = re.search(r'<header class="page-header">(.*?)</header>', main, re.S)
    assert header, "no page header"
    assert '<nav class="crumbs"' in header.group(1)
    assert '<a href="/">Home</a>' in header.group(1)
    if title:
        assert re.search(rf"<h1>{re.escape(title)}(?=[\s<])", header.group(1))
    # The page's one <h1> is the header's.
    assert main.count("<h1") == 1


def test_lists_are_sortable_with_empty_states(admin, objects):
    for path in (
        "/console/campaigns/dnc/",
        "/console/campaigns/consents/",
        "/console/campaigns/callbacks/",
        "/calls/voicemails/",
        "/calls/callbacks/",
    ):
        main = _main(admin.get(path).content.decode())
        assert "data-sortable" in main and 'class="empty-state"' in main, path
        assert 'class="filter-bar"' in main, path
    campaigns = _main(admin.get("/console/campaigns/").content.decode())
    assert "data-sortable" in campaigns and '<th data-sort="number" class="num" scope="col">Contacts</th>' in campaigns
    tokens = _main(admin.get("/console/tokens/").content.decode())
    assert "No tokens yet." in tokens and 'class="empty-state"' in tokens


def test_states_are_badges(admin, objects):
    detail = _main(admin.get(f"/console/campaigns/{objects['campaign']}/").content.decode())
    assert re.search(
        r'<h1>Spring renewals\s+<span class="badge badge-warn campaign-status" data-state="draft">Draft</span>', detail
    )
    assert 'class="badge badge-neutral list-status" data-state="uploaded"' in detail
    user = _main(admin.get(f"/console/users/{objects['user']}/").content.decode())
    assert re.search(r'<span class="badge badge-good">Active</span>', user)


def test_destructive_actions_ask_first(admin, objects):
    contact_list = _main(admin.get(f"/console/campaigns/lists/{objects['list']}/").content.decode())
    assert re.search(r'<form id="delete-list"[^>]*data-confirm="Delete this contact list\?" data-danger', contact_list)
    user = _main(admin.get(f"/console/users/{objects['user']}/").content.decode())
    assert 'data-confirm="Delete this user?" data-danger' in user
    prompt = _main(admin.get(f"/console/ivr/prompts/{objects['prompt']}/").content.decode())
    assert 'data-confirm="Delete this prompt?" data-danger' in prompt
    queue = _main(admin.get(f"/console/queues/{objects['queue']}/").content.decode())
    assert re.search(r'class="delete-form" data-confirm="Delete [^"]+\? This cannot be undone." data-danger', queue)


def test_token_revoke_asks_first(admin, acme):
    admin.post("/console/tokens/", {"name": "wall screen"})
    tokens = _main(admin.get("/console/tokens/").content.decode())

    assert 'data-confirm="Revoke this token? Scripts and screens using it stop working at once." data-danger' in tokens


def test_admin_home_shows_stat_cards(admin):
    main = _main(admin.get("/").content.decode())

    assert '<header class="page-header">' in main
    assert 'class="stat-cards home-figures"' in main
    assert re.search(
        r'<a href="/console/seats/" class="card stat-card" title="[^"]+">\s*<span class="stat-label">Seats</span>', main
    )
    assert 'class="tiles"' not in main


@pytest.mark.parametrize(
    ("path", "title"),
    [("/platform/", "Tenants"), ("/platform/trunks/", "Carrier addresses"), ("/platform/calendar/", None)],
)
def test_platform_console_pages_have_a_header(db, path, title):
    with schema_context("public"):
        staff = User.objects.create_superuser("ops-components@platform.test", PASSWORD)
        client = Client(HTTP_HOST=settings.PLATFORM_DOMAIN, HTTP_ACCEPT_LANGUAGE="en")
        client.force_login(staff)

    response = client.get(path)

    assert response.status_code == 200
    main = _main(response.content.decode())
    header = re.search(r'<header class="page-header">(.*?)</header>', main, re.S)
    assert header and '<nav class="crumbs"' in header.group(1)
    if title:
        assert f"<h1>{title}</h1>" in header.group(1)
    assert main.count("<h1") == 1
    assert 'class="tiles"' not in main
