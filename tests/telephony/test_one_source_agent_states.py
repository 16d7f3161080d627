"""One agent-state definition: :mod:`apps.telephony.agent_states`.

The engine, the database choices, the dialer and the services all read the states and the
transition table from there. These tests prove every user sees the same set of states, that
the engine only makes changes the table allows it, that the engine and the services accept
and refuse people's changes alike, and that the domain packages (``acd``, ``ivr``, ``dialer``)
take the states from the one definition rather than from the engine.
"""

from __future__ import annotations

import ast
import itertools
from pathlib import Path

import pytest
from django_tenants.utils import tenant_context

from apps.core.errors import ApplicationError
from apps.telephony import agent_states
from apps.telephony.choices import AgentState
from apps.telephony.dialer import campaign as dialer_campaign
from apps.telephony.engine import state as engine_state
from apps.telephony.engine.clock import VirtualClock
from apps.telephony.engine.config import AgentSettings, NumberSettings, QueueSettings
from apps.telephony.engine.drivers.sim import CallerBehaviour, Duration, SimDriver, SimNumber
from apps.telephony.models import Agent, Seat
from apps.telephony.services.agent_state import agent_set_state
from tests.recording_store import RecordingStore
from tests.telephony.agent_helpers import make_agent
from tests.telephony.harness import make_controller

NAMES = ("OFFLINE", "READY", "NOT_READY", "RESERVED", "TALKING", "HOLD", "WRAP_UP")
PEOPLE = (agent_states.AGENT, agent_states.SUPERVISOR)
TELEPHONY = Path(agent_states.__file__).parent


def test_the_one_definition_lists_every_state_once():
    assert tuple(getattr(agent_states, name) for name in NAMES) == agent_states.STATES
    assert len(set(agent_states.STATES)) == len(agent_states.STATES)


def test_the_engine_names_are_the_one_definitions_constants():
    for name in NAMES:
        assert getattr(engine_state, f"A_{name}") == getattr(agent_states, name)
    assert engine_state.REASON_MISSED == agent_states.REASON_MISSED


def test_the_database_choices_are_the_same_states_with_labels():
    assert tuple(AgentState.values) == agent_states.STATES
    for name in NAMES:
        assert getattr(AgentState, name).value == getattr(agent_states, name)
        assert str(getattr(AgentState, name).label)


def test_the_dialer_reads_the_states_from_the_one_definition():
    for name in ("READY", "RESERVED", "TALKING", "HOLD", "WRAP_UP"):
        assert getattr(dialer_campaign, f"A_{name}") == getattr(agent_states, name)
    assert dialer_campaign.QUEUED == engine_state.QUEUED  # a call status, kept equal by this test


def _runtime_imports(path: Path) -> set[str]:
    """Modules ``path`` imports when it runs (``if TYPE_CHECKING:`` blocks are types only)."""
    tree = ast.parse(path.read_text())
    type_only = {
        id(node)
        for block in ast.walk(tree)
        if isinstance(block, ast.If) and "TYPE_CHECKING" in ast.unparse(block.test)
        for statement in block.body
        for node in ast.walk(statement)
    }
    found = set()
    for node in ast.walk(tree):
        if id(node) in type_only:
            continue
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


@pytest.mark.parametrize("path", sorted((TELEPHONY / "acd").glob("*.py")) + [TELEPHONY / "dialer" / "campaign.py"])
def test_domain_modules_do_not_import_the_engine_models_or_services(path):
    forbidden = ("apps.telephony.engine", "apps.telephony.models", "apps.telephony.services")
    assert not [module for module in _runtime_imports(path) if module.startswith(forbidden)]


# --- the engine ----------------------------------------------------------------------------------

QUEUE = 1
NUMBER = SimNumber(number_id=1, number="4008001000", trunk_id=1)
HUMAN = 21


def _engine(*, wrapup=10):
    clock = VirtualClock()
    driver = SimDriver(clock, seed=3, caller=CallerBehaviour(talk_with_human=Duration(600, "fixed")))
    driver.set_trunk(1, None)
    store = RecordingStore(clock)
    controller = make_controller(
        clock=clock,
        driver=driver,
        store=store,
        queues=[QueueSettings(queue_id=QUEUE, name="Support", wrapup_seconds=wrapup, ring_timeout_seconds=15)],
        numbers=[NumberSettings(number_id=1, number=NUMBER.number, trunk_id=1, queue_id=QUEUE)],
    )
    driver.set_number(NUMBER)
    return clock, driver, controller, store


def _engine_agent_in(state: str):
    """An engine whose human agent is in ``state`` (reached the way call control reaches it)."""
    clock, driver, controller, store = _engine()
    if state in (agent_states.OFFLINE, agent_states.NOT_READY):
        controller.set_agent(AgentSettings(agent_id=HUMAN, state=state, reason=agent_states.REASON_MISSED))
        return controller
    controller.set_agent(AgentSettings(agent_id=HUMAN), ready=True)
    if state == agent_states.READY:
        return controller
    uid = driver.inject(NUMBER, caller="13800000001")
    clock.run_until(1)
    if state != agent_states.RESERVED:
        controller.handle_message({"type": "call.answer", "agent_id": HUMAN, "call_uid": uid})
        clock.run_until(2)
    if state == agent_states.HOLD:
        controller.handle_message({"type": "call.hold", "agent_id": HUMAN, "call_uid": uid})
        clock.run_until(3)
    if state == agent_states.WRAP_UP:
        controller.handle_message({"type": "call.hangup", "agent_id": HUMAN, "call_uid": uid})
        clock.run_until(3)
    assert controller.agent(HUMAN).state == state
    return controller


def test_every_change_the_engine_makes_is_one_the_table_allows_the_engine():
    clock, driver, controller, store = _engine()
    controller.set_agent(AgentSettings(agent_id=HUMAN), ready=True)
    controller.set_agent(AgentSettings(agent_id=HUMAN + 1), ready=True)
    first = driver.inject(NUMBER, caller="13800000001")
    clock.run_until(20)  # RONA on the first agent offered, the other rings
    ringing = controller.calls[first].ringing[0]
    controller.handle_message({"type": "call.answer", "agent_id": ringing, "call_uid": first})
    clock.run_until(21)
    controller.handle_message({"type": "call.hold", "agent_id": ringing, "call_uid": first})
    clock.run_until(22)
    controller.handle_message({"type": "call.resume", "agent_id": ringing, "call_uid": first})
    clock.run_until(23)
    controller.handle_message({"type": "call.hangup", "agent_id": ringing, "call_uid": first})
    clock.run_until(40)  # wrap-up times out
    controller.agent_dial(ringing, "13800000002")
    clock.run_until(80)
    pairs = [(previous, state) for _at, _agent, previous, state, _reason in store.transitions]
    assert len(pairs) >= 8
    refused = [pair for pair in pairs if not agent_states.is_allowed(*pair, agent_states.ENGINE)]
    assert not refused


@pytest.mark.parametrize(
    ("current", "target"),
    [(a, b) for a, b in itertools.product(agent_states.STATES, agent_states.REQUESTABLE) if a != b],
)
def test_the_engine_applies_a_persons_change_as_the_table_says(current, target):
    controller = _engine_agent_in(current)
    controller.agent_state_changed(HUMAN, target, agent_states.REASON_MISSED)
    applied = controller.agent(HUMAN).state == target
    people_may = any(agent_states.is_allowed(current, target, source) for source in PEOPLE)
    if people_may:
        assert applied
    elif applied:
        # Only the engine moves a ringing agent to NotReady (a missed offer): the services refuse it
        # to people; the engine, told anyway, withdraws the offer rather than strand the caller.
        assert (current, target) == (agent_states.RESERVED, agent_states.NOT_READY)
    # Otherwise (a live call, or a state only call control leaves) the engine ignores it, as the
    # table refuses it to people.


# --- the services --------------------------------------------------------------------------------


@pytest.mark.parametrize("source", agent_states.SOURCES)
def test_the_services_accept_exactly_the_tables_changes(acme, source):
    subject = make_agent(acme, state=agent_states.OFFLINE)
    with tenant_context(acme.tenant):
        seat = Seat.objects.get(pk=subject.seat.pk)
        for current, target in itertools.product(agent_states.STATES, agent_states.STATES):
            if current == target:
                continue
            Agent.objects.filter(pk=subject.agent.pk).update(state=current, seat=seat, reason=None, current_call=None)
            agent = Agent.objects.get(pk=subject.agent.pk)
            reason = agent_states.REASON_MISSED if source == agent_states.ENGINE else "break"
            try:
                agent_set_state(agent=agent, state=target, reason_code=reason, source=source)
                accepted = True
            except ApplicationError as error:
                assert error.code == "invalid_transition", error.code
                accepted = False
            assert accepted is agent_states.is_allowed(current, target, source), (current, target, source)
