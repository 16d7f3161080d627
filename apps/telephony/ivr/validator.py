"""Checks a flow graph before it may be published.

Errors block publishing; warnings do not. Every problem names the node and the field it
was found in, so ``Problem.key`` (``nodes.<id>.<field>``, or ``start`` / ``nodes``) can be
used as the field name of an API error and the editor can point at the faulty node.

Rules:
- the graph is ``{"start": id, "nodes": {id: node}}``, ``start`` names a node;
- node ids are short identifiers; every node has a known ``type`` and no unknown field;
- required fields are present and every field has the right kind and range;
- edges point at nodes that exist (no dangling edges);
- referenced queues and business hours exist (the caller passes the lookups in);
- ``audio`` / ``retry_audio`` name an uploaded prompt (format here; existence through the
  ``audio_exists`` lookup the caller passes in);
- every path ends: from every node reachable from the start some way out exists — a
  terminal node (queue, voicemail, callback, transfer, hangup) or an implicit hang-up (a
  menu without a retry fallback, a survey without ``next``). Loops such as "9: repeat the
  menu" are fine as long as the loop has such an exit;
- no loop of hours nodes alone (it would spin without ever waiting for the caller).

Unreachable nodes are **warnings**, not errors: drafts often keep spare branches, and a
node nobody reaches cannot misroute a call. The editor shows them so they can be removed.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from apps.telephony.ivr.schema import (
    AUDIO_NAME_RE,
    BRANCH,
    BRANCH_OPS,
    COMMON_FIELDS,
    DIGIT_RE,
    HOURS,
    MAX_CONDITIONS,
    MAX_VALUE_LENGTH,
    MENU,
    NODE_ID_RE,
    NODE_SPECS,
    NODE_TYPES,
    NUMBER_RE,
    SET,
    SURVEY,
    TRANSFER,
    VARIABLE_RE,
    FieldKind,
    FieldSpec,
    edges,
)
from apps.webhooks.transport import UnsafeDestination, address_allowed, private_allowed, url_parts

Lookup = Callable[[int], bool]
AudioLookup = Callable[[str], bool]


@dataclass(frozen=True)
class Problem:
    code: str
    message: str
    node: str | None = None
    field: str | None = None

    @property
    def key(self) -> str:
        if self.node is None:
            return self.field or "graph"
        return f"nodes.{self.node}.{self.field}" if self.field else f"nodes.{self.node}"


@dataclass
class ValidationResult:
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def error_fields(self) -> dict[str, list[str]]:
        return _by_key(self.errors)

    def warning_fields(self) -> dict[str, list[str]]:
        return _by_key(self.warnings)

    def codes(self) -> set[str]:
        return {problem.code for problem in self.errors}


def _by_key(problems: Iterable[Problem]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for problem in problems:
        out.setdefault(problem.key, []).append(problem.message)
    return out


def _is_int(raw) -> bool:
    return isinstance(raw, int) and not isinstance(raw, bool)


def _is_scalar(raw) -> bool:
    return isinstance(raw, str | int | float) and not isinstance(raw, bool)


def _is_number(raw) -> bool:
    if isinstance(raw, bool):
        return False
    if isinstance(raw, int | float):
        return True
    try:
        float(str(raw))
    except ValueError:
        return False
    return isinstance(raw, str) and bool(raw.strip())


class _Checker:
    def __init__(
        self,
        graph,
        queue_exists: Lookup | None,
        hours_exists: Lookup | None,
        audio_exists: AudioLookup | None = None,
    ) -> None:
        self.graph = graph
        self.queue_exists = queue_exists
        self.hours_exists = hours_exists
        self.audio_exists = audio_exists
        self.result = ValidationResult()

    def error(self, code: str, message: str, node: str | None = None, field: str | None = None) -> None:
        self.result.errors.append(Problem(code, message, node, field))

    def warn(self, code: str, message: str, node: str | None = None, field: str | None = None) -> None:
        self.result.warnings.append(Problem(code, message, node, field))

    def run(self) -> ValidationResult:
        graph = self.graph
        if not isinstance(graph, dict):
            self.error("not_an_object", _("The graph must be a JSON object with “start” and “nodes”."))
            return self.result
        nodes = graph.get("nodes")
        if not isinstance(nodes, dict) or not nodes:
            self.error("no_nodes", _("The graph has no nodes."), field="nodes")
            return self.result
        for key in sorted(set(graph) - {"start", "nodes"}):
            self.error("unknown_field", _("Unknown field “%(field)s”.") % {"field": key}, field=key)
        start = graph.get("start")
        if not isinstance(start, str) or not start:
            self.error("required", _("Name the node the flow starts at."), field="start")
        elif start not in nodes:
            self.error("dangling_edge", _("The start node “%(id)s” does not exist.") % {"id": start}, field="start")

        for node_id, node in nodes.items():
            self.check_node(node_id, node, nodes)
        if self.result.errors:
            # Path analysis on a broken graph would only repeat the errors above.
            return self.result
        self.check_paths(str(start), nodes)
        return self.result

    # --- one node ------------------------------------------------------------------------------

    def check_node(self, node_id: str, node, nodes: dict) -> None:
        if not NODE_ID_RE.match(str(node_id)):
            self.error(
                "bad_id",
                _("Node ids are 1–64 letters, digits, “_” or “-”."),
                node=str(node_id),
            )
        if not isinstance(node, dict):
            self.error("not_an_object", _("A node must be a JSON object."), node=node_id)
            return
        node_type = node.get("type")
        spec = NODE_SPECS.get(node_type) if isinstance(node_type, str) else None
        if spec is None:
            self.error(
                "unknown_type",
                _("Unknown node type “%(type)s”; use one of: %(types)s.")
                % {"type": node_type, "types": ", ".join(NODE_TYPES)},
                node=node_id,
                field="type",
            )
            return
        known = {f.name for f in spec.fields} | COMMON_FIELDS
        for key in sorted(set(node) - known):
            self.error(
                "unknown_field",
                _("A %(type)s node has no field “%(field)s”.") % {"type": node_type, "field": key},
                node=node_id,
                field=key,
            )
        if "label" in node and not isinstance(node["label"], str):
            self.error("bad_value", _("The label must be text."), node=node_id, field="label")
        for field_spec in spec.fields:
            raw = node.get(field_spec.name)
            if raw is None or raw == "":
                if field_spec.required:
                    self.error(
                        "required",
                        _("A %(type)s node needs “%(field)s”.") % {"type": node_type, "field": field_spec.name},
                        node=node_id,
                        field=field_spec.name,
                    )
                continue
            self.check_field(node_id, field_spec, raw, nodes)
        if node_type == MENU:
            self.check_menu(node_id, node)
        elif node_type == TRANSFER:
            has_number = node.get("number") not in (None, "")
            has_queue = node.get("queue") not in (None, "")
            if has_number == has_queue:
                self.error(
                    "transfer_target",
                    _("A transfer needs either a number or a queue, not both."),
                    node=node_id,
                    field="number",
                )

    def check_field(self, node_id: str, spec: FieldSpec, raw, nodes: dict) -> None:
        name = spec.name
        kind = spec.kind
        if kind == FieldKind.TEXT:
            if not isinstance(raw, str) or not raw.strip():
                self.error("bad_value", _("Enter some text."), node=node_id, field=name)
            elif len(raw) > 2000:
                self.error("bad_value", _("At most 2,000 characters."), node=node_id, field=name)
        elif kind == FieldKind.NODE:
            if not isinstance(raw, str):
                self.error("bad_value", _("Name a node by its id."), node=node_id, field=name)
            elif raw not in nodes:
                self.error("dangling_edge", _("Node “%(id)s” does not exist.") % {"id": raw}, node=node_id, field=name)
        elif kind == FieldKind.OPTIONS:
            self.check_options(node_id, raw, nodes)
        elif kind == FieldKind.DIGITS:
            if not isinstance(raw, list) or not all(isinstance(d, str) and DIGIT_RE.match(d) for d in raw):
                self.error("bad_value", _("A list of keys: 0–9, * or #."), node=node_id, field=name)
        elif kind == FieldKind.INT:
            if not _is_int(raw):
                self.error("bad_value", _("Enter a whole number."), node=node_id, field=name)
            elif (spec.minimum is not None and raw < spec.minimum) or (spec.maximum is not None and raw > spec.maximum):
                self.error(
                    "out_of_range",
                    _("Between %(min)d and %(max)d.") % {"min": spec.minimum, "max": spec.maximum},
                    node=node_id,
                    field=name,
                )
        elif kind == FieldKind.QUEUE:
            self.check_reference(node_id, name, raw, self.queue_exists, _("Queue %(id)s does not exist."))
        elif kind == FieldKind.HOURS:
            self.check_reference(node_id, name, raw, self.hours_exists, _("Business hours %(id)s do not exist."))
        elif kind == FieldKind.NUMBER:
            if not isinstance(raw, str) or not NUMBER_RE.match(raw):
                self.error(
                    "bad_value", _("Enter a phone number (digits, optional leading +)."), node=node_id, field=name
                )
        elif kind == FieldKind.AUDIO:
            if not isinstance(raw, str) or not AUDIO_NAME_RE.match(raw):
                self.error(
                    "bad_value",
                    _("A prompt name: letters, digits, “.”, “_” or “-”, starting with a letter or digit."),
                    node=node_id,
                    field=name,
                )
            elif self.audio_exists is not None and not self.audio_exists(raw):
                self.error(
                    "missing_reference",
                    _("There is no uploaded prompt named “%(name)s”.") % {"name": raw},
                    node=node_id,
                    field=name,
                )
        elif kind == FieldKind.URL:
            self.check_url(node_id, name, raw)
        elif kind == FieldKind.CHOICE:
            if raw not in spec.choices:
                self.error(
                    "bad_value",
                    _("Choose one of: %(choices)s.") % {"choices": ", ".join(spec.choices)},
                    node=node_id,
                    field=name,
                )
        elif kind == FieldKind.VALUE:
            if not isinstance(raw, str):
                self.error("bad_value", _("Enter some text."), node=node_id, field=name)
            elif len(raw) > MAX_VALUE_LENGTH:
                self.error("bad_value", _("At most 200 characters."), node=node_id, field=name)
        elif kind == FieldKind.CONDITIONS:
            self.check_conditions(node_id, raw, nodes)
        elif kind == FieldKind.VARIABLE and (not isinstance(raw, str) or not VARIABLE_RE.match(raw)):
            self.error(
                "bad_value",
                _("A variable name: a letter or “_”, then letters, digits or “_”."),
                node=node_id,
                field=name,
            )

    def check_url(self, node_id: str, name: str, raw) -> None:
        if not isinstance(raw, str) or len(raw) > 500:
            self.error("bad_value", _("Enter the endpoint's URL (at most 500 characters)."), node=node_id, field=name)
            return
        try:
            scheme, host, _port, _target = url_parts(raw)
        except UnsafeDestination:
            self.error(
                "bad_value",
                _("Enter an https:// URL with a host name and no user name or password."),
                node=node_id,
                field=name,
            )
            return
        allow_private = private_allowed()
        if scheme != "https" and not allow_private:
            self.error("insecure_url", _("The endpoint must use https://."), node=node_id, field=name)
            return
        try:
            literal = ipaddress.ip_address(host.strip("[]"))
        except ValueError:
            return  # a host name: resolved and checked on every call
        if not address_allowed(str(literal), allow_private=allow_private):
            self.error(
                "private_address",
                _("The endpoint must be on the internet, not a private or loopback address."),
                node=node_id,
                field=name,
            )

    def check_conditions(self, node_id: str, raw, nodes: dict) -> None:
        if not isinstance(raw, list):
            self.error("bad_value", _("A list of conditions."), node=node_id, field="conditions")
            return
        if len(raw) > MAX_CONDITIONS:
            self.error("bad_value", _("At most 20 conditions."), node=node_id, field="conditions")
        for index, condition in enumerate(raw):
            key = f"conditions.{index}"
            if not isinstance(condition, dict) or set(condition) - {"op", "value", "next"}:
                self.error(
                    "bad_value",
                    _("A condition is an object with “op”, “value” and “next”."),
                    node=node_id,
                    field=key,
                )
                continue
            op = condition.get("op")
            value = condition.get("value")
            if op not in BRANCH_OPS:
                self.error(
                    "bad_value",
                    _("Compare with one of: %(ops)s.") % {"ops": ", ".join(BRANCH_OPS)},
                    node=node_id,
                    field=key,
                )
            elif op == "in":
                if not isinstance(value, list) or not value or not all(_is_scalar(item) for item in value):
                    self.error("bad_value", _("“in” needs a list of values."), node=node_id, field=key)
            elif op in ("less", "greater"):
                if not _is_number(value):
                    self.error("bad_value", _("Compare with a number."), node=node_id, field=key)
            elif op == "equals" and not _is_scalar(value):
                self.error("bad_value", _("Compare with a text or a number."), node=node_id, field=key)
            target = condition.get("next")
            if not isinstance(target, str) or not target:
                self.error("required", _("Name the node this condition goes to."), node=node_id, field=key)
            elif target not in nodes:
                self.error(
                    "dangling_edge", _("Node “%(id)s” does not exist.") % {"id": target}, node=node_id, field=key
                )

    def check_reference(self, node_id: str, name: str, raw, exists: Lookup | None, message: str) -> None:
        if not _is_int(raw) or raw < 1:
            self.error("bad_value", _("Choose one by its id."), node=node_id, field=name)
        elif exists is not None and not exists(raw):
            self.error("missing_reference", message % {"id": raw}, node=node_id, field=name)

    def check_options(self, node_id: str, raw, nodes: dict) -> None:
        if not isinstance(raw, dict) or not raw:
            self.error("required", _("A menu needs at least one option."), node=node_id, field="options")
            return
        for digit, target in raw.items():
            key = f"options.{digit}"
            if not DIGIT_RE.match(str(digit)):
                self.error("bad_value", _("An option key is one of 0–9, * or #."), node=node_id, field=key)
            if not isinstance(target, str) or not target:
                self.error("bad_value", _("Name a node by its id."), node=node_id, field=key)
            elif target not in nodes:
                self.error(
                    "dangling_edge", _("Node “%(id)s” does not exist.") % {"id": target}, node=node_id, field=key
                )

    def check_menu(self, node_id: str, node: dict) -> None:
        options = node.get("options")
        agent_options = node.get("agent_options")
        if isinstance(options, dict) and isinstance(agent_options, list):
            for digit in agent_options:
                if isinstance(digit, str) and DIGIT_RE.match(digit) and digit not in options:
                    self.error(
                        "bad_value",
                        _("Key %(digit)s is marked “asked for an agent” but is not an option.") % {"digit": digit},
                        node=node_id,
                        field="agent_options",
                    )

    # --- the graph as a whole -------------------------------------------------------------------

    def check_paths(self, start: str, nodes: dict) -> None:
        successors = {node_id: [target for _field, target in edges(node)] for node_id, node in nodes.items()}
        reachable = _reach(start, successors)
        for node_id in nodes:
            if node_id not in reachable:
                self.warn("unreachable", _("No path from the start reaches this node."), node=node_id)

        exits = {node_id for node_id, node in nodes.items() if _can_end_here(node)}
        predecessors: dict[str, list[str]] = {node_id: [] for node_id in nodes}
        for source, targets in successors.items():
            for target in targets:
                predecessors[target].append(source)
        can_end: set[str] = set()
        for exit_id in exits:
            can_end |= _reach(exit_id, predecessors)
        for node_id in nodes:
            if node_id in reachable and node_id not in can_end:
                self.error(
                    "no_exit",
                    _(
                        "Every path from this node loops forever: it never reaches a queue, voicemail, "
                        "callback, transfer or hang-up."
                    ),
                    node=node_id,
                )

        hours_only = {
            node_id: [t for t in successors[node_id] if nodes[t].get("type") == HOURS]
            for node_id, node in nodes.items()
            if node.get("type") == HOURS
        }
        on_hours_loop = _on_cycles(hours_only)
        for node_id in on_hours_loop:
            self.error("hours_loop", _("Hours nodes branch back to each other in a loop."), node=node_id)
        # Set and branch nodes move on by themselves too: a loop of them alone would spin.
        automatic = (HOURS, SET, BRANCH)
        automatic_only = {
            node_id: [t for t in successors[node_id] if nodes[t].get("type") in automatic]
            for node_id, node in nodes.items()
            if node.get("type") in automatic
        }
        for node_id in sorted(_on_cycles(automatic_only) - on_hours_loop):
            self.error(
                "automatic_loop",
                _("Set, branch and hours nodes lead back here without waiting for the caller: a loop."),
                node=node_id,
            )


def _can_end_here(node: dict) -> bool:
    spec = NODE_SPECS[node["type"]]
    if spec.terminal:
        return True
    if node["type"] == SURVEY:
        return not node.get("next")
    if node["type"] == MENU:
        # With a fallback missing, running out of retries hangs up.
        return not node.get("invalid") or not node.get("no_input")
    return False


def _reach(origin: str, adjacency: dict[str, list[str]]) -> set[str]:
    seen = {origin}
    stack = [origin]
    while stack:
        for target in adjacency.get(stack.pop(), ()):
            if target not in seen:
                seen.add(target)
                stack.append(target)
    return seen


def _on_cycles(adjacency: dict[str, list[str]]) -> set[str]:
    """Nodes that lie on a directed cycle (a node reaching itself)."""
    return {node for node in adjacency if any(node in _reach(t, adjacency) for t in adjacency[node])}


def validate_graph(
    graph,
    *,
    queue_exists: Lookup | None = None,
    hours_exists: Lookup | None = None,
    audio_exists: AudioLookup | None = None,
) -> ValidationResult:
    """Check a graph. ``queue_exists(id)`` / ``hours_exists(id)`` / ``audio_exists(name)`` tell
    whether a referenced queue / business-hours row / uploaded prompt exists; leave them out to
    skip those checks."""
    return _Checker(graph, queue_exists, hours_exists, audio_exists).run()


__all__ = ["Problem", "ValidationResult", "validate_graph"]
