"""A wall screen's socket carries no personal data (issue 12, item 8 leftover): the TV page draws
no calls, and its feed may not carry callers' or callees' numbers or customers' names either —
the supervisors' board keeps them. Types and the other fields are those of the supervisors'
socket, so the realtime schema (apps/telephony/realtime_schema.py) holds for both."""

from __future__ import annotations

import jsonschema
import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator
from django_tenants.utils import tenant_context

from apps.core.events import publish
from apps.telephony.consumers import WallboardScreenConsumer
from apps.telephony.realtime_schema import schema_for
from apps.telephony.selectors.wallboard import screen_safe
from apps.telephony.services.wallboard_tokens import wallboard_token_issue
from config.asgi import application
from tests.conftest import TenantWorld
from tests.telephony.agent_helpers import give_call, make_agent

TIMEOUT = 5
CALLER, CALLEE = "13800138000", "4008001000"


@pytest.fixture(autouse=True)
def _keep_the_test_connection(monkeypatch):
    """As in test_realtime_agents.py: channels would close the connection holding the test's transaction."""
    monkeypatch.setattr("channels.db.close_old_connections", lambda: None)


def _socket(world: TenantWorld, path: str) -> WebsocketCommunicator:
    headers = [(b"host", world.host.encode()), (b"origin", f"http://{world.host}".encode())]
    return WebsocketCommunicator(application, path, headers=headers)


def _valid(message: dict) -> None:
    jsonschema.Draft202012Validator(schema_for("wallboard", message["type"])).validate(message)


def test_the_tv_socket_gets_the_board_without_the_parties_numbers(acme):
    subject = make_agent(acme)
    call = give_call(acme, subject.agent, state="talking", call_status="talking")
    with tenant_context(acme.tenant):
        screen = wallboard_token_issue(actor=acme.user("supervisor"), name="Room A", days=30)
    supervisor_token = acme.token(acme.user("supervisor"))
    event = {
        "type": "call.state",
        "call_uid": call.uid,
        "status": "hold",
        "queue_id": None,
        "agent_id": subject.agent.pk,
        "direction": "inbound",
        "caller": CALLER,
        "callee": CALLEE,
    }

    async def scenario():
        board = _socket(acme, f"/ws/wallboard/?token={supervisor_token}")
        tv = _socket(acme, f"/ws/wallboard/tv/?token={screen.raw}")
        assert (await board.connect(timeout=TIMEOUT))[0] and (await tv.connect(timeout=TIMEOUT))[0]
        snapshots = [await board.receive_json_from(timeout=TIMEOUT), await tv.receive_json_from(timeout=TIMEOUT)]
        await sync_to_async(publish)(acme.tenant.schema_name, "wallboard", event)
        events = [await board.receive_json_from(timeout=TIMEOUT), await tv.receive_json_from(timeout=TIMEOUT)]
        await board.disconnect()
        await tv.disconnect()
        return snapshots, events

    (board_snapshot, tv_snapshot), (board_event, tv_event) = async_to_sync(scenario)()

    board_call = next(row for row in board_snapshot["calls"] if row["call_uid"] == call.uid)
    tv_call = next(row for row in tv_snapshot["calls"] if row["call_uid"] == call.uid)
    assert (board_call["caller"], board_call["callee"]) == (CALLER, CALLEE)
    assert (tv_call["caller"], tv_call["callee"]) == ("", "")
    assert {key: value for key, value in tv_call.items() if key not in ("caller", "callee")} == {
        key: value for key, value in board_call.items() if key not in ("caller", "callee")
    }
    assert (board_event["caller"], board_event["callee"]) == (CALLER, CALLEE)
    assert tv_event["type"] == "call.state" and tv_event["status"] == "hold"
    assert (tv_event["caller"], tv_event["callee"]) == ("", "")
    assert CALLER not in str(tv_snapshot) + str(tv_event) and CALLEE not in str(tv_snapshot) + str(tv_event)
    for message in (tv_snapshot, tv_event, board_snapshot, board_event):
        _valid(message)


def test_screen_safe_keeps_types_and_other_fields_and_drops_names_of_customers():
    message = {
        "type": "call.state",
        "ts": "2026-03-02T09:15:04.123Z",
        "call_uid": "c1",
        "caller": CALLER,
        "callee": CALLEE,
        "customer": {"name": "Li Lei"},
        "agent_id": 3,
    }

    assert screen_safe(message) == {
        "type": "call.state",
        "ts": "2026-03-02T09:15:04.123Z",
        "call_uid": "c1",
        "caller": "",
        "callee": "",
        "agent_id": 3,
    }
    assert screen_safe({"type": "seats.changed", "seats": 4}) == {"type": "seats.changed", "seats": 4}


def test_the_tv_socket_never_takes_the_hubs_pre_framed_path():
    # Under daphne the hub writes the supervisors' bytes straight to a socket's wire, skipping
    # ``send`` (and so the filter): a wall screen's socket must never offer one.
    tv = WallboardScreenConsumer()
    tv.wire = object()

    assert tv.wire is None
