"""docs/realtime.md, apps/telephony/realtime_schema.py and the producers in apps/ name the same
realtime message types.

Producers are read from the source: a dict literal with a dotted ``"type"`` (``call.offer``,
``config.changed`` …, a module constant or either branch of a conditional counts), a dict sent
straight to a socket (``send_json({"type": "snapshot", …})``), and a helper that takes the type as
a parameter (``_agent_action("call.answer", …)`` → ``{"type": kind, …}``). ASGI's own messages
(``http.*``, ``websocket.*``, ``lifespan.*``) are the server protocol, not ours. That the payloads
match the schemas is tests/telephony/test_realtime_payloads.py.

The page documents a type for a channel in a table whose first column is ``type`` (or in a
``### `type` `` heading) under the channel's section: ``/ws/agent/``, ``/ws/wallboard/``, the
engine's inbox, the channel-layer plumbing. A table row's payload column must also name the
fields the schema requires, and only fields the schema knows.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from apps.telephony.realtime_schema import CHANNELS
from tests.core.source_walk import (
    ROOT,
    Module,
    call_name,
    calls_of,
    functions,
    module_constants,
    modules,
    parameter_position,
    passed,
    strings,
)

REALTIME_DOC = ROOT / "docs" / "realtime.md"
DOTTED = re.compile(r"^[a-z][a-z_]*\.[a-z_]+$")
WEBHOOKS = "apps/webhooks/"
ASGI = ("http.", "websocket.", "lifespan.")
SECTIONS = {
    "/ws/agent/": "agent",
    "/ws/wallboard/": "wallboard",
    "/ws/notifications/": "notifications",
    "engine's inbox": "engine",
    "plumbing": "plumbing",
}


def _type_value(node: ast.Dict) -> ast.expr | None:
    for key, value in zip(node.keys, node.values, strict=True):
        if isinstance(key, ast.Constant) and key.value == "type":
            return value
    return None


def produced_types(*extra: Path) -> dict[str, set[str]]:
    """type → the modules that build a message of that type."""
    # Outgoing webhooks build HTTP deliveries with a "type" too (webhook.test, call.ended…): they
    # are documented with their JSON Schemas in docs/webhooks.md, not as realtime messages.
    mods = [module for module in modules(*extra) if not module.name.startswith(WEBHOOKS)]
    constants = module_constants(mods)
    found: dict[str, set[str]] = {}
    factories: list[tuple[Module, str, tuple[int | None, str]]] = []

    def add(values: set[str], where: str, sent: bool = False) -> None:
        for value in values:
            if (DOTTED.match(value) or sent) and not value.startswith(ASGI):
                found.setdefault(value, set()).add(where)

    for module in mods:
        sent_directly = {
            id(node.args[0])
            for node in ast.walk(module.tree)
            if isinstance(node, ast.Call) and call_name(node) == "send_json" and node.args
        }
        for node in ast.walk(module.tree):
            if isinstance(node, ast.Dict) and (value := _type_value(node)) is not None:
                values = strings(value, constants)
                if values is not None:
                    add(values, module.name, sent=id(node) in sent_directly)
        for function in functions(module.tree):
            for node in ast.walk(function):
                if isinstance(node, ast.Dict) and isinstance(value := _type_value(node), ast.Name):
                    position = parameter_position(function, value.id)
                    if position is not None:
                        factories.append((module, function.name, position))
    for home, name, position in factories:
        for module, call in calls_of(mods, home, name):
            values = strings(passed(call, position), constants)
            if values is not None:
                add(values, module.name)
    return found


def documented_types(path: Path = REALTIME_DOC) -> dict[str, set[str]]:
    """channel → the types the page documents for it."""
    return {channel: set(types) for channel, types in documented_payloads(path).items()}


def _outside_parentheses(text: str) -> str:
    """The text without its parenthesised remarks (value lists, notes), nested ones included."""
    kept, depth = [], 0
    for character in text:
        depth += character == "("
        if depth == 0:
            kept.append(character)
        depth -= character == ")" and depth > 0
    return "".join(kept)


def documented_payloads(path: Path = REALTIME_DOC) -> dict[str, dict[str, set[str] | None]]:
    """channel → type → the payload fields its table row names (None: documented by a heading)."""
    documented: dict[str, dict[str, set[str] | None]] = {channel: {} for channel in set(SECTIONS.values())}
    channel: str | None = None
    in_type_table = False
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            channel = next((name for marker, name in SECTIONS.items() if marker in line), None)
            in_type_table = False
            continue
        if channel is None:
            continue
        heading = re.fullmatch(r"###+ `([a-z_.]+)`", line.strip())
        if heading:
            documented[channel].setdefault(heading.group(1), None)
            continue
        if not line.startswith("|"):
            in_type_table = False
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if cells[0].lower() == "type":
            in_type_table = True
        elif in_type_table and not set(line) <= set("|- "):
            fields = set(re.findall(r"`([a-z_0-9]+)`", _outside_parentheses(cells[1]))) if len(cells) > 1 else set()
            for kind in re.findall(r"`([a-z_.]+)`", cells[0]):
                documented[channel][kind] = fields
    return documented


def test_the_walk_sees_each_kind_of_producer():
    """If the reading broke, the sets below would agree trivially: prove it finds each shape."""
    produced = produced_types()
    assert "call.offer" in produced  # a dict literal (the engine's store)
    assert "call.consult_ended" in produced  # a branch of a conditional type
    assert "call.answer" in produced  # passed to a helper that builds the message
    assert "engine.stop" in produced  # a module constant
    assert {"snapshot", "pong"} <= set(produced)  # sent straight to the socket
    assert "websocket.close" not in produced and "date" not in produced  # ASGI; a form widget's type


def test_every_type_produced_has_a_schema_and_every_schema_a_producer():
    produced = set(produced_types())
    with_schema = {kind for schemas in CHANNELS.values() for kind in schemas}
    assert sorted(produced - with_schema) == [], "add a schema to apps/telephony/realtime_schema.py"
    assert sorted(with_schema - produced) == [], "no code sends these any more: drop their schema and docs"


def test_docs_name_the_fields_of_each_payload_as_the_schema_does():
    """A table row's payload column names every field the message always carries, and no field
    the message cannot carry (remarks in parentheses, such as value lists, are not fields)."""
    problems = []
    for channel, payloads in documented_payloads().items():
        for kind, fields in payloads.items():
            schema = CHANNELS[channel].get(kind)
            if fields is None or schema is None:
                continue
            required = set(schema["required"]) - {"type", "ts"}
            if missing := sorted(required - fields):
                problems.append(f"{channel} {kind}: the docs do not name {missing}")
            if unknown := sorted(fields - set(schema["properties"])):
                problems.append(f"{channel} {kind}: the schema has no {unknown}")
    assert problems == [], "\n".join(problems)


def test_docs_list_every_type_of_each_channel_and_no_other():
    documented = documented_types()
    for channel, schemas in CHANNELS.items():
        assert sorted(set(schemas) - documented[channel]) == [], f"document these on {channel} in docs/realtime.md"
        assert sorted(documented[channel] - set(schemas)) == [], f"docs/realtime.md lists these on {channel}"


NEW_MESSAGES = """
from apps.core.events import publish_on_commit

KIND = "queue.paused"


def _tell(kind: str, queue_id: int) -> None:
    publish_on_commit("wallboard", {"type": kind, "queue_id": queue_id})


def service(queue_id: int) -> None:
    publish_on_commit("wallboard", {"type": "queue.renamed", "queue_id": queue_id})
    publish_on_commit("wallboard", {"type": KIND, "queue_id": queue_id})
    _tell("queue.resumed", queue_id)
"""


def test_a_new_message_type_without_schema_or_docs_fails(tmp_path):
    """What a change adding message types without a schema or docs looks like to the tests above."""
    module = tmp_path / "new_messages.py"
    module.write_text(NEW_MESSAGES, encoding="utf-8")
    new = {"queue.renamed", "queue.paused", "queue.resumed"}
    assert new <= set(produced_types(module))
    with_schema = {kind for schemas in CHANNELS.values() for kind in schemas}
    documented = set().union(*documented_types().values())
    assert new.isdisjoint(with_schema | documented)
