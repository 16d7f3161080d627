"""The IVR editor's operations on a graph: add a node, change one, remove one, choose the start.

Plain Python on the graph dict (schema.py's format): no models, no database. Each operation
takes a graph and returns a new one (the argument is never changed), or raises
:class:`GraphEditError` naming the field at fault. services/ivr.py applies one operation to a
flow's draft under the flow's row lock, so the console page and the API edit the same way
and two people editing different nodes at once do not overwrite each other.

An edit checks what it touches (the node id, the node's type, its fields' kinds and ranges,
that its edges name nodes that exist) but not the graph as a whole: a draft may be incomplete
(required fields missing, a node nobody reaches); publishing validates everything.
"""

from __future__ import annotations

import copy
from typing import Any

from django.utils.translation import gettext as _

from apps.telephony.ivr import schema
from apps.telephony.ivr.validator import validate_graph

# Problems an edit refuses. "required" and "transfer_target" wait for publishing (a node is
# filled in one field at a time); "missing_reference" needs the database (the service checks
# uploaded prompts, publishing checks queues and hours).
REFUSED_CODES = frozenset({"bad_id", "not_an_object", "unknown_type", "unknown_field", "bad_value", "out_of_range"})
REFUSED_EDGE_CODES = frozenset({"dangling_edge"})


class GraphEditError(Exception):
    """An edit that cannot be made. ``fields`` maps the request's field names (``node_id``,
    ``type``, ``start``, or the node's own fields such as ``timeout``, ``options.1``) to messages;
    ``code`` is ``"not_found"`` when the node named does not exist, else ``"invalid"``."""

    def __init__(self, code: str, message: str, fields: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.fields = fields or {}


def _nodes(graph: dict[str, Any]) -> dict[str, Any]:
    nodes = graph.get("nodes")
    return nodes if isinstance(nodes, dict) else {}


def _existing(graph: dict[str, Any], node_id: str) -> dict[str, Any]:
    node = _nodes(graph).get(node_id)
    if not isinstance(node, dict) or node.get("type") not in schema.NODE_SPECS:
        raise GraphEditError("not_found", _("Node “%(id)s” does not exist.") % {"id": node_id})
    return node


def _invalid(fields: dict[str, list[str]]) -> GraphEditError:
    message = next(iter(fields.values()))[0] if len(fields) == 1 else _("The request has invalid fields.")
    return GraphEditError("invalid", message, fields)


def _check_node(graph: dict[str, Any], node_id: str) -> None:
    """Refuse the node's own bad fields (kinds, ranges, unknown fields, edges to nothing)."""
    node = graph["nodes"][node_id]
    # Only this node is checked: a lone-node graph plus the ids its edges may name.
    probe_nodes: dict[str, Any] = {other: {"type": schema.HANGUP} for other in _nodes(graph)}
    probe_nodes[node_id] = node
    result = validate_graph({"start": node_id, "nodes": probe_nodes})
    prefix = f"nodes.{node_id}"
    fields: dict[str, list[str]] = {}
    for problem in result.errors:
        if problem.node != node_id or problem.code not in REFUSED_CODES | REFUSED_EDGE_CODES:
            continue
        key = problem.key.removeprefix(prefix).lstrip(".") or "node_id"
        fields.setdefault(key, []).append(problem.message)
    for key, value in node.items():
        if has_nul(key) or has_nul(value):
            fields.setdefault(str(key).replace("\x00", ""), []).append(_("Text cannot contain a NUL character."))
    if fields:
        raise _invalid(fields)


def has_nul(value: Any) -> bool:
    """A NUL anywhere in a JSON value: PostgreSQL's jsonb cannot store one (it would be a 500)."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(has_nul(k) or has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(has_nul(item) for item in value)
    return False


def add_node(
    graph: dict[str, Any], node_id: str, node_type: str, fields: dict[str, Any] | None = None
) -> dict[str, Any]:
    """``graph`` with a new node ``node_id`` of ``node_type`` (and ``fields``, optional). The first
    node of an empty graph becomes the start."""
    errors: dict[str, list[str]] = {}
    if not isinstance(node_id, str) or not schema.NODE_ID_RE.match(node_id):
        errors["node_id"] = [_("Letters, digits, “_” or “-”.")]
    if node_type not in schema.NODE_SPECS:
        errors["type"] = [
            _("Unknown node type “%(type)s”; use one of: %(types)s.")
            % {"type": node_type, "types": ", ".join(schema.NODE_TYPES)}
        ]
    if errors:
        raise _invalid(errors)
    graph = copy.deepcopy(graph)
    nodes = graph["nodes"] = _nodes(graph)
    if node_id in nodes:
        raise _invalid({"node_id": [_("A node “%(id)s” exists already.") % {"id": node_id}]})
    nodes[node_id] = {"type": node_type, **{k: v for k, v in (fields or {}).items() if k != "type"}}
    graph.setdefault("start", node_id)
    if fields:
        _check_node(graph, node_id)
    return graph


def update_node(
    graph: dict[str, Any], node_id: str, changes: dict[str, Any], *, replace: bool = False
) -> dict[str, Any]:
    """``graph`` with node ``node_id`` changed: ``changes`` are merged into the node (``None``, ``""``
    or ``[]`` removes the field), or with ``replace`` they become the node's fields. A
    node's type does not change (remove it and add another)."""
    node = _existing(graph, node_id)
    if "type" in changes and changes["type"] != node["type"]:
        raise _invalid({"type": [_("A node's type cannot change; remove the node and add another.")]})
    graph = copy.deepcopy(graph)
    updated: dict[str, Any] = {"type": node["type"]} if replace else dict(node)
    for key, value in changes.items():
        if key == "type":
            continue
        if value is None or value == "" or value == []:
            updated.pop(key, None)
        else:
            updated[key] = copy.deepcopy(value)
    graph["nodes"][node_id] = updated
    _check_node(graph, node_id)
    return graph


def remove_node(graph: dict[str, Any], node_id: str) -> dict[str, Any]:
    """``graph`` without node ``node_id``. Edges that pointed at it are left dangling (the editor
    shows them; publishing refuses them) rather than silently rewired."""
    _existing(graph, node_id)
    graph = copy.deepcopy(graph)
    del graph["nodes"][node_id]
    return graph


def set_start(graph: dict[str, Any], node_id: str) -> dict[str, Any]:
    """``graph`` starting at ``node_id``, which must exist."""
    if node_id not in _nodes(graph):
        raise _invalid({"start": [_("Node “%(id)s” does not exist.") % {"id": node_id}]})
    graph = copy.deepcopy(graph)
    graph["start"] = node_id
    return graph
