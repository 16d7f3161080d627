"""The agent desk earns trust in the first hour: with the simulated switch it shows a neutral
"calls are delivered by the simulator" state and loads no SIP code (no red "cannot reach the SIP
server"); during a campaign call it has one disposition control, and the contact's custom fields
carry the names the contact list's columns gave them."""

from __future__ import annotations

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from apps.accounts.choices import Role
from apps.telephony.models import CallEvent, ContactList
from tests.accounts.helpers import web_login
from tests.telephony.agent_helpers import make_agent, make_call
from tests.telephony.campaign_factories import make_campaign, make_contact


@pytest.fixture
def desk_page(acme):
    acme.user(Role.AGENT, email="agent-desk-page@acme.test")
    client = web_login(acme, "agent-desk-page@acme.test")
    return lambda: client.get("/desk/").content.decode()


def _loads_sip(page: str) -> bool:
    return "js/softphone.js" in page or "sipjs/" in page or 'id="softphone"' in page


@pytest.mark.parametrize(
    ("enabled", "ws_url"),
    [(False, "ws://127.0.0.1:8088"), (True, ""), (False, "")],
    ids=["softphone-off", "no-sip-websocket", "neither"],
)
def test_without_a_sip_plane_the_desk_shows_the_simulator_and_loads_no_sip(desk_page, settings, enabled, ws_url):
    settings.SOFTPHONE_ENABLED = enabled
    settings.SIP_WS_PUBLIC_URL = ws_url
    page = desk_page()

    assert 'id="softphone-off"' in page
    assert "Calls are delivered by the simulated switch" in page
    assert not _loads_sip(page)
    assert "Cannot reach the SIP server" not in page


def test_with_a_sip_plane_the_desk_has_the_softphone(desk_page, settings):
    settings.SOFTPHONE_ENABLED = True
    settings.SIP_WS_PUBLIC_URL = "wss://sip.example.com/"
    page = desk_page()

    assert 'id="softphone"' in page and "js/softphone.js" in page
    assert 'id="softphone-off"' not in page


def test_the_wrap_up_form_holds_the_one_disposition_control(desk_page):
    page = desk_page()
    form = page[page.index('<form id="wrapup-form">') : page.index("</form>", page.index('<form id="wrapup-form">'))]

    # The campaign's choices and the plain list sit in the same form; desk_outbound.js shows one.
    assert 'id="wrapup-campaign"' in form and 'id="outbound-dispositions"' in form
    assert 'id="wrapup-disposition-field"' in form
    assert page.count('id="outbound-dispositions"') == 1


def test_desk_labels_say_outbound_and_no_sent_noise(desk_page):
    page = desk_page()

    assert '"outbound": "Outbound call"' in page
    assert '"sent"' not in page


def test_a_campaign_call_names_custom_fields_as_the_lists_columns(acme):
    desk = make_agent(acme, state="talking")
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
        contact = make_contact(
            campaign, phone="+8613900139001", name="李娜", data={"plan": "宽带 200M"}, contact_list=contact_list
        )
    call = make_call(acme, status="talking", agent=desk.agent, direction="outbound", callee=contact.phone)
    with tenant_context(acme.tenant):
        CallEvent.objects.create(
            call=call,
            kind="campaign_dial",
            at=timezone.now(),
            data={"campaign_id": campaign.pk, "contact_id": contact.pk, "attempt": 1},
        )

    body = acme.api(desk.user).get(f"/api/v1/calls/{call.uid}/campaign").json()

    assert body["contact"]["name"] == "李娜"
    assert body["contact"]["fields"]["plan"] == "宽带 200M"
    assert body["contact"]["labels"] == {"plan": "套餐"}
