"""Where each box and arrow of the IVR editor's diagram goes (templates/telephony/ivr/_diagram.html
draws it as SVG).

Pure: a graph and the validator's problems in, coordinates out — no Django, no database — so the
layout is tested without a browser and the page needs no layout library (docs/decisions/0014).

Layered left to right: a node's column is its breadth-first distance from the start, the order a
caller meets it; within a column nodes keep the order they were discovered in, which follows the
menu keys. Nodes nobody reaches are laid out the same way in a band of their own under the flow,
so that they are visibly apart. An arrow that goes back (a "repeat the menu" loop) or stays in its
column is routed under the boxes instead of through them; a self-loop is a small hook on the box.
Each box has one port per outgoing edge on its right side, the edge's label written at the port,
so many menu keys never pile their labels on one point.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from apps.telephony.ivr import schema

NODE_WIDTH = 186
NODE_MIN_HEIGHT = 66
PROBLEM_LINE = 18  # extra height of a box that shows a problem
PORT_GAP = 18  # vertical room per outgoing edge
COLUMN_GAP = 78  # room for the arrows and their labels between columns
ROW_GAP = 26
MARGIN = 24
BAND_GAP = 70  # between the reachable flow and the unreachable nodes
LOOP_DROP = 26  # how far under the lowest box a back arrow runs
STUB = 70  # length of an arrow to a node that does not exist

# Wide characters (CJK) take about two Latin ones: texts are cut to this many "columns".
TITLE_COLUMNS = 20
SUMMARY_COLUMNS = 27
PROBLEM_COLUMNS = 26

# One glyph per node type, drawn in the box's badge (the type's words are written next to it).
ICONS = {
    schema.PLAY: "▶",
    schema.MENU: "☰",
    schema.GATHER: "#",
    schema.HOURS: "◷",
    schema.QUEUE: "☎",
    schema.VOICEMAIL: "✉",
    schema.CALLBACK: "↺",
    schema.TRANSFER: "⇄",
    schema.SURVEY: "★",
    schema.HANGUP: "✕",
    schema.HTTP: "⇅",
    schema.SET: "=",
    schema.BRANCH: "◇",
    schema.SAY: "♪",
}


@dataclass
class DiagramNode:
    id: str
    type: str
    label: str
    summary: str
    x: int
    y: int
    width: int
    height: int
    reachable: bool
    is_start: bool
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    type_label: str = ""  # the caller's words for the type (the view translates)

    @property
    def icon(self) -> str:
        return ICONS.get(self.type, "?")

    @property
    def type_short(self) -> str:
        return clip(self.type_label, 17 if self.is_start else 25)  # the start box has its pill on that line

    @property
    def title(self) -> str:
        return clip(self.label or self.id, TITLE_COLUMNS)

    @property
    def summary_short(self) -> str:
        return clip(self.summary, SUMMARY_COLUMNS)

    @property
    def problem_short(self) -> str:
        found = self.problems or self.warnings
        return clip(found[0], PROBLEM_COLUMNS) if found else ""

    @property
    def center_y(self) -> int:
        return self.y + self.height // 2


@dataclass
class DiagramEdge:
    source: str
    target: str
    field: str  # the schema field: next, open, invalid, ... or "options"
    key: str  # the menu key of an ``options`` edge, else ""
    path: str  # SVG path data
    label_x: int
    label_y: int
    kind: str  # "forward", "back", "self" or "dangling"
    text: str = ""  # the label written at the port (the view translates field names)


@dataclass
class Diagram:
    nodes: list[DiagramNode]
    edges: list[DiagramEdge]
    width: int
    height: int
    # Where the band of unreachable nodes starts (None: every node is reachable).
    unreachable_y: int | None = None

    def node(self, node_id: str) -> DiagramNode | None:
        return next((node for node in self.nodes if node.id == node_id), None)


def columns(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def clip(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` display columns, with an ellipsis when cut (SVG text never wraps)."""
    text = " ".join(str(text or "").split())
    if columns(text) <= limit:
        return text
    kept, used = [], 0
    for char in text:
        width = columns(char)
        if used + width > limit - 1:
            break
        kept.append(char)
        used += width
    return "".join(kept) + "…"


def summary(node: Mapping[str, Any], queue_names: Mapping[int, str] | None = None) -> str:
    """One line saying what a node does: its prompt, number or queue."""
    node_type = node.get("type")
    if node_type in (schema.PLAY, schema.SURVEY, schema.GATHER, schema.MENU):
        return str(node.get("prompt") or "")
    if node_type == schema.HTTP:
        return str(node.get("url") or "")
    if node_type == schema.SET:
        return f"{node.get('variable') or ''} = {node.get('value') or ''}"
    if node_type == schema.BRANCH:
        return str(node.get("variable") or "")
    if node_type == schema.SAY:
        return f"{node.get('kind') or ''}: {node.get('variable') or ''}"
    if node_type == schema.TRANSFER and node.get("number"):
        return str(node.get("number"))
    queue = node.get("queue")
    if isinstance(queue, int) and not isinstance(queue, bool):
        return (queue_names or {}).get(queue, f"#{queue}")
    return ""


def _node_edges(nodes: Mapping[str, Any], node_id: str) -> list[tuple[str, str]]:
    node = nodes.get(node_id)
    return schema.edges(node) if isinstance(node, dict) else []


def _layers(roots: Sequence[str], nodes: Mapping[str, Any], allowed: set[str]) -> dict[str, int]:
    """Breadth-first depth of every node of ``allowed`` reached from ``roots``, in discovery order."""
    depth: dict[str, int] = {}
    queue: list[str] = []
    for root in roots:
        if root in allowed and root not in depth:
            depth[root] = 0
            queue.append(root)
        while queue:
            current = queue.pop(0)
            for _field, target in _node_edges(nodes, current):
                if target in allowed and target not in depth:
                    depth[target] = depth[current] + 1
                    queue.append(target)
    return depth


def _back_edges(nodes: Mapping[str, Any], depth: dict[str, int]) -> int:
    """How many edges of a band run back to an earlier column (each needs a lane under the band)."""
    return sum(
        1
        for node_id, column in depth.items()
        for _field, target in _node_edges(nodes, node_id)
        if target in depth and target != node_id and depth[target] < column
    )


def _height(node: Mapping[str, Any], out_degree: int, has_problem: bool) -> int:
    base = NODE_MIN_HEIGHT + (PROBLEM_LINE if has_problem else 0)
    return max(base, out_degree * PORT_GAP + 12)


def _place(depth: dict[str, int], heights: dict[str, int], top: int) -> tuple[dict[str, tuple[int, int]], int]:
    """Columns side by side, boxes stacked in each; returns positions and the band's bottom."""
    by_column: dict[int, list[str]] = {}
    for node_id, column in depth.items():  # dict order = discovery order
        by_column.setdefault(column, []).append(node_id)
    positions: dict[str, tuple[int, int]] = {}
    bottom = top
    for column, members in by_column.items():
        y = top
        x = MARGIN + column * (NODE_WIDTH + COLUMN_GAP)
        for node_id in members:
            positions[node_id] = (x, y)
            y += heights[node_id] + ROW_GAP
        bottom = max(bottom, y - ROW_GAP)
    return positions, bottom


def problems_of(found: Mapping[str, Sequence[str]], node_id: str) -> list[str]:
    prefix = f"nodes.{node_id}"
    return [
        str(message)
        for key, messages in found.items()
        if key == prefix or key.startswith(prefix + ".")
        for message in messages
    ]


def layout(
    graph: Mapping[str, Any],
    problems: Mapping[str, Sequence[str]] | None = None,
    warnings: Mapping[str, Sequence[str]] | None = None,
    queue_names: Mapping[int, str] | None = None,
) -> Diagram:
    """Place every node of ``graph`` and route an arrow for each of its edges.

    ``problems`` / ``warnings``: the validator's ``error_fields()`` / ``warning_fields()``
    (keys ``nodes.<id>.<field>``); each box carries its own. A graph too broken to read (no
    ``nodes`` mapping) gives an empty diagram: the JSON tab is where such a graph gets fixed.
    """
    raw_nodes = graph.get("nodes") if isinstance(graph, Mapping) else None
    nodes: dict[str, Any] = (
        {str(node_id): node for node_id, node in (raw_nodes or {}).items() if isinstance(node, dict)}
        if isinstance(raw_nodes, Mapping)
        else {}
    )
    start = graph.get("start") if isinstance(graph, Mapping) else None
    problems = problems or {}
    warnings = warnings or {}

    everything = set(nodes)
    reachable = _layers([start] if isinstance(start, str) else [], nodes, everything)
    rest = everything - set(reachable)
    # Roots of the unreachable band: nodes no other unreachable node points at (sorted for a
    # stable picture), then whatever is left (a loop nobody enters).
    pointed_at = {target for node_id in rest for _field, target in _node_edges(nodes, node_id) if target != node_id}
    roots = sorted(rest - pointed_at) + sorted(rest)
    apart = _layers(roots, nodes, rest)

    heights = {
        node_id: _height(
            nodes[node_id],
            len(_node_edges(nodes, node_id)),
            bool(problems_of(problems, node_id) or problems_of(warnings, node_id)),
        )
        for node_id in nodes
    }
    positions, bottom = _place(reachable, heights, MARGIN)
    # Each band keeps room under its boxes for its own loops back to an earlier column.
    floors = {True: bottom + LOOP_DROP}
    unreachable_y = None
    if apart:
        loop_room = LOOP_DROP + 8 * _back_edges(nodes, reachable) if _back_edges(nodes, reachable) else 0
        unreachable_y = (bottom + loop_room + BAND_GAP // 2) if reachable else MARGIN
        band_positions, bottom = _place(apart, heights, unreachable_y + BAND_GAP // 2)
        positions.update(band_positions)
        floors[False] = bottom + LOOP_DROP

    placed: dict[str, DiagramNode] = {}
    for node_id in list(reachable) + list(apart):
        node = nodes[node_id]
        x, y = positions[node_id]
        placed[node_id] = DiagramNode(
            id=node_id,
            type=str(node.get("type") or ""),
            label=str(node.get("label") or ""),
            summary=summary(node, queue_names),
            x=x,
            y=y,
            width=NODE_WIDTH,
            height=heights[node_id],
            reachable=node_id in reachable,
            is_start=node_id == start,
            problems=problems_of(problems, node_id),
            warnings=problems_of(warnings, node_id),
        )

    lowest = max((n.y + n.height for n in placed.values()), default=MARGIN)
    right = max((n.x + n.width for n in placed.values()), default=MARGIN)
    edges: list[DiagramEdge] = []
    loops: dict[bool, int] = {}
    for source in placed.values():
        out = _node_edges(nodes, source.id)
        for index, (field_name, target_id) in enumerate(out):
            port_y = source.y + round((index + 1) * source.height / (len(out) + 1))
            port_x = source.x + source.width
            name, _dot, key = field_name.partition(".")
            target = placed.get(target_id)
            label_x, label_y = port_x + 6, port_y - 4
            if target is None:
                kind = "dangling"
                path = f"M{port_x},{port_y} H{port_x + STUB}"
                right = max(right, port_x + STUB + 60)
            elif target.id == source.id:
                kind = "self"
                top = source.y - 4
                path = (
                    f"M{port_x},{port_y} C{port_x + 40},{port_y} {port_x + 30},{top - 22} "
                    f"{source.x + source.width - 24},{top - 18} L{source.x + source.width - 24},{top}"
                )
            elif target.x > source.x:
                kind = "forward"
                end_x, end_y = target.x, target.center_y
                bend = max(40, (end_x - port_x) // 2)
                path = f"M{port_x},{port_y} C{port_x + bend},{port_y} {end_x - bend},{end_y} {end_x},{end_y}"
            elif target.x == source.x:
                # Within the column: a bend on the right into the target's top (below) or bottom (above).
                kind = "back"
                end_x = target.x + target.width - 30
                end_y = target.y if target.y > source.y else target.y + target.height
                turn = end_y - 14 if target.y > source.y else end_y + 14
                path = f"M{port_x},{port_y} C{port_x + 36},{port_y} {end_x},{turn} {end_x},{end_y}"
                right = max(right, port_x + 36)
            else:
                # Back to an earlier column: out to the right, under the band's boxes, up into the target.
                kind = "back"
                loops[source.reachable] = loops.get(source.reachable, 0) + 1
                floor = floors[source.reachable] + 8 * (loops[source.reachable] - 1)
                end_x = target.x + target.width // 2 + min(40, 8 * loops[source.reachable])
                end_y = target.y + target.height
                path = (
                    f"M{port_x},{port_y} C{port_x + 50},{port_y} {port_x + 40},{floor} {port_x},{floor} "
                    f"L{end_x + 20},{floor} Q{end_x},{floor} {end_x},{end_y}"
                )
                right = max(right, port_x + 45)
                lowest = max(lowest, floor)
            edges.append(DiagramEdge(source.id, target_id, name, key, path, label_x, label_y, kind))

    height = max(lowest + MARGIN, 2 * MARGIN + NODE_MIN_HEIGHT)
    return Diagram(
        nodes=list(placed.values()),
        edges=edges,
        width=right + MARGIN,
        height=height,
        unreachable_y=unreachable_y,
    )
