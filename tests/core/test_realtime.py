"""Websocket tenancy: /ws/wallboard/ resolves the tenant from the Host header, the user from a
token or the session cookie, and never lets one tenant hear another's events.

The tests are sync functions that run an async scenario through ``async_to_sync``: the
consumers' ``database_sync_to_async`` work then runs on this (the main) thread, on the test's
connection, and sees the rows the test created inside its rolled-back transaction.
"""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.db import transaction
from django_tenants.utils import tenant_context

from apps.accounts.models import User
from apps.telephony.models import Seat
from apps.telephony.services import seats_add
from config.asgi import application
from tests.accounts.helpers import web_login

WALLBOARD = "/ws/wallboard/"
TIMEOUT = 3
TS_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}(Z|[+-]\d{2}:\d{2})$")


@pytest.fixture(autouse=True)
def _keep_the_test_connection(monkeypatch):
    """``database_sync_to_async`` closes "old" connections around every call; inside the test's
    transaction that would close the connection holding it. Nothing here needs the closing."""
    monkeypatch.setattr("channels.db.close_old_connections", lambda: None)


def _headers(host: str, *, cookie: str | None = None, origin: str | None = None) -> list[tuple[bytes, bytes]]:
    headers = [(b"host", host.encode()), (b"origin", (origin or f"http://{host}").encode())]
    if cookie:
        headers.append((b"cookie", cookie.encode()))
    return headers


def _socket(host: str, *, token: str | None = None, cookie: str | None = None, origin: str | None = None):
    path = f"{WALLBOARD}?token={token}" if token else WALLBOARD
    return WebsocketCommunicator(application, path, headers=_headers(host, cookie=cookie, origin=origin))


def _connect(host: str, **credentials) -> tuple[bool, object, dict | None]:
    """Open a socket, read the first message if it was accepted, close it."""

    async def scenario():
        communicator = _socket(host, **credentials)
        connected, code = await communicator.connect(timeout=TIMEOUT)
        first = None
        if connected:
            first = await communicator.receive_json_from(timeout=TIMEOUT)
            await communicator.disconnect()
        return connected, code, first

    return async_to_sync(scenario)()


def _session_cookie(world, email: str) -> str:
    client = web_login(world, email)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def _assert_ts(value: str) -> None:
    assert TS_RE.match(value), value
    assert datetime.fromisoformat(value.replace("Z", "+00:00")).tzinfo is not None


# --- who may open the wallboard -----------------------------------------------------------------


def test_unknown_host_is_refused(acme):
    connected, _, _ = _connect("nosuchtenant.localhost", token=acme.token(acme.admin()))

    assert connected is False


def test_public_host_is_refused(acme):
    connected, _, _ = _connect(settings.PLATFORM_DOMAIN, token=acme.token(acme.admin()))

    assert connected is False


def test_foreign_origin_is_refused(acme):
    connected, _, _ = _connect(acme.host, token=acme.token(acme.admin()), origin="http://evil.example")

    assert connected is False


def test_no_credentials_are_refused(acme):
    connected, code, _ = _connect(acme.host)

    assert connected is False
    assert code == 4403


def test_a_garbage_token_is_refused(acme):
    connected, _, _ = _connect(acme.host, token="not-a-token")

    assert connected is False


@pytest.mark.parametrize("role", ["agent", "qa", "trainer", "hr", "billing"])
def test_roles_other_than_supervisor_and_admin_are_refused(acme, role):
    connected, code, _ = _connect(acme.host, token=acme.token(acme.user(role)))

    assert connected is False
    assert code == 4403


def test_an_inactive_users_token_is_refused(acme):
    supervisor = acme.user("supervisor")
    token = acme.token(supervisor)
    with tenant_context(acme.tenant):
        User.objects.filter(pk=supervisor.pk).update(is_active=False)

    connected, _, _ = _connect(acme.host, token=token)

    assert connected is False


def test_token_is_accepted_and_a_snapshot_comes_first(acme):
    connected, _, first = _connect(acme.host, token=acme.token(acme.admin()))

    assert connected is True
    assert {"type", "ts", "tenant", "seats"} <= set(first)
    assert first["type"] == "snapshot"
    assert first["tenant"] == "acme"
    assert first["seats"] == 5
    _assert_ts(first["ts"])


def test_supervisor_is_accepted(acme):
    connected, _, first = _connect(acme.host, token=acme.token(acme.user("supervisor")))

    assert connected is True
    assert first["type"] == "snapshot"


def test_snapshot_sees_the_tests_own_rows(acme):
    with tenant_context(acme.tenant):
        seats_add(tenant=acme.tenant, count=2)

    _, _, first = _connect(acme.host, token=acme.token(acme.admin()))

    assert first["seats"] == 7


def test_session_cookie_is_accepted(acme):
    cookie = _session_cookie(acme, acme.admin_email)

    connected, _, first = _connect(acme.host, cookie=cookie)

    assert connected is True
    assert first["type"] == "snapshot"
    assert first["tenant"] == "acme"


def test_session_cookie_of_an_agent_is_refused(acme):
    agent = acme.user("agent")
    cookie = _session_cookie(acme, agent.email)

    connected, code, _ = _connect(acme.host, cookie=cookie)

    assert connected is False
    assert code == 4403


def test_a_logged_out_session_is_refused(acme):
    client = web_login(acme, acme.admin_email)
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    client.post("/accounts/logout/")

    connected, _, _ = _connect(acme.host, cookie=cookie)

    assert connected is False


# --- another tenant's credentials ---------------------------------------------------------------


def test_globex_token_is_refused_on_acme(acme, globex):
    token = globex.token(globex.admin())
    assert _connect(globex.host, token=token)[0] is True  # the token works at home

    connected, _, _ = _connect(acme.host, token=token)

    assert connected is False


def test_globex_session_is_refused_on_acme(acme, globex):
    cookie = _session_cookie(globex, globex.admin_email)
    assert _connect(globex.host, cookie=cookie)[0] is True  # the session works at home

    connected, _, _ = _connect(acme.host, cookie=cookie)

    assert connected is False


def test_each_host_snapshots_its_own_tenant(acme, globex):
    with tenant_context(globex.tenant):
        seats_add(tenant=globex.tenant, count=3)

    acme_first = _connect(acme.host, token=acme.token(acme.admin()))[2]
    globex_first = _connect(globex.host, token=globex.token(globex.admin()))[2]

    assert (acme_first["tenant"], acme_first["seats"]) == ("acme", 5)
    assert (globex_first["tenant"], globex_first["seats"]) == ("globex", 8)


# --- events -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("changed", "other", "seats_after"), [("acme", "globex", 6), ("globex", "acme", 6)])
def test_two_tenants_sockets_never_see_each_others_events(
    request, django_capture_on_commit_callbacks, changed, other, seats_after
):
    changed_world = request.getfixturevalue(changed)
    other_world = request.getfixturevalue(other)
    changed_token = changed_world.token(changed_world.admin())
    other_token = other_world.token(other_world.admin())

    def add_seat():
        with django_capture_on_commit_callbacks(execute=True) as callbacks, tenant_context(changed_world.tenant):
            seats_add(tenant=changed_world.tenant, count=1)
        return len(callbacks)

    async def scenario():
        changed_socket = _socket(changed_world.host, token=changed_token)
        other_socket = _socket(other_world.host, token=other_token)
        assert (await changed_socket.connect(timeout=TIMEOUT))[0]
        assert (await other_socket.connect(timeout=TIMEOUT))[0]
        changed_snapshot = await changed_socket.receive_json_from(timeout=TIMEOUT)
        other_snapshot = await other_socket.receive_json_from(timeout=TIMEOUT)

        callbacks = await sync_to_async(add_seat)()
        event = await changed_socket.receive_json_from(timeout=TIMEOUT)
        other_heard_nothing = await other_socket.receive_nothing(timeout=0.5)

        await changed_socket.disconnect()
        await other_socket.disconnect()
        return changed_snapshot, other_snapshot, callbacks, event, other_heard_nothing

    changed_snapshot, other_snapshot, callbacks, event, other_heard_nothing = async_to_sync(scenario)()

    assert changed_snapshot["tenant"] == changed
    assert other_snapshot["tenant"] == other
    assert callbacks >= 1
    assert set(event) == {"type", "seats", "ts"}
    assert event["type"] == "seats.changed"
    assert event["seats"] == seats_after
    _assert_ts(event["ts"])
    assert other_heard_nothing is True


class _Abort(Exception):
    pass


def test_a_rolled_back_change_is_never_announced(acme, django_capture_on_commit_callbacks):
    """Events leave on commit only: a seat added inside a transaction that rolls back is not announced."""
    token = acme.token(acme.admin())

    def add_then_roll_back():
        with django_capture_on_commit_callbacks(execute=True) as callbacks, tenant_context(acme.tenant):
            with pytest.raises(_Abort), transaction.atomic():
                seats_add(tenant=acme.tenant, count=1)
                raise _Abort
            seats = Seat.objects.count()
        return len(callbacks), seats

    async def scenario():
        socket = _socket(acme.host, token=token)
        assert (await socket.connect(timeout=TIMEOUT))[0]
        await socket.receive_json_from(timeout=TIMEOUT)
        outcome = await sync_to_async(add_then_roll_back)()
        heard_nothing = await socket.receive_nothing(timeout=0.5)
        await socket.disconnect()
        return outcome, heard_nothing

    (callbacks, seats), heard_nothing = async_to_sync(scenario)()

    assert seats == 5
    assert callbacks == 0
    assert heard_nothing is True


def test_ping_gets_a_pong(acme):
    token = acme.token(acme.admin())

    async def scenario():
        socket = _socket(acme.host, token=token)
        assert (await socket.connect(timeout=TIMEOUT))[0]
        await socket.receive_json_from(timeout=TIMEOUT)
        await socket.send_json_to({"type": "ping"})
        reply = await socket.receive_json_from(timeout=TIMEOUT)
        await socket.disconnect()
        return reply

    reply = async_to_sync(scenario)()

    assert reply["type"] == "pong"
    _assert_ts(reply["ts"])
