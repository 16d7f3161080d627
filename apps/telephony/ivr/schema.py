"""The IVR graph format: what a flow version's ``graph`` JSON may contain.

A graph is ``{"start": <node id>, "nodes": {<node id>: {"type": <type>, ...fields}}}``.
Node ids are short identifiers (letters, digits, ``_`` and ``-``); edges are fields whose
value is another node's id. Queues and business hours are referenced by their database id.
The full description, with an example, is in docs/ivr.md; this module is the single
source of truth that the validator, the runner and the editor read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class FieldKind(StrEnum):
    TEXT = "text"  # a non-empty string (prompts are bilingual text; TTS is the switch's business)
    NODE = "node"  # the id of another node (an edge)
    OPTIONS = "options"  # {digit: node id}
    DIGITS = "digits"  # a list of menu digits
    INT = "int"
    QUEUE = "queue"  # a Queue id
    HOURS = "hours"  # a BusinessHours id
    NUMBER = "number"  # a dialable phone number
    VARIABLE = "variable"  # a variable name for gathered digits
    AUDIO = "audio"  # the name of an uploaded prompt (apps/telephony/models/prompts.py)
    URL = "url"  # the customer's endpoint an http node calls (https; http where private addresses are allowed)
    CHOICE = "choice"  # one of FieldSpec.choices
    VALUE = "value"  # text up to 200 characters; "{name}" is replaced by the variable's value
    CONDITIONS = "conditions"  # a branch node's [{"op", "value", "next"}]


@dataclass(frozen=True)
class FieldSpec:
    name: str
    kind: FieldKind
    required: bool = False
    default: Any = None
    minimum: int | None = None
    maximum: int | None = None
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class NodeSpec:
    type: str
    fields: tuple[FieldSpec, ...]
    # A terminal node hands the call over (or ends it): the session stops there.
    terminal: bool = False
    # Waits for the caller's keys (menu, gather, survey) rather than moving on by itself.
    takes_input: bool = False

    def field(self, name: str) -> FieldSpec | None:
        return next((spec for spec in self.fields if spec.name == name), None)


PLAY = "play"
MENU = "menu"
GATHER = "gather"
HOURS = "hours"
QUEUE = "queue"
VOICEMAIL = "voicemail"
CALLBACK = "callback"
TRANSFER = "transfer"
SURVEY = "survey"
HANGUP = "hangup"
HTTP = "http"
SET = "set"
BRANCH = "branch"
SAY = "say"

# What a say node reads out, in which language and currency (apps/telephony/speech/words.py).
SAY_KINDS = ("number", "digits", "amount", "date", "time", "ordinal")
SAY_LANGUAGES = ("zh-Hans", "en")
SAY_CURRENCIES = ("CNY", "USD")
# A branch node's comparisons: equals (as text), in (a list of texts), less/greater (as numbers;
# a value that is not a number never matches), empty (unset or "").
BRANCH_OPS = ("equals", "in", "less", "greater", "empty")
MAX_CONDITIONS = 20
MAX_VALUE_LENGTH = 200
# The http node's response: at most this many scalar fields become variables, each value cut to
# MAX_VALUE_LENGTH characters; a body over HTTP_MAX_BODY bytes is a failure (the fallback).
HTTP_MAX_FIELDS = 20
HTTP_MAX_BODY = 16 * 1024

_TIMEOUT = FieldSpec("timeout", FieldKind.INT, default=5, minimum=1, maximum=60)
# The uploaded prompt played instead of the text (the text stays: the test call and logs show it).
_AUDIO = FieldSpec("audio", FieldKind.AUDIO)

NODE_SPECS: dict[str, NodeSpec] = {
    spec.type: spec
    for spec in (
        NodeSpec(
            PLAY,
            (FieldSpec("prompt", FieldKind.TEXT, required=True), _AUDIO, FieldSpec("next", FieldKind.NODE, True)),
        ),
        NodeSpec(
            MENU,
            (
                FieldSpec("prompt", FieldKind.TEXT, required=True),
                _AUDIO,
                FieldSpec("options", FieldKind.OPTIONS, required=True),
                _TIMEOUT,
                FieldSpec("retries", FieldKind.INT, default=2, minimum=0, maximum=10),
                FieldSpec("retry_prompt", FieldKind.TEXT),
                FieldSpec("retry_audio", FieldKind.AUDIO),
                FieldSpec("invalid", FieldKind.NODE),
                FieldSpec("no_input", FieldKind.NODE),
                FieldSpec("agent_options", FieldKind.DIGITS, default=()),
            ),
            takes_input=True,
        ),
        NodeSpec(
            GATHER,
            (
                FieldSpec("prompt", FieldKind.TEXT, required=True),
                _AUDIO,
                FieldSpec("max_digits", FieldKind.INT, required=True, minimum=1, maximum=32),
                _TIMEOUT,
                FieldSpec("variable", FieldKind.VARIABLE, required=True),
                FieldSpec("next", FieldKind.NODE, required=True),
            ),
            takes_input=True,
        ),
        NodeSpec(
            HOURS,
            (
                FieldSpec("business_hours", FieldKind.HOURS, required=True),
                FieldSpec("open", FieldKind.NODE, required=True),
                FieldSpec("closed", FieldKind.NODE, required=True),
                FieldSpec("holiday", FieldKind.NODE),
            ),
        ),
        NodeSpec(
            QUEUE, (FieldSpec("queue", FieldKind.QUEUE, required=True), FieldSpec("after_call", FieldKind.NODE)), True
        ),
        NodeSpec(VOICEMAIL, (FieldSpec("queue", FieldKind.QUEUE), FieldSpec("prompt", FieldKind.TEXT), _AUDIO), True),
        NodeSpec(
            CALLBACK, (FieldSpec("queue", FieldKind.QUEUE, required=True), FieldSpec("prompt", FieldKind.TEXT)), True
        ),
        # Exactly one of number / queue: the validator checks that.
        NodeSpec(TRANSFER, (FieldSpec("number", FieldKind.NUMBER), FieldSpec("queue", FieldKind.QUEUE)), True),
        NodeSpec(
            SURVEY,
            (FieldSpec("prompt", FieldKind.TEXT, required=True), _AUDIO, _TIMEOUT, FieldSpec("next", FieldKind.NODE)),
            takes_input=True,
        ),
        NodeSpec(HANGUP, (), terminal=True),
        # Calls the customer's endpoint (signed like webhooks); the answer's scalar fields become
        # variables "<variable_prefix>_<field>". Time-out, error or non-2xx: "fallback".
        NodeSpec(
            HTTP,
            (
                FieldSpec("url", FieldKind.URL, required=True),
                FieldSpec("timeout_ms", FieldKind.INT, default=2000, minimum=500, maximum=5000),
                FieldSpec("variable_prefix", FieldKind.VARIABLE, default="http"),
                FieldSpec("next", FieldKind.NODE, required=True),
                FieldSpec("fallback", FieldKind.NODE, required=True),
            ),
        ),
        NodeSpec(
            SET,
            (
                FieldSpec("variable", FieldKind.VARIABLE, required=True),
                FieldSpec("value", FieldKind.VALUE),
                FieldSpec("next", FieldKind.NODE, required=True),
            ),
        ),
        NodeSpec(
            BRANCH,
            (
                FieldSpec("variable", FieldKind.VARIABLE, required=True),
                FieldSpec("conditions", FieldKind.CONDITIONS, default=()),
                FieldSpec("default", FieldKind.NODE, required=True),
            ),
        ),
        # Reads a variable out from word prompts; "audio" (an uploaded prompt) is played first.
        NodeSpec(
            SAY,
            (
                FieldSpec("kind", FieldKind.CHOICE, required=True, choices=SAY_KINDS),
                FieldSpec("variable", FieldKind.VARIABLE, required=True),
                FieldSpec("language", FieldKind.CHOICE, choices=SAY_LANGUAGES),
                FieldSpec("currency", FieldKind.CHOICE, default="CNY", choices=SAY_CURRENCIES),
                FieldSpec("prompt", FieldKind.TEXT),
                _AUDIO,
                FieldSpec("next", FieldKind.NODE, required=True),
            ),
        ),
    )
}

NODE_TYPES: tuple[str, ...] = tuple(NODE_SPECS)
TERMINAL_TYPES: frozenset[str] = frozenset(t for t, spec in NODE_SPECS.items() if spec.terminal)
# Fields any node may carry for people (the editor shows them); the runner ignores them.
COMMON_FIELDS: frozenset[str] = frozenset({"type", "label"})

NODE_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
DIGIT_RE = re.compile(r"^[0-9*#]$")
VARIABLE_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,31}$")
NUMBER_RE = re.compile(r"^\+?[0-9]{3,20}$")
AUDIO_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")  # as Prompt.name (services/prompts.py)

SURVEY_SCORES = ("1", "2", "3", "4", "5")


def value(node: dict, name: str) -> Any:
    """A node's field, or the field's default when the node leaves it out."""
    spec = NODE_SPECS[node["type"]].field(name)
    default = spec.default if spec is not None else None
    found = node.get(name)
    return default if found is None or found == "" else found


def edges(node: dict) -> list[tuple[str, str]]:
    """Every ``(field, target id)`` edge leaving a node; menu options appear as ``options.<digit>``."""
    spec = NODE_SPECS.get(str(node.get("type")))
    if spec is None:
        return []
    found: list[tuple[str, str]] = []
    for field in spec.fields:
        raw = node.get(field.name)
        if field.kind == FieldKind.NODE and isinstance(raw, str) and raw:
            found.append((field.name, raw))
        elif field.kind == FieldKind.OPTIONS and isinstance(raw, dict):
            found.extend((f"options.{digit}", target) for digit, target in raw.items() if isinstance(target, str))
        elif field.kind == FieldKind.CONDITIONS and isinstance(raw, list):
            found.extend(
                (f"conditions.{index}", condition["next"])
                for index, condition in enumerate(raw)
                if isinstance(condition, dict) and isinstance(condition.get("next"), str) and condition["next"]
            )
    return found


def references(graph: dict, kind: FieldKind) -> set[int]:
    """The ids of every queue (``FieldKind.QUEUE``) or business hours (``FieldKind.HOURS``) a graph names."""
    found: set[int] = set()
    nodes = graph.get("nodes") if isinstance(graph, dict) else None
    for node in (nodes or {}).values():
        spec = NODE_SPECS.get(str(node.get("type"))) if isinstance(node, dict) else None
        for field in spec.fields if spec else ():
            raw = node.get(field.name)
            if field.kind == kind and isinstance(raw, int) and not isinstance(raw, bool):
                found.add(raw)
    return found


def audio_names(graph: dict) -> set[str]:
    """Every uploaded-prompt name (``FieldKind.AUDIO`` fields) a graph plays."""
    found: set[str] = set()
    nodes = graph.get("nodes") if isinstance(graph, dict) else None
    for node in (nodes or {}).values() if isinstance(nodes, dict) else ():
        spec = NODE_SPECS.get(str(node.get("type"))) if isinstance(node, dict) else None
        for field in spec.fields if spec else ():
            raw = node.get(field.name)
            if field.kind == FieldKind.AUDIO and isinstance(raw, str) and raw:
                found.add(raw)
    return found


def empty_graph() -> dict:
    """The graph of a brand-new flow: it answers and hangs up (valid, so it can be published)."""
    return {"start": "hangup", "nodes": {"hangup": {"type": HANGUP}}}
