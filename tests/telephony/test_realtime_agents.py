"""/ws/wallboard/ and /ws/agent/: snapshots, the agent.state contract, tenant and role isolation.

The tests are synchronous and run an inner async scenario through ``async_to_sync``: consumer
database work (``database_sync_to_async``) then runs on this thread, inside the test's
transaction, so it sees the rows the test wrote.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator
from django.utils import timezone
from django_tenants.utils import tenant_context

from apps.core.events import publish
from apps.telephony.models import Queue
from config.asgi import application
from tests.accounts.helpers import web_login
from tests.conftest import TenantWorld
from tests.telephony.agent_helpers import give_call, make_agent, make_call

ME_STATE = "/api/v1/agents/me/state"
RECEIVE_TIMEOUT = 5


@pytest.fixture(autouse=True)
def _keep_the_test_connection(monkeypatch):
    """``database_sync_to_async`` closes "old" connections around each call; here that connection
    holds the test's transaction (Django's test client disconnects the same hook)."""
    monkeypatch.setattr("channels.db.close_old_connections", lambda: None)


def _socket(world: TenantWorld, path: str, *, token: str | None = None, cookie: str | None = None):
    headers = [(b"host", world.host.encode()), (b"origin", f"http://{world.host}".encode())]
    if cookie:
        headers.append((b"cookie", cookie.encode()))
    return WebsocketCommunicator(application, f"{path}?token={token}" if token else path, headers=headers)


def _api_state_change(world: TenantWorld, user, payload: dict, capture) -> dict:
    """POST /agents/me/state with on-commit callbacks run, as after a real commit."""
    with capture(execute=True):
        response = world.api(user).post(ME_STATE, payload, format="json")
    assert response.status_code == 200, response.content
    return response.json()


# --- the wallboard --------------------------------------------------------------------------------


def test_agent_state_change_reaches_the_wallboard_as_the_contract_message(acme, django_capture_on_commit_callbacks):
    subject = make_agent(acme, state="not_ready", reason="break")
    token = acme.token(acme.user("supervisor"))

    async def scenario():
        wallboard = _socket(acme, "/ws/wallboard/", token=token)
        connected, _ = await wallboard.connect()
        assert connected
        snapshot = await wallboard.receive_json_from(timeout=RECEIVE_TIMEOUT)
        body = await sync_to_async(_api_state_change)(
            acme, subject.user, {"state": "ready"}, django_capture_on_commit_callbacks
        )
        message = await wallboard.receive_json_from(timeout=RECEIVE_TIMEOUT)
        await wallboard.disconnect()
        return snapshot, body, message

    snapshot, body, message = async_to_sync(scenario)()
    assert snapshot["type"] == "snapshot"
    assert message["type"] == "agent.state"
    assert message["agent_id"] == subject.agent.pk
    assert message["state"] == "ready"
    assert message["reason"] is None
    assert message["since"] == body["since"]
    assert message["ts"].endswith("Z")
    assert len(message["ts"].split(".")[-1]) == len("123Z")


def test_not_ready_reason_is_in_the_wallboard_message(acme, django_capture_on_commit_callbacks):
    subject = make_agent(acme, state="ready")
    token = acme.token(acme.admin())

    async def scenario():
        wallboard = _socket(acme, "/ws/wallboard/", token=token)
        await wallboard.connect()
        await wallboard.receive_json_from(timeout=RECEIVE_TIMEOUT)
        await sync_to_async(_api_state_change)(
            acme, subject.user, {"state": "not_ready", "reason": "lunch"}, django_capture_on_commit_callbacks
        )
        message = await wallboard.receive_json_from(timeout=RECEIVE_TIMEOUT)
        await wallboard.disconnect()
        return message

    message = async_to_sync(scenario)()
    assert (message["state"], message["reason"]) == ("not_ready", "lunch")


def test_every_wallboard_socket_receives_the_change(acme, django_capture_on_commit_callbacks):
    subject = make_agent(acme, state="not_ready", reason="break")
    tokens = [acme.token(acme.user("supervisor")), acme.token(acme.admin())]

    async def scenario():
        sockets = [_socket(acme, "/ws/wallboard/", token=token) for token in tokens]
        for socket in sockets:
            await socket.connect()
            await socket.receive_json_from(timeout=RECEIVE_TIMEOUT)
        await sync_to_async(_api_state_change)(
            acme, subject.user, {"state": "ready"}, django_capture_on_commit_callbacks
        )
        received = [await socket.receive_json_from(timeout=RECEIVE_TIMEOUT) for socket in sockets]
        for socket in sockets:
            await socket.disconnect()
        return received

    received = async_to_sync(scenario)()
    assert [(m["type"], m["agent_id"], m["state"]) for m in received] == [
        ("agent.state", subject.agent.pk, "ready")
    ] * 2


def test_another_tenants_wallboard_receives_nothing(acme, globex, django_capture_on_commit_callbacks):
    subject = make_agent(acme, state="not_ready", reason="break")
    acme_token = acme.token(acme.user("supervisor"))
    globex_token = globex.token(globex.user("supervisor"))

    async def scenario():
        ours = _socket(acme, "/ws/wallboard/", token=acme_token)
        theirs = _socket(globex, "/ws/wallboard/", token=globex_token)
        for socket in (ours, theirs):
            assert (await socket.connect())[0]
            await socket.receive_json_from(timeout=RECEIVE_TIMEOUT)
        await sync_to_async(_api_state_change)(
            acme, subject.user, {"state": "ready"}, django_capture_on_commit_callbacks
        )
        delivered = await ours.receive_json_from(timeout=RECEIVE_TIMEOUT)
        # Sent at the same moment as ``delivered``: had it been routed to globex, it would be there.
        leaked = not await theirs.receive_nothing(timeout=0.3)
        await ours.disconnect()
        await theirs.disconnect()
        return delivered, leaked

    delivered, leaked = async_to_sync(scenario)()
    assert delivered["agent_id"] == subject.agent.pk
    assert leaked is False


@pytest.mark.parametrize("role", ["agent", "qa"])
def test_wallboard_is_refused_to_roles_without_access(acme, role):
    token = acme.token(acme.user(role))

    async def scenario():
        socket = _socket(acme, "/ws/wallboard/", token=token)
        result = await socket.connect()
        await socket.disconnect()
        return result

    connected, code = async_to_sync(scenario)()
    assert connected is False
    assert code == 4403


def test_wallboard_refuses_a_token_of_another_tenant(acme, globex):
    token = globex.token(globex.admin())

    async def scenario():
        socket = _socket(acme, "/ws/wallboard/", token=token)
        result = await socket.connect()
        await socket.disconnect()
        return result

    connected, _code = async_to_sync(scenario)()
    assert connected is False


def test_wallboard_snapshot_lists_agents_queues_and_live_calls(acme):
    subject = make_agent(acme, state="not_ready", reason="training")
    talker = make_agent(acme)
    live = give_call(acme, talker.agent, state="talking", call_status="talking")
    with tenant_context(acme.tenant):
        general = Queue.objects.get(code="general")
    make_call(acme, status="queued", queue=general, queued_at=timezone.now() - timedelta(seconds=40))
    make_call(acme, status="queued", queue=general, queued_at=timezone.now() - timedelta(seconds=5))
    token = acme.token(acme.user("supervisor"))

    async def scenario():
        socket = _socket(acme, "/ws/wallboard/", token=token)
        await socket.connect()
        snapshot = await socket.receive_json_from(timeout=RECEIVE_TIMEOUT)
        await socket.disconnect()
        return snapshot

    snapshot = async_to_sync(scenario)()
    assert snapshot["tenant"] == "acme"
    assert snapshot["seats"] == 5
    agents = {row["agent_id"]: row for row in snapshot["agents"]}
    row = agents[subject.agent.pk]
    assert (row["state"], row["reason"], row["extension"]) == ("not_ready", "training", subject.seat.extension)
    assert row["name"] == subject.user.get_full_name()
    assert row["since"].endswith("Z")
    queue = next(q for q in snapshot["queues"] if q["queue_id"] == general.pk)
    assert queue["name"] == general.name
    assert queue["waiting"] == 2
    assert 40 <= queue["longest_wait_seconds"] < 3600
    assert {"offered", "answered", "abandoned", "sl_percent", "asa_seconds", "abandon_rate", "handled"} <= set(queue)
    assert [c["call_uid"] for c in snapshot["calls"]] == [live.uid]
    assert snapshot["calls"][0]["agent_id"] == talker.agent.pk


def test_wallboard_still_hears_seat_changes(acme, django_capture_on_commit_callbacks):
    token = acme.token(acme.admin())
    admin_api = acme.api(acme.admin())

    def add_seat():
        with django_capture_on_commit_callbacks(execute=True):
            assert admin_api.post("/api/v1/seats", {"count": 1}, format="json").status_code == 201

    async def scenario():
        socket = _socket(acme, "/ws/wallboard/", token=token)
        await socket.connect()
        await socket.receive_json_from(timeout=RECEIVE_TIMEOUT)
        await sync_to_async(add_seat)()
        message = await socket.receive_json_from(timeout=RECEIVE_TIMEOUT)
        await socket.disconnect()
        return message

    message = async_to_sync(scenario)()
    assert (message["type"], message["seats"]) == ("seats.changed", 6)


def test_wallboard_answers_ping_with_pong(acme):
    token = acme.token(acme.admin())

    async def scenario():
        socket = _socket(acme, "/ws/wallboard/", token=token)
        await socket.connect()
        await socket.receive_json_from(timeout=RECEIVE_TIMEOUT)
        await socket.send_json_to({"type": "ping"})
        reply = await socket.receive_json_from(timeout=RECEIVE_TIMEOUT)
        await socket.disconnect()
        return reply

    assert async_to_sync(scenario)()["type"] == "pong"


# --- the agent desktop ---------------------------------------------------------------------------------


def test_agent_socket_sends_a_snapshot_of_the_agents_own_state(acme):
    subject = make_agent(acme, state="not_ready", reason="break")
    token = acme.token(subject.user)

    async def scenario():
        socket = _socket(acme, "/ws/agent/", token=token)
        connected, _ = await socket.connect()
        snapshot = await socket.receive_json_from(timeout=RECEIVE_TIMEOUT)
        await socket.disconnect()
        return connected, snapshot

    connected, snapshot = async_to_sync(scenario)()
    assert connected
    assert snapshot["type"] == "snapshot"
    assert snapshot["agent"]["agent_id"] == subject.agent.pk
    assert (snapshot["agent"]["state"], snapshot["agent"]["reason"]) == ("not_ready", "break")
    assert snapshot["call"] is None


def test_agent_snapshot_includes_the_current_call(acme):
    subject = make_agent(acme)
    call = give_call(acme, subject.agent, state="talking", call_status="talking")
    token = acme.token(subject.user)

    async def scenario():
        socket = _socket(acme, "/ws/agent/", token=token)
        await socket.connect()
        snapshot = await socket.receive_json_from(timeout=RECEIVE_TIMEOUT)
        await socket.disconnect()
        return snapshot

    snapshot = async_to_sync(scenario)()
    assert snapshot["call"]["call_uid"] == call.uid
    assert snapshot["call"]["caller"] == call.caller
    assert "customer" in snapshot["call"]


def test_agent_snapshot_pops_the_known_customer(acme):
    from apps.crm.models import Customer

    subject = make_agent(acme)
    call = give_call(acme, subject.agent, state="talking", call_status="talking")
    with tenant_context(acme.tenant):
        Customer.objects.create(name="Han Meimei", phones=[call.caller], is_vip=True)
    token = acme.token(subject.user)

    async def scenario():
        socket = _socket(acme, "/ws/agent/", token=token)
        await socket.connect()
        snapshot = await socket.receive_json_from(timeout=RECEIVE_TIMEOUT)
        await socket.disconnect()
        return snapshot

    customer = async_to_sync(scenario)()["call"]["customer"]
    assert (customer["name"], customer["is_vip"]) == ("Han Meimei", True)
    assert customer["last_calls"] == []


def test_agent_state_change_reaches_the_agents_own_socket_only(acme, django_capture_on_commit_callbacks):
    subject = make_agent(acme, state="not_ready", reason="break")
    colleague = make_agent(acme, state="ready")
    own_token, colleague_token = acme.token(subject.user), acme.token(colleague.user)

    async def scenario():
        own = _socket(acme, "/ws/agent/", token=own_token)
        other = _socket(acme, "/ws/agent/", token=colleague_token)
        for socket in (own, other):
            await socket.connect()
            await socket.receive_json_from(timeout=RECEIVE_TIMEOUT)
        await sync_to_async(_api_state_change)(
            acme, subject.user, {"state": "ready"}, django_capture_on_commit_callbacks
        )
        message = await own.receive_json_from(timeout=RECEIVE_TIMEOUT)
        leaked = not await other.receive_nothing(timeout=0.3)
        await own.disconnect()
        await other.disconnect()
        return message, leaked

    message, leaked = async_to_sync(scenario)()
    assert (message["type"], message["agent_id"], message["state"]) == ("agent.state", subject.agent.pk, "ready")
    assert leaked is False


def test_engine_events_for_the_agent_are_forwarded_to_the_desktop(acme):
    subject = make_agent(acme, state="reserved")
    token = acme.token(subject.user)
    offer = {"type": "call.offer", "call_uid": "c-42", "caller": "13800138000", "queue_id": 1, "customer": None}

    async def scenario():
        socket = _socket(acme, "/ws/agent/", token=token)
        await socket.connect()
        await socket.receive_json_from(timeout=RECEIVE_TIMEOUT)
        await sync_to_async(publish)(acme.tenant.schema_name, f"agent.{subject.agent.pk}", offer)
        message = await socket.receive_json_from(timeout=RECEIVE_TIMEOUT)
        await socket.disconnect()
        return message

    message = async_to_sync(scenario)()
    assert message == {**offer, "ts": message["ts"]}


def test_agent_socket_works_with_the_session_cookie(acme):
    subject = make_agent(acme, state="ready")
    client = web_login(acme, subject.user.email)
    cookie = f"sessionid={client.cookies['sessionid'].value}"

    async def scenario():
        socket = _socket(acme, "/ws/agent/", cookie=cookie)
        connected, _ = await socket.connect()
        snapshot = await socket.receive_json_from(timeout=RECEIVE_TIMEOUT) if connected else None
        await socket.disconnect()
        return connected, snapshot

    connected, snapshot = async_to_sync(scenario)()
    assert connected
    assert snapshot["agent"]["agent_id"] == subject.agent.pk


@pytest.mark.parametrize("role", ["supervisor", "tenant_admin"])
def test_agent_socket_is_refused_to_users_without_the_agent_role(acme, role):
    token = acme.token(acme.user(role))

    async def scenario():
        socket = _socket(acme, "/ws/agent/", token=token)
        result = await socket.connect()
        await socket.disconnect()
        return result

    assert async_to_sync(scenario)() == (False, 4403)


def test_agent_socket_refuses_anonymous_and_outsiders(acme, globex):
    outsider = make_agent(globex, state="ready")
    outsider_token = globex.token(outsider.user)

    async def scenario():
        results = []
        for token in (None, outsider_token):
            socket = _socket(acme, "/ws/agent/", token=token)
            results.append((await socket.connect())[0])
            await socket.disconnect()
        return results

    assert async_to_sync(scenario)() == [False, False]
