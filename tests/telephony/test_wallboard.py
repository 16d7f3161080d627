"""The wallboard for the room (issue 12, item 8): counts by state, queue thresholds, the TV mode's
wall-screen token, and the feedback when a supervisor starts listening."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator
from django.utils import timezone
from django_tenants.utils import tenant_context

from apps.audit.models import AuditEntry
from apps.telephony import agent_states
from apps.telephony.models import PauseReason, WallboardToken
from apps.telephony.selectors.wallboard import (
    STATE_GROUPS,
    WAIT_RED_SECONDS,
    monitor_feedback,
    queue_alerts,
    state_counts,
    wallboard_agents,
)
from apps.telephony.services.wallboard_tokens import (
    wallboard_token_check,
    wallboard_token_issue,
    wallboard_token_revoke,
)
from config.asgi import application
from tests.accounts.helpers import web_login
from tests.conftest import TenantWorld
from tests.telephony.agent_helpers import give_call, make_agent

TIMEOUT = 5


@pytest.fixture(autouse=True)
def _keep_the_test_connection(monkeypatch):
    """As in test_realtime_agents.py: channels would close the connection holding the test's transaction."""
    monkeypatch.setattr("channels.db.close_old_connections", lambda: None)


def _issue(world: TenantWorld, *, days: int = 30, role: str = "supervisor"):
    actor = world.user(role)
    with tenant_context(world.tenant):
        return wallboard_token_issue(actor=actor, name="Room A", days=days)


def _tv_socket(world: TenantWorld, token: str, path: str = "/ws/wallboard/tv/") -> WebsocketCommunicator:
    headers = [(b"host", world.host.encode()), (b"origin", f"http://{world.host}".encode())]
    return WebsocketCommunicator(application, f"{path}?token={token}", headers=headers)


def _first(communicator: WebsocketCommunicator):
    async def scenario():
        connected, code = await communicator.connect(timeout=TIMEOUT)
        first = await communicator.receive_json_from(timeout=TIMEOUT) if connected else None
        await communicator.disconnect()
        return connected, code, first

    return async_to_sync(scenario)()


# --- counts by state ------------------------------------------------------------------------------


def test_every_agent_state_is_in_exactly_one_group_of_the_header():
    grouped = [state for states in STATE_GROUPS.values() for state in states]
    assert sorted(grouped) == sorted(agent_states.STATES)


def test_the_snapshot_counts_agents_by_state_and_not_ready_by_reason(acme):
    make_agent(acme, state="ready")
    make_agent(acme, state="ready")
    make_agent(acme, state="not_ready", reason="break")
    make_agent(acme, state="not_ready", reason="break")
    make_agent(acme, state="not_ready", reason="login")
    make_agent(acme, state="wrap_up")
    talking = make_agent(acme, state="talking")
    give_call(acme, talking.agent, state="talking", call_status="talking")
    on_hold = make_agent(acme, state="hold")
    with tenant_context(acme.tenant):
        counts = state_counts(wallboard_agents())
    assert counts["ready"] == 2
    assert counts["talking"] == 2  # talking and hold
    assert counts["wrap_up"] == 1
    assert counts["not_ready"] == 3
    assert counts["not_ready_reasons"] == {"break": 2, "login": 1}
    assert on_hold.agent.state == "hold"


def test_the_page_carries_the_groups_and_thresholds_it_counts_and_colours_by(acme):
    supervisor = acme.user("supervisor")
    client = web_login(acme, supervisor.email)
    page = client.get("/wallboard/").content.decode()
    assert 'id="wb-counts"' in page
    config = json.loads(page.split('id="wb-config" type="application/json">')[1].split("</script>")[0])
    assert config["thresholds"]["groups"]["talking"] == ["talking", "hold"]
    assert config["thresholds"]["wait_red_seconds"] == WAIT_RED_SECONDS
    labels = json.loads(page.split('id="wb-labels" type="application/json">')[1].split("</script>")[0])
    with tenant_context(acme.tenant):
        assert labels["reasons"]["break"] == PauseReason.objects.get(code="break").name


# --- thresholds -----------------------------------------------------------------------------------


def _row(**fields):
    row = {"sl_percent": 90.0, "sl_target_percent": 80, "sl_threshold_seconds": 20, "waiting": 0}
    row["longest_wait_seconds"] = 0.0
    return {**row, **fields}


@pytest.mark.parametrize(
    ("sl_percent", "level"),
    [(None, "none"), (80.0, "ok"), (95.0, "ok"), (75.0, "amber"), (70.0, "amber"), (69.9, "red")],
)
def test_service_level_below_target_is_amber_then_red(sl_percent, level):
    assert queue_alerts(_row(sl_percent=sl_percent))["sl"] == level


@pytest.mark.parametrize(
    ("waiting", "longest", "level"),
    [
        (0, 500.0, "ok"),
        (1, 5.0, "ok"),
        (1, 20.0, "amber"),
        (2, WAIT_RED_SECONDS - 1, "amber"),
        (1, WAIT_RED_SECONDS, "red"),
    ],
)
def test_longest_wait_over_the_sl_threshold_is_amber_and_over_the_default_red(waiting, longest, level):
    assert queue_alerts(_row(waiting=waiting, longest_wait_seconds=longest))["wait"] == level


def test_a_queue_whose_sl_threshold_is_above_the_default_turns_red_at_its_own_threshold():
    row = _row(sl_threshold_seconds=300, waiting=1)
    assert queue_alerts({**row, "longest_wait_seconds": 299.0})["wait"] == "ok"
    assert queue_alerts({**row, "longest_wait_seconds": 300.0})["wait"] == "red"


# --- the TV mode's token --------------------------------------------------------------------------


def test_issuing_a_wall_screen_token_is_audited_and_stores_only_a_digest(acme):
    issued = _issue(acme)
    assert issued.raw.startswith("wb_")
    with tenant_context(acme.tenant):
        row = WallboardToken.objects.get(pk=issued.token.pk)
        entry = AuditEntry.objects.filter(action="token.created").order_by("-id").first()
    assert issued.raw not in (row.digest, row.prefix)
    assert entry is not None
    assert entry.after["scope"] == "wallboard"
    assert issued.raw not in json.dumps(entry.after)


def test_an_agent_cannot_issue_a_wall_screen_token(acme):
    agent = acme.user("agent")
    with tenant_context(acme.tenant), pytest.raises(Exception, match="supervisors"):
        wallboard_token_issue(actor=agent, name="x", days=1)


def test_the_token_opens_the_tv_page_without_a_login(acme):
    issued = _issue(acme)
    response = acme.client().get(f"/wallboard/tv/?token={issued.raw}")
    assert response.status_code == 200
    assert response["Referrer-Policy"] == "no-referrer"
    assert response["Cache-Control"] == "no-store"
    page = response.content.decode()
    assert "/ws/wallboard/tv/?token=" in page
    assert 'id="wb-calls"' not in page  # no callers' numbers on the wall
    assert "Force" not in page and "/api/v1/" not in page


def test_the_token_grants_the_tv_socket(acme):
    issued = _issue(acme)
    make_agent(acme, state="ready")
    connected, _code, first = _first(_tv_socket(acme, issued.raw))
    assert connected
    assert first["type"] == "snapshot"
    assert any(agent["state"] == "ready" for agent in first["agents"])
    with tenant_context(acme.tenant):
        assert WallboardToken.objects.get(pk=issued.token.pk).last_used_at is not None


def test_the_token_opens_nothing_else(acme):
    issued = _issue(acme)
    client = acme.client()
    for path in ("/wallboard/", "/desk/", "/wallboard/screens/", "/calls/"):
        response = client.get(f"{path}?token={issued.raw}")
        assert response.status_code in (302, 403, 404), path
    api = acme.api()
    api.credentials(HTTP_AUTHORIZATION=f"Token {issued.raw}")
    assert api.get("/api/v1/agents").status_code in (401, 403)
    assert api.get(f"/api/v1/agents?token={issued.raw}").status_code in (401, 403)
    # Nor the supervisors' socket (with its force and monitor actions behind the API).
    connected, code, _first_message = _first(_tv_socket(acme, issued.raw, path="/ws/wallboard/"))
    assert (connected, code) == (False, 4403)


def test_an_api_token_does_not_open_the_tv(acme):
    api_token = acme.token(acme.user("supervisor"))
    assert acme.client().get(f"/wallboard/tv/?token={api_token}").status_code == 403
    connected, code, _ = _first(_tv_socket(acme, api_token))
    assert (connected, code) == (False, 4403)


def test_a_revoked_token_is_refused(acme):
    issued = _issue(acme)
    admin = acme.user("tenant_admin")
    with tenant_context(acme.tenant):
        wallboard_token_revoke(token=issued.token, actor=admin)
        assert AuditEntry.objects.filter(action="token.revoked").exists()
    assert acme.client().get(f"/wallboard/tv/?token={issued.raw}").status_code == 403
    connected, code, _ = _first(_tv_socket(acme, issued.raw))
    assert (connected, code) == (False, 4403)


def test_an_expired_token_is_refused(acme):
    issued = _issue(acme)
    with tenant_context(acme.tenant):
        WallboardToken.objects.filter(pk=issued.token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert acme.client().get(f"/wallboard/tv/?token={issued.raw}").status_code == 403
    connected, code, _ = _first(_tv_socket(acme, issued.raw))
    assert (connected, code) == (False, 4403)


def test_a_token_of_another_tenant_is_refused(acme, globex):
    issued = _issue(globex)
    assert acme.client().get(f"/wallboard/tv/?token={issued.raw}").status_code == 403
    connected, code, _ = _first(_tv_socket(acme, issued.raw))
    assert (connected, code) == (False, 4403)
    with tenant_context(acme.tenant):
        assert wallboard_token_check(issued.raw) is None


def test_the_token_dies_with_its_supervisors_role(acme):
    issued = _issue(acme)
    with tenant_context(acme.tenant):
        user = issued.token.created_by
        user.roles = ["agent"]
        user.save(update_fields=["roles"])
    assert acme.client().get(f"/wallboard/tv/?token={issued.raw}").status_code == 403


def test_an_open_tv_socket_is_closed_once_its_token_is_revoked(acme, settings):
    settings.REALTIME_ACCESS_CHECK_SECONDS = 0.2
    issued = _issue(acme)
    admin = acme.user("tenant_admin")

    def revoke():
        with tenant_context(acme.tenant):
            wallboard_token_revoke(token=WallboardToken.objects.get(pk=issued.token.pk), actor=admin)

    async def scenario():
        socket = _tv_socket(acme, issued.raw)
        connected, _ = await socket.connect(timeout=TIMEOUT)
        assert connected
        await socket.receive_json_from(timeout=TIMEOUT)
        still_open = await socket.receive_nothing(timeout=0.6, interval=0.05)
        await sync_to_async(revoke)()
        closed = await socket.receive_output(timeout=TIMEOUT)
        await socket.disconnect()
        return still_open, closed

    still_open, closed = async_to_sync(scenario)()
    assert still_open is True
    assert closed == {"type": "websocket.close", "code": 4403}


def test_supervisors_make_and_revoke_screens_on_the_screens_page(acme):
    supervisor = acme.user("supervisor")
    client = web_login(acme, supervisor.email)
    page = client.post("/wallboard/screens/", {"name": "Hall", "days": "7"}).content.decode()
    assert "/wallboard/tv/?token=wb_" in page
    with tenant_context(acme.tenant):
        token = WallboardToken.objects.get(name="Hall")
    response = client.post("/wallboard/screens/", {"revoke": token.pk})
    assert response.status_code == 302
    with tenant_context(acme.tenant):
        assert WallboardToken.objects.get(pk=token.pk).revoked_at is not None
    assert client.post("/wallboard/screens/", {"revoke": "x"}).status_code == 404
    agent_client = web_login(acme, acme.user("agent").email)
    assert agent_client.get("/wallboard/screens/").status_code in (302, 403)


# --- listen feedback ------------------------------------------------------------------------------


def test_listening_on_the_simulated_switch_says_there_is_no_audio(acme, settings, django_capture_on_commit_callbacks):
    settings.SOFTPHONE_ENABLED = False
    subject = make_agent(acme)
    call = give_call(acme, subject.agent, state="talking", call_status="talking")
    supervisor = acme.user("supervisor")
    with django_capture_on_commit_callbacks(execute=True):
        response = acme.api(supervisor).post(f"/api/v1/calls/{call.uid}/monitor", {"mode": "listen"}, format="json")
    assert response.status_code == 202
    body = response.json()
    assert body["type"] == "call.monitor"
    assert body["audio"] is False
    assert "simulated switch" in body["notice"]


def test_listening_with_a_sip_plane_names_the_seat_that_rings(acme, settings):
    settings.SOFTPHONE_ENABLED = True
    no_seat = acme.user("supervisor")
    seated = make_agent(acme, roles=("supervisor", "agent"))
    with tenant_context(acme.tenant):
        without = monitor_feedback(no_seat)
        with_seat = monitor_feedback(seated.user)
    assert without["audio"] is False
    assert "seat" in without["notice"]
    assert with_seat["audio"] is True
    assert seated.seat is not None and seated.seat.extension in with_seat["notice"]


def test_the_listen_failure_is_the_apis_message(acme):
    supervisor = acme.user("supervisor")
    response = acme.api(supervisor).post("/api/v1/calls/nope/monitor", {"mode": "listen"}, format="json")
    assert response.status_code == 404
    assert response.json()["message"]
