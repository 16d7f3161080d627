"""A dead call frees its trunk channel: Kamailio's in-dialog keep-alives (dialog module).

The engine answers a carrier call and then vanishes without a BYE (its socket closed, as in a
crash). Kamailio's OPTIONS to the engine go unanswered, so it ends the dialog: a BYE to the
carrier and the trunk's channel counter back to zero. The shortest interval Kamailio allows
(30 s) makes this the slowest SIP test, about 45 s.
"""

from __future__ import annotations

import asyncio
import shutil
import time

import pytest
from django.db import connection

from apps.telephony.engine.drivers.sip import SipDriver, SipStack
from tests.sip import driver_scenarios, scenarios
from tests.sip.conftest import TRUNK_ADDRESS, running_plane
from tests.sip.harness import free_port, start
from tests.sip.test_driver import _wait
from tests.sip.test_outbound import Events

pytestmark = pytest.mark.django_db(transaction=False)


@pytest.fixture(scope="module")
def plane(sip_world, tmp_path_factory):
    with running_plane(
        tmp_path_factory.mktemp("sipka"), engine_stand_in=False, keepalive_seconds=30, keepalive_failures=1
    ) as running:
        yield running


def test_a_call_whose_engine_died_is_ended_and_its_channel_freed(plane, sip_world):
    world = sip_world
    profile = f"{world.a.tenant.schema_name}:{world.a.trunk_id}"
    scenario = scenarios.write(
        plane.directory,
        "ka-carrier",
        driver_scenarios.carrier(digit="1", before_digit_ms=200, after_digit_ms=0, hangs_up=False),
    )
    command = [shutil.which("sipp") or "sipp", f"127.0.0.1:{plane.sip_port}", "-sf", str(scenario)]
    command += ["-i", TRUNK_ADDRESS, "-p", str(free_port()), "-mp", str(free_port()), "-m", "1", "-nostdin"]
    command += ["-aa", "-timeout", "120s", "-timeout_error", "-trace_msg", "-trace_err"]
    command += ["-key", "did", world.a.number, "-key", "caller", "13900000055"]

    async def scenario_body():
        stack = SipStack(
            address="127.0.0.1",
            port=plane.engine_port,
            proxy=("127.0.0.1", plane.sip_port),
            ng=("127.0.0.1", plane.ng_port),
            platform_domain=world.a.domain.split(".", 1)[1],
            prompts_dir=plane.directory / "prompts",
            recording_dir=plane.directory / "recordings",
        )
        await stack.start()
        driver = SipDriver(stack, schema=world.a.tenant.schema_name, slug=world.a.slug)
        events = Events()
        driver.set_listener(events)
        carrier = start("ka-carrier", command, plane.directory)
        plane.processes[carrier.name] = carrier
        await _wait(lambda: events.events and events.events[0][0] == "on_arrived", "the call")
        uid = events.events[0][1][0].uid
        driver.answer(uid)
        await _wait(lambda: driver.calls[uid].caller.confirmed, "the answer")
        await asyncio.sleep(1.0)  # the carrier's ACK
        assert plane.trunk_calls(profile) == 1
        stack.close()  # the engine dies: no BYE, nothing answers on its port any more
        died = time.monotonic()
        await _wait(lambda: carrier.popen.poll() is not None, "Kamailio to end the dead call", 75)
        return carrier, time.monotonic() - died

    try:
        carrier, seconds = asyncio.run(scenario_body())
    finally:
        connection.set_schema_to_public()
    assert carrier.popen.returncode == 0, carrier.tail()  # it received a BYE and answered it
    assert "BYE sip:" in plane.received("ka-carrier")
    assert plane.trunk_calls(profile) == 0  # the channel is free again
    print(f"dead call ended {seconds:.1f} s after the engine died")
