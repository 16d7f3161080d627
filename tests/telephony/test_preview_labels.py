"""The desk's preview card names a contact's custom fields as the list's columns did ("套餐", not
the key "plan"), like the campaign-call panel: the engine's ``campaign.preview`` carries keys only,
so the desk asks GET /api/v1/agents/me/preview/labels for the headers (no contact data)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django_tenants.utils import tenant_context

from apps.telephony.models import ContactList
from tests.telephony.agent_helpers import make_agent
from tests.telephony.campaign_factories import make_campaign, make_contact

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def listed_contact(acme):
    with tenant_context(acme.tenant):
        campaign = make_campaign(running=False, name="Broadband renewals")
        contact_list = ContactList.objects.create(
            campaign=campaign,
            name="contacts.csv",
            file="x.csv",
            file_format="csv",
            columns=["客户姓名", "手机号码", "套餐"],
            mapping={"客户姓名": "name", "手机号码": "phone", "套餐": "custom.plan"},
        )
        return make_contact(
            campaign, phone="+8613900139001", name="李娜", data={"plan": "宽带 200M"}, contact_list=contact_list
        )


def test_the_preview_card_gets_the_lists_column_headers(acme, listed_contact):
    desk = make_agent(acme, state="ready")

    response = acme.api(desk.user).get(f"/api/v1/agents/me/preview/labels?contact_id={listed_contact.pk}")

    assert response.status_code == 200
    body = response.json()
    assert body == {"contact_id": listed_contact.pk, "labels": {"plan": "套餐"}}
    assert "李娜" not in response.content.decode() and "宽带" not in response.content.decode()


@pytest.mark.parametrize("query", ["", "?contact_id=x", "?contact_id=0", "?contact_id=99999999999999999999"])
def test_a_bad_contact_id_is_a_400(acme, query):
    desk = make_agent(acme, state="ready")

    assert acme.api(desk.user).get(f"/api/v1/agents/me/preview/labels{query}").status_code == 400


def test_an_unknown_contact_is_a_404(acme):
    desk = make_agent(acme, state="ready")

    assert acme.api(desk.user).get("/api/v1/agents/me/preview/labels?contact_id=987654").status_code == 404


def test_only_agents_ask(acme, listed_contact):
    response = acme.api(acme.user("billing")).get(f"/api/v1/agents/me/preview/labels?contact_id={listed_contact.pk}")

    assert response.status_code == 403


def test_the_desk_script_draws_the_preview_card_with_the_headers():
    script = (ROOT / "static/js/desk_outbound.js").read_text()

    assert 'fillFields($("preview-fields"), contact.fields, previewLabels[contact.contact_id])' in script
    assert '"agents/me/preview/labels?contact_id="' in script
