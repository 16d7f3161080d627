"""Faults on purpose: the database away for 10 s under simulated traffic, an engine killed by
SIGKILL mid-call.

Each test runs real ``run_engine --driver sim`` processes on the real clock against this run's
test database, for a tenant of its own (``faults``: provisioned for the module, committed,
dropped afterwards). The simulated switch writes its own call log (``--sim-log``), and what the
database holds afterwards is counted against it: every call the switch saw has exactly one CDR,
its timeline has no step twice and none missing, every agent's state history is one unbroken
chain whose calls match the switch's answers. Durations are scaled down (``--sim-scale``) so a
call lasts seconds. The recovery figures are printed (``-s``) and written into docs/operations.md
("Faults"); they are not asserted.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.db import connection
from django_tenants.utils import tenant_context

from tests.committed_tenants import committed_tenant_drop, committed_tenant_provision

pytestmark = pytest.mark.faults

SLUG = "faults"
PASSWORD = "Faults-Pass-2026"
AGENTS = 8
ARRIVALS_PER_HOUR = 3600
SIM_SCALE = "0.05"  # demo talk 140 s → 7 s, patience 150 s → 7.5 s, answer delay 3 s → 0.15 s
WAIT = 60.0  # generous upper bound for anything to happen on a loaded machine (not a timing goal)
OUTAGE_SECONDS = 10.0


def wait_until(predicate: Callable[[], object], timeout: float = WAIT, message: str = "") -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting: {message}")


# --- the tenant ------------------------------------------------------------------------------------


def _provision():
    from apps.accounts.choices import Role
    from apps.accounts.models import User
    from apps.telephony import agent_states
    from apps.telephony.models import Agent, PhoneNumber, Queue
    from apps.telephony.services.agent_state import agent_set_state

    tenant = committed_tenant_provision(SLUG, company="Faults Ltd", password=PASSWORD)
    with tenant_context(tenant):
        queue = Queue.objects.create(code="faults", name="Faults", wrapup_seconds=1, ring_timeout_seconds=20)
        PhoneNumber.objects.update(ivr_flow=None, queue=queue, sim_arrivals_per_hour=ARRIVALS_PER_HOUR)
        for index in range(AGENTS):
            user = User.objects.create_user(
                f"virtual{index}@{SLUG}.test", PASSWORD, name=f"Virtual {index}", roles=[Role.AGENT]
            )
            agent = Agent.objects.create(user=user, is_virtual=True)
            agent_set_state(agent=agent, state=agent_states.READY, source=agent_states.ENGINE)
    return tenant


@pytest.fixture(scope="module")
def faults_tenant(django_db_setup, django_db_blocker) -> Iterator:
    with django_db_blocker.unblock():
        tenant = _provision()
        try:
            yield tenant
        finally:
            connection.close()  # it may have been cut with the others
            committed_tenant_drop(tenant)


def _reset(tenant) -> None:
    """Each test counts from nothing: no calls, no state history, every virtual agent Ready."""
    from apps.telephony import agent_states
    from apps.telephony.models import Agent, AgentStateEvent, Call

    with tenant_context(tenant):
        AgentStateEvent.objects.all().delete()
        Call.objects.all().delete()
        Agent.objects.update(state=agent_states.READY, current_call=None, reason=None)


@pytest.fixture
def database(faults_tenant, django_db_blocker):
    """Database access for the test body (committed, no test transaction: the engines must see it)."""
    with django_db_blocker.unblock():
        _reset(faults_tenant)
        yield faults_tenant
        connection.close()


# --- the engines -----------------------------------------------------------------------------------


def _database_url() -> str:
    params = connection.settings_dict
    return f"postgresql://{params['USER']}:{params['PASSWORD']}@/{params['NAME']}?host={params['HOST']}"


class Engine:
    """One ``run_engine`` process for the tenant, with its switch log and its own output."""

    def __init__(self, name: str, directory: Path, outbox: Path) -> None:
        self.name = name
        self.sim_log = directory / f"{name}.sim.jsonl"
        self.output = directory / f"{name}.log"
        self.outbox = outbox
        self.process: subprocess.Popen | None = None

    def start(self) -> Engine:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "DATABASE_URL": _database_url(),
            "ENGINE_OUTBOX_DIR": str(self.outbox),
            "PYTHONUNBUFFERED": "1",
        }
        command = [
            sys.executable,
            str(Path(settings.BASE_DIR) / "manage.py"),
            "run_engine",
            "--driver",
            "sim",
            "--no-record",
            "--tenant",
            SLUG,
            "--sim-log",
            str(self.sim_log),
            "--sim-scale",
            SIM_SCALE,
        ]
        with self.output.open("ab") as output:
            self.process = subprocess.Popen(  # noqa: S603 - our own command line
                command, env=env, stdout=output, stderr=subprocess.STDOUT, cwd=settings.BASE_DIR
            )
        return self

    def events(self) -> list[dict]:
        if not self.sim_log.exists():
            return []
        entries = []
        for line in self.sim_log.read_text().splitlines():
            with contextlib.suppress(ValueError):  # a line torn by SIGKILL
                entries.append(json.loads(line))
        return entries

    def said(self, text: str) -> bool:
        return self.output.exists() and text in self.output.read_text(errors="replace")

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=WAIT)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=WAIT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise AssertionError(f"engine {self.name} did not stop on SIGTERM:\n{self.output.read_text()}") from None


@pytest.fixture
def engines(tmp_path) -> Iterator[Callable[[str], Engine]]:
    started: list[Engine] = []
    outbox = tmp_path / "outbox"

    def start(name: str) -> Engine:
        engine = Engine(name, tmp_path, outbox).start()
        started.append(engine)
        return engine

    yield start
    for engine in started:
        if engine.process is not None and engine.process.poll() is None:
            engine.process.kill()
            engine.process.wait()


def answered_calls(entries: list[dict]) -> set[str]:
    return {entry["uid"] for entry in entries if entry["event"] == "on_answered" and entry["args"][0] is not None}


def open_calls(entries: list[dict]) -> set[str]:
    """Calls the switch has and the caller has not left: arrived, not hung up."""
    arrived = {entry["uid"] for entry in entries if entry["event"] == "on_arrived"}
    gone = {entry["uid"] for entry in entries if entry["event"] == "on_hung_up"}
    return arrived - gone


# --- counting the database against the switch's log ------------------------------------------------


def check_against_the_switch_log(tenant, entries: list[dict]) -> dict:
    """Every call the switch saw has one CDR, each timeline step once, every agent's history one
    chain whose answers match the switch's. Returns a few counts for the report."""
    from apps.telephony.models import Agent, AgentStateEvent, Call, CallEvent

    arrived = {entry["uid"] for entry in entries if entry["event"] == "on_arrived"}
    refused_by_trunk = {
        entry["uid"] for entry in entries if entry["event"] == "on_failed" and entry["args"][0] == "blocked"
    }
    answers = Counter(
        (entry["uid"], entry["args"][0])
        for entry in entries
        if entry["event"] == "on_answered" and entry["args"][0] is not None
    )
    hung_up = {entry["uid"] for entry in entries if entry["event"] == "on_hung_up"}
    logged = arrived | refused_by_trunk
    with tenant_context(tenant):
        calls = {call.uid: call for call in Call.objects.all()}
        events = list(CallEvent.objects.values_list("call__uid", "kind", "at", "agent_id"))
        history = list(
            AgentStateEvent.objects.filter(agent__is_virtual=True)
            .order_by("agent_id", "at", "id")
            .values_list("agent_id", "from_state", "to_state", "call__uid")
        )
        virtual = set(Agent.objects.filter(is_virtual=True).values_list("pk", flat=True))

    # CDRs: none lost, none made up (the uid is unique, so none twice).
    assert set(calls) == logged, (
        f"missing CDRs: {sorted(logged - set(calls))[:5]}; unknown CDRs: {sorted(set(calls) - logged)[:5]}"
    )
    # Timeline: no step twice.
    duplicates = [key for key, count in Counter(events).items() if count > 1]
    assert duplicates == [], f"timeline steps written twice: {duplicates[:5]}"
    kinds = Counter((uid, kind) for uid, kind, _at, _agent in events)
    for uid in logged:
        assert kinds[(uid, "arrived")] == 1, uid
        assert kinds[(uid, "ended")] <= 1, uid
    for uid in hung_up:
        assert kinds[(uid, "ended")] == 1, f"{uid} hung up on the switch but its CDR has no end"
    answered_by_call = Counter(uid for uid, _agent in answers.elements())
    for uid in logged:
        assert kinds[(uid, "answered")] == answered_by_call[uid], f"{uid}: answers do not match the switch"
    # Agent states: one unbroken chain per agent, one "talking" per answer on the switch.
    previous: dict[int, str] = {}
    talking: Counter = Counter()
    for agent_id, from_state, to_state, _uid in history:
        if agent_id in previous:
            assert from_state == previous[agent_id], f"agent {agent_id}: a state change lost or written twice"
        previous[agent_id] = to_state
        if from_state == "reserved" and to_state == "talking":  # answered (not back from hold)
            talking[agent_id] += 1
    switch_answers = Counter(agent for _uid, agent in answers.elements() if agent in virtual)
    assert talking == switch_answers
    blocked = {uid for uid, call in calls.items() if call.end_reason == "blocked"}
    return {
        "calls": len(logged),
        "answered": sum(answers.values()),
        "events": len(events),
        "agent_events": len(history),
        "blocked": blocked,
        "cdrs": calls,
    }


# --- the database away for 10 s --------------------------------------------------------------------


@contextlib.contextmanager
def database_away(database_name: str) -> Iterator[None]:
    """Nobody but this test reaches ``database_name``: new connections are refused and every
    open one (the engine's store threads and its lease connection) is cut."""
    params = connection.settings_dict
    own_pid = None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        own_pid = cursor.fetchone()[0]
    with psycopg.connect(
        dbname="postgres",
        user=params["USER"],
        password=params["PASSWORD"] or None,
        host=params["HOST"],
        autocommit=True,
    ) as admin:
        admin.execute(f'ALTER DATABASE "{database_name}" ALLOW_CONNECTIONS false')
        try:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> %s",
                (database_name, own_pid),
            )
            yield
        finally:
            admin.execute(f'ALTER DATABASE "{database_name}" ALLOW_CONNECTIONS true')


def test_database_away_for_10_s_loses_and_duplicates_nothing(database, engines):
    tenant = database
    engine = engines("steady")
    wait_until(lambda: len(answered_calls(engine.events())) >= 5, message="traffic before the outage")

    database_name = connection.settings_dict["NAME"]
    cut = time.time()
    with database_away(database_name):
        time.sleep(OUTAGE_SECONDS)
    back = time.time()

    # Traffic goes on: wait for a call that arrived after the outage and reached an agent.
    def answered_after_back():
        entries = engine.events()
        late = {entry["uid"] for entry in entries if entry["event"] == "on_arrived" and entry["t"] > back}
        return late & answered_calls(entries)

    wait_until(answered_after_back, message="a call answered after the outage")
    time.sleep(2)
    engine.stop()  # SIGTERM: arrivals stop and the store drains

    during = [entry["uid"] for entry in engine.events() if entry["event"] == "on_arrived" and cut <= entry["t"] < back]
    counts = check_against_the_switch_log(tenant, engine.events())
    refused = [uid for uid in during if uid in counts["blocked"]]
    accepted_again = min(
        entry["t"]
        for entry in engine.events()
        if entry["event"] == "on_arrived" and entry["t"] > back and entry["uid"] not in counts["blocked"]
    )
    assert during, "no call arrived during the outage"
    assert refused, "calls arriving while the store could not write were not refused"
    for uid in refused:
        assert counts["cdrs"][uid].ended_at is not None
    log = engine.output.read_text()
    store_back = log.split("writes go through again after ")[1].split(" s")[0] if "go through again" in log else "?"
    print(
        f"\n[faults] database away {back - cut:.1f} s (store refusing calls for {store_back} s): {len(during)} calls arrived meanwhile, "
        f"{len(refused)} refused (busy); calls accepted again {accepted_again - back:.1f} s after the "
        f"database came back; {counts['calls']} calls, {counts['answered']} answers, {counts['events']} timeline "
        f"steps, {counts['agent_events']} agent state changes: none lost, none twice"
    )


# --- an engine killed by SIGKILL -------------------------------------------------------------------


def test_engine_killed_mid_call_is_taken_over_and_its_calls_end_at_the_last_known_time(database, engines):
    from apps.telephony.models import Call, CallEvent

    tenant = database
    first = engines("first")
    wait_until(lambda: first.said("lease taken"), message="the first engine taking the tenant")
    second = engines("second")  # a standby: it must not touch the tenant while the first runs
    wait_until(lambda: second.said("running with the sim driver"), message="the second engine up")
    wait_until(
        lambda: len(open_calls(first.events()) & answered_calls(first.events())) >= 2,
        message="calls in conversation on the first engine",
    )
    time.sleep(1.0)  # let the second engine try its leases a few times
    assert not second.said("lease taken")
    assert second.events() == []

    first.kill()
    killed = time.time()
    entries = first.events()
    in_progress = open_calls(entries)
    talking = in_progress & answered_calls(entries)
    assert talking

    wait_until(lambda: second.said("lease taken"), message="the second engine taking the tenant over")
    wait_until(lambda: second.said(" queues, "), message="the tenant running on the second engine")
    running = time.time()
    wait_until(
        lambda: any(entry["event"] == "on_arrived" for entry in second.events()),
        message="new calls on the second engine",
    )
    time.sleep(2)
    second.stop()

    with tenant_context(tenant):
        rows = {call.uid: call for call in Call.objects.filter(uid__in=in_progress)}
        last_known = {}
        for uid in in_progress:
            steps = list(CallEvent.objects.filter(call__uid=uid).exclude(kind="ended").values_list("at", flat=True))
            last_known[uid] = max(steps)
    assert set(rows) == in_progress
    for uid in in_progress:
        call = rows[uid]
        assert call.ended_at is not None
        assert call.end_reason == "failed"
        assert call.ended_at == last_known[uid], f"{uid} closed at {call.ended_at}, last known {last_known[uid]}"
        assert call.ended_at.timestamp() <= killed
    check_against_the_switch_log(tenant, first.events() + second.events())
    print(
        f"\n[faults] engine SIGKILLed with {len(in_progress)} calls up ({len(talking)} talking): "
        f"the second engine ran the tenant {running - killed:.1f} s later; every open call closed at its "
        f"last known event (talk time ≤ what was known, not the {running - killed:.1f} s of the takeover)"
    )
