"""Real SIP-plane processes on loopback for the tests: Kamailio, rtpengine, the routing endpoint
and sipp as phones, carriers and the engine's stand-in.

Every port is asked of the kernel (port 0), so xdist workers and concurrent runs never collide.
The tenants the processes see must be committed (Kamailio and the routing endpoint have their
own database connections), so a module-scoped fixture provisions two tenants through the real
sign-up service and drops them afterwards, like the browser tests do. Processes are started in
their own process group and killed in the fixtures' teardown, whatever happened.

Missing binaries: under CI (CI set) the tests fail; elsewhere they are skipped with the reason.
Starting the processes is ``tests/sip/harness.py``, shared with bench/sip_load.py; the
fixtures and the sipp runs of the tests are here.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django_tenants.utils import schema_context, tenant_context

from tests.conftest import PASSWORD
from tests.sip import scenarios
from tests.sip.harness import (
    BINARIES,
    Process,
    database_url,
    free_port,
    render_plane,
    start,
    start_plane,
)

TRUNK_ADDRESS = "127.0.0.3"  # the carrier; seats use 127.0.0.1, strangers 127.0.0.2
STRANGER_ADDRESS = "127.0.0.2"
ROOT = Path(settings.BASE_DIR)


def require_binaries() -> None:
    missing = [name for name in BINARIES if shutil.which(name) is None]
    if not missing:
        return
    reason = (
        f"SIP plane binaries missing: {', '.join(missing)} "
        "(Debian: kamailio, kamailio-postgres-modules, rtpengine-daemon, sip-tester; see docs/sip.md)"
    )
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


# --- committed tenants -----------------------------------------------------------------------


@dataclass
class SipTenant:
    tenant: object
    domain: str
    number: str
    trunk_id: int
    secrets: dict[str, str] = field(default_factory=dict)

    @property
    def slug(self) -> str:
        return self.tenant.slug


@dataclass
class SipWorld:
    a: SipTenant
    b: SipTenant


def _provision(slug: str) -> SipTenant:
    from apps.telephony.models import PhoneNumber, Seat
    from apps.telephony.services import seat_reset_secret
    from apps.telephony.services.seat_credentials import seat_set_registration_mode
    from apps.tenants.services.provisioning import tenant_provision

    result = tenant_provision(
        company=f"{slug.title()} SIP",
        slug=slug,
        admin_email=f"admin@{slug}.test",
        admin_password=PASSWORD,
        seats=3,
        plan="standard",
    )
    tenant = result.tenant
    assert result.number, "the test database's number pool is empty"
    with tenant_context(tenant):
        # sipp plays desk phones, which register with the seat secret (a browser seat: test_webrtc's desk).
        for seat in Seat.objects.all():
            seat_set_registration_mode(seat=seat, mode="desk_phone")
        secrets = {seat.extension: seat_reset_secret(tenant=tenant, seat=seat).secret for seat in Seat.objects.all()}
        trunk_id = PhoneNumber.objects.get(number=result.number).trunk_id
    return SipTenant(tenant=tenant, domain=result.domain, number=result.number, trunk_id=trunk_id, secrets=secrets)


def _drop(tenant) -> None:
    from apps.tenants.choices import PoolNumberStatus
    from apps.tenants.models import PoolNumber

    with schema_context("public"):
        PoolNumber.objects.filter(tenant=tenant).update(
            status=PoolNumberStatus.AVAILABLE, tenant=None, assigned_at=None
        )
        tenant.delete(force_drop=True)


@pytest.fixture(scope="module")
def sip_world(django_db_setup, django_db_blocker) -> Iterator[SipWorld]:
    """Two committed tenants; A's trunk trusts the carrier address and carries one channel."""
    require_binaries()
    from apps.sip.services import trunk_address_add
    from apps.telephony.models import Trunk

    suffix = uuid.uuid4().hex[:6]
    created = []
    with django_db_blocker.unblock():
        try:
            a = _provision(f"sipa{suffix}")
            created.append(a.tenant)
            b = _provision(f"sipb{suffix}")
            created.append(b.tenant)
            trunk_address_add(tenant=a.tenant, trunk_id=a.trunk_id, address=TRUNK_ADDRESS)
            with tenant_context(a.tenant):
                Trunk.objects.filter(pk=a.trunk_id).update(channels=1)
            connection.set_schema_to_public()
            yield SipWorld(a=a, b=b)
        finally:
            connection.set_schema_to_public()
            for tenant in created:
                _drop(tenant)


@pytest.fixture(scope="module")
def db_agent(sip_world, django_db_blocker):
    """Committed rows the engine service loads: a queue, the number routed to it (no IVR), a Ready
    agent on the first seat (the service reads them from its own connections)."""
    from apps.accounts.choices import Role
    from apps.accounts.models import User
    from apps.telephony import agent_states
    from apps.telephony.models import Agent, PhoneNumber, Queue, Seat

    tenant = sip_world.a.tenant
    with django_db_blocker.unblock(), tenant_context(tenant):
        queue = Queue.objects.create(code="sipq", name="SIP queue", wrapup_seconds=0, ring_timeout_seconds=10)
        # Straight to the queue: the demo IVR's opening hours would depend on the time of day.
        PhoneNumber.objects.filter(number=sip_world.a.number).update(queue=queue, ivr_flow=None)
        user = User.objects.create_user(
            f"sipagent@{tenant.slug}.test", "x-Secret-12345", name="SIP agent", roles=[Role.AGENT]
        )
        seat = Seat.objects.order_by("extension").first()
        agent = Agent.objects.create(user=user, seat=seat, state=agent_states.READY)
    connection.set_schema_to_public()
    return agent, seat.extension, queue


# --- processes ---------------------------------------------------------------------------------


@dataclass
class SipPlaneUnderTest:
    directory: Path
    sip_port: int
    routing_port: int
    engine_port: int
    control_socket: Path
    processes: dict[str, Process]
    rtp_range: tuple[int, int] = (0, 0)
    plane: object = None

    def sipp(
        self,
        scenario: str,
        *,
        name: str,
        source: str = "127.0.0.1",
        keys: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        calls: int = 1,
        timeout: int = 15,
        background: bool = False,
    ) -> SippRun:
        path = scenarios.write(self.directory, name, scenario)
        command = [
            shutil.which("sipp") or "sipp",
            f"127.0.0.1:{self.sip_port}",
            "-sf",
            str(path),
            "-m",
            str(calls),
            "-i",
            source,
            "-p",
            str(free_port()),
            "-nostdin",
            "-timeout",
            f"{timeout}s",
            "-timeout_error",
            "-trace_err",
            "-trace_rtt",
            "-rtt_freq",
            "1",
            "-trace_msg",
        ]
        for key, value in (keys or {}).items():
            command += ["-key", key, value]
        if auth:
            command += ["-au", auth[0], "-ap", auth[1]]
        run = SippRun(name=name, directory=self.directory, popen=None)
        run.popen = subprocess.Popen(  # noqa: S603
            command,
            cwd=self.directory,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        if not background:
            run.wait()
        return run

    def answering_phone(self, *, name: str, port: int) -> Process:
        """A desk phone that answers every call on ``port`` (its registered contact)."""
        path = scenarios.write(self.directory, name, scenarios.engine())
        process = start(
            name,
            [
                shutil.which("sipp") or "sipp",
                "-sf",
                str(path),
                "-i",
                "127.0.0.1",
                "-p",
                str(port),
                "-nostdin",
                "-trace_msg",
            ],
            self.directory,
        )
        self.processes[name] = process
        return process

    def received(self, name: str) -> str:
        """Everything sipp ``name`` logged with -trace_msg."""
        return "\n".join(path.read_text(errors="replace") for path in self.directory.glob(f"{name}_*_messages.log"))

    def kamcmd(self, *args: str) -> str:
        result = subprocess.run(  # noqa: S603
            [shutil.which("kamcmd") or "kamcmd", "-s", f"unix:{self.control_socket}", *args],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
        return result.stdout

    def trunk_calls(self, profile: str) -> int:
        output = self.kamcmd("dlg.profile_get_size", "trunk", profile).strip()
        return int(output) if output.isdigit() else -1

    def logs(self) -> str:
        return "\n".join(f"--- {name} ---\n{process.tail()}" for name, process in self.processes.items())


@dataclass
class SippRun:
    name: str
    directory: Path
    popen: subprocess.Popen | None
    output: str = ""
    returncode: int | None = None

    def wait(self, timeout: float = 60) -> SippRun:
        try:
            out, _ = self.popen.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, signal.SIGKILL)
            out, _ = self.popen.communicate()
        self.output = (out or b"").decode(errors="replace")
        self.returncode = self.popen.returncode
        return self

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def response_times_ms(self) -> list[float]:
        """INVITE (or REGISTER) → final reply times from sipp's RTT trace."""
        times = []
        for path in self.directory.glob(f"{self.name}_*_rtt.csv"):
            for line in path.read_text().splitlines()[1:]:
                parts = line.split(";")
                if len(parts) >= 2:
                    times.append(float(parts[1]))
        return times

    def sdp_media_ports(self) -> list[int]:
        """Audio ports of the SDP in the 200 OK replies this sipp received."""
        ports = []
        for path in self.directory.glob(f"{self.name}_*_messages.log"):
            for block in path.read_text(errors="replace").split("-----"):
                if "received" in block and "SIP/2.0 200" in block:
                    ports += [int(line.split()[1]) for line in block.splitlines() if line.startswith("m=audio ")]
        return ports

    def explain(self) -> str:
        errors = "\n".join(
            path.read_text(errors="replace")[-1500:] for path in self.directory.glob(f"{self.name}_*_errors.log")
        )
        return f"sipp {self.name} exited {self.returncode}\n{errors}\n{self.output[-1500:]}"


@contextlib.contextmanager
def running_plane(directory: Path, *, engine_stand_in: bool, **overrides) -> Iterator[SipPlaneUnderTest]:
    """Routing endpoint, rtpengine and Kamailio on free loopback ports; with ``engine_stand_in``
    a sipp stand-in answers on the engine's port, otherwise the port is left for a driver under
    test. Every process is stopped on the way out."""
    plane, ports = render_plane(directory, rtp_ports=40, children=2, async_workers=2, **overrides)
    processes: dict[str, Process] = {}
    under_test = SipPlaneUnderTest(
        directory=directory,
        sip_port=ports["sip"],
        routing_port=ports["routing"],
        engine_port=ports["engine"],
        control_socket=plane.control_socket,
        processes=processes,
        rtp_range=(plane.rtp_port_min, plane.rtp_port_max),
        plane=plane,
    )
    under_test.ng_port = ports["ng"]
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.test",
        DATABASE_URL=database_url(connection.settings_dict),
        SIP_ROUTING_SECRET=plane.routing_secret,
        PYTHONPATH=str(ROOT),
    )
    try:
        start_plane(plane, processes, routing_env=env)
        if engine_stand_in:
            engine = scenarios.write(directory, "engine", scenarios.engine())
            processes["engine"] = start(
                "engine",
                ["sipp", "-sf", str(engine), "-i", "127.0.0.1", "-p", str(ports["engine"]), "-nostdin", "-trace_msg"],
                directory,
            )
        yield under_test
    except AssertionError as error:
        raise AssertionError(f"{error}\n{under_test.logs()}") from None
    finally:
        for process in reversed(list(processes.values())):
            process.stop()


@pytest.fixture(scope="module")
def sip_plane(sip_world, tmp_path_factory) -> Iterator[SipPlaneUnderTest]:
    """Routing endpoint, rtpengine, Kamailio and an engine stand-in, on free loopback ports."""
    with running_plane(tmp_path_factory.mktemp("sip"), engine_stand_in=True) as under_test:
        yield under_test
