"""One rule says whether a SIP plane carries audio (selectors/softphone.py): the desk's softphone
and the wallboard's listen feedback ask it, so the desk can never offer a phone while the
wallboard says the switch has no audio, or the other way round. ``SOFTPHONE_ENABLED`` decides;
``SIP_WS_PUBLIC_URL`` always has a default and so cannot (docs/sip.md)."""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings
from django_tenants.utils import tenant_context

from apps.telephony.selectors.softphone import sip_plane_configured
from apps.telephony.selectors.wallboard import monitor_feedback
from apps.telephony.views.desk import softphone_available
from tests.accounts.helpers import web_login
from tests.telephony.agent_helpers import make_agent


def test_the_websocket_url_always_has_a_default_so_it_cannot_decide():
    assert django_settings.SIP_WS_PUBLIC_URL.startswith(("ws://", "wss://"))


@pytest.mark.parametrize(
    ("enabled", "ws_url", "plane"),
    [(True, "wss://sip.example.com/", True), (False, "ws://127.0.0.1:8088", False), (True, "", False)],
    ids=["sip-plane", "simulated-switch", "url-blanked"],
)
def test_the_desk_and_the_wallboard_ask_the_same_rule(acme, settings, enabled, ws_url, plane):
    settings.SOFTPHONE_ENABLED = enabled
    settings.SIP_WS_PUBLIC_URL = ws_url
    seated = make_agent(acme, roles=("supervisor", "agent"))

    with tenant_context(acme.tenant):
        feedback = monitor_feedback(seated.user)
    desk = web_login(acme, seated.user.email).get("/desk/").content.decode()

    assert sip_plane_configured() is plane
    assert softphone_available() is plane
    assert ('id="softphone"' in desk) is plane
    assert feedback["audio"] is plane
    assert ("simulated switch" in str(feedback["notice"])) is not plane
