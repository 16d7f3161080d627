"""Runs one caller through a flow graph: pure Python, no database, no clock of its own.

The engine (or a test, or the console's "test call") drives an :class:`IvrSession`:
``start()`` returns the first action; after doing it (playing a prompt, collecting keys)
the driver feeds the outcome back with ``feed(input)`` and gets the next action, until a
terminal action (``ToQueue``, ``Voicemail``, ``Callback``, ``Transfer``, ``Hangup``) ends
the session. ``ToQueue`` may name an ``after_call_node``: when the agent leaves and the
caller is still on the line, ``after_call()`` resumes the flow there (a post-call survey).

Actions (all frozen dataclasses carrying the ``node`` id that produced them):

- ``Play(node, prompt, audio)`` → feed ``PlayDone()``.
- ``Gather(node, prompt, max_digits, timeout, options)`` → feed ``Digits("…")`` or ``NoInput()``.
  ``options`` lists a menu's keys (empty for a free-form gather).
- ``Survey(node, prompt, timeout)`` → feed ``Digits`` (one key, 1–5) or ``NoInput()``.
- ``ToQueue(node, queue_id, after_call_node)``, ``Voicemail(node, queue_id)``,
  ``Callback(node, queue_id)``, ``Transfer(node, number, queue_id)``, ``Hangup(node, reason)``.

``Play``, ``Gather``, ``Survey`` and ``Voicemail`` carry ``audio``: the name of the uploaded
prompt to play ("" when the node has none; the driver then plays ``prompt``).

The session records ``path`` (for the CDR's ``ivr_path``), ``variables`` (gathered digits),
``survey_score`` and ``reached_agent_request`` (a menu key marked as "asked for an agent").
The graph is assumed valid (published versions are validated); anything it cannot follow
at run time ends the call with ``Hangup(reason="error")`` rather than raising.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from apps.telephony.ivr import schema
from apps.telephony.ivr.hours import HoursSpec, HoursState, hours_state
from apps.telephony.speech import words as speech

# Moving from node to node without waiting for the caller more often than this means a loop.
MAX_AUTOMATIC_STEPS = 100


# --- inputs -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlayDone:
    """The prompt of the last ``Play`` finished."""


@dataclass(frozen=True)
class Digits:
    """Keys the caller pressed (a whole entry: "1", "12345", "#")."""

    digits: str


@dataclass(frozen=True)
class NoInput:
    """The caller pressed nothing before the timeout."""


@dataclass(frozen=True)
class HttpResult:
    """The outcome of an ``HttpRequest``: ``ok`` with the answer's JSON object (``data``), or not
    (``error``: ``timeout``, ``status``, ``not_json``, ``too_large``, ``refused``, ``unsafe_url``,
    ``connection`` …; ``status`` is the HTTP status when there was one)."""

    ok: bool
    status: int | None = None
    data: dict | None = None
    error: str = ""


Input = PlayDone | Digits | NoInput | HttpResult


# --- actions ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Play:
    node: str
    prompt: str
    audio: str = ""
    kind: str = "play"


@dataclass(frozen=True)
class Gather:
    node: str
    prompt: str
    max_digits: int
    timeout: int
    options: list[str] = field(default_factory=list)
    audio: str = ""
    kind: str = "gather"


@dataclass(frozen=True)
class Survey:
    node: str
    prompt: str
    timeout: int = 5
    audio: str = ""
    kind: str = "survey"


@dataclass(frozen=True)
class ToQueue:
    node: str
    queue_id: int
    after_call_node: str | None = None
    kind: str = "queue"


@dataclass(frozen=True)
class Voicemail:
    node: str
    queue_id: int | None = None
    prompt: str = ""
    audio: str = ""
    kind: str = "voicemail"


@dataclass(frozen=True)
class Callback:
    node: str
    queue_id: int
    prompt: str = ""
    kind: str = "callback"


@dataclass(frozen=True)
class Transfer:
    node: str
    number: str | None = None
    queue_id: int | None = None
    kind: str = "transfer"


@dataclass(frozen=True)
class Hangup:
    node: str | None
    reason: str = "ivr_end"
    kind: str = "hangup"


@dataclass(frozen=True)
class Say:
    """Read out a value: play ``audio`` (when given) then the word prompts ``words`` in order;
    ``text`` is what they say (the simulator's transcript). Feed ``PlayDone()``."""

    node: str
    words: tuple[str, ...]
    text: str
    prompt: str = ""
    audio: str = ""
    kind: str = "say"


@dataclass(frozen=True)
class HttpRequest:
    """Call the customer's endpoint (the engine signs it and adds the call's numbers); feed
    ``HttpResult`` within ``timeout_ms`` — the engine feeds a time-out itself."""

    node: str
    url: str
    timeout_ms: int
    variables: dict[str, str] = field(default_factory=dict)
    kind: str = "http"


Action = Play | Gather | Survey | Say | HttpRequest | ToQueue | Voicemail | Callback | Transfer | Hangup
TERMINAL_ACTIONS = (ToQueue, Voicemail, Callback, Transfer, Hangup)

# Hang-up reasons the session gives.
REASON_END = "ivr_end"  # a hangup node, or a survey without "next"
REASON_RETRIES = "max_retries"  # a menu ran out of retries and has no fallback
REASON_UNAVAILABLE = "unavailable"  # a queue or business-hours row the flow names is gone
REASON_ERROR = "error"  # the graph cannot be followed (missing node, loop)


def action_dict(action: Action) -> dict[str, Any]:
    """An action as JSON (the API's test call, logs)."""
    data = {key: value for key, value in action.__dict__.items() if key != "kind"}
    return {"type": action.kind, **data}


def _audio(node: dict, name: str = "audio") -> str:
    raw = node.get(name)
    return raw if isinstance(raw, str) else ""


_TEMPLATE = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]{0,31})\}")
_FIELD_NAME = re.compile(r"^[A-Za-z0-9_]{1,32}$")


def render(template: str, variables: dict[str, str]) -> str:
    """``"{order_id}-x"`` with each ``{name}`` replaced by the variable (unknown: empty)."""
    return _TEMPLATE.sub(lambda match: variables.get(match[1], ""), template)[: schema.MAX_VALUE_LENGTH]


def _number(raw) -> Decimal | None:
    try:
        found = Decimal(str(raw).strip())
    except (InvalidOperation, ValueError):
        return None
    return found if found.is_finite() else None


def condition_matches(condition: dict, current: str) -> bool:
    """One branch condition against the variable's value (text)."""
    op = condition.get("op")
    wanted = condition.get("value")
    if op == "empty":
        return current == ""
    if op == "equals":
        return current == _text(wanted)
    if op == "in":
        return isinstance(wanted, list) and current in [_text(item) for item in wanted]
    if op in ("less", "greater"):
        left, right = _number(current), _number(wanted)
        if left is None or right is None:
            return False
        return left < right if op == "less" else left > right
    return False


def _text(raw) -> str:
    """A JSON scalar as a variable's text: true/false, numbers as written, null → ""."""
    if raw is None:
        return ""
    if isinstance(raw, bool):
        return "true" if raw else "false"
    return str(raw)


def response_variables(prefix: str, data: dict) -> dict[str, str]:
    """The endpoint's answer → variables ``<prefix>_<field>``: scalar fields only (objects and
    lists are skipped), names that fit a variable name, at most ``HTTP_MAX_FIELDS``, values cut
    to ``MAX_VALUE_LENGTH`` characters."""
    found: dict[str, str] = {}
    for key, raw in data.items():
        if len(found) >= schema.HTTP_MAX_FIELDS:
            break
        if isinstance(raw, dict | list) or not isinstance(key, str) or not _FIELD_NAME.match(key):
            continue
        name = f"{prefix}_{key}"
        if not schema.VARIABLE_RE.match(name):
            continue
        found[name] = _text(raw)[: schema.MAX_VALUE_LENGTH]
    return found


HoursLookup = Callable[[int], HoursSpec | None]
QueueLookup = Callable[[int], bool]


class IvrSessionError(RuntimeError):
    """The driver fed an input while no action was waiting for one."""


class IvrSession:
    """One caller's walk through a graph.

    ``now_local``: the moment hours nodes are evaluated at (aware; the driver may update the
    attribute as the call goes on). ``hours_lookup(id)`` returns the business hours as a
    :class:`HoursSpec` (``None``: gone → the hours node takes its *closed* branch).
    ``queue_lookup(id)`` tells whether a queue still exists (``None``: assume it does);
    a missing queue hangs up with reason "unavailable".
    """

    def __init__(
        self,
        graph: dict,
        *,
        now_local: dt.datetime,
        hours_lookup: HoursLookup,
        queue_lookup: QueueLookup | None = None,
        language: str = "zh-Hans",
    ) -> None:
        self.graph = graph
        self.nodes: dict[str, dict] = graph.get("nodes") or {}
        self.now_local = now_local
        self.hours_lookup = hours_lookup
        self.queue_lookup = queue_lookup
        self.language = language  # say nodes without their own language
        self.path: list[dict[str, Any]] = []
        self.variables: dict[str, str] = {}
        self.survey_score: int | None = None
        self.reached_agent_request = False
        self.current: Action | None = None
        self.finished = False
        self._attempts = 0

    # --- the driver's interface ---------------------------------------------------------------

    def start(self) -> Action:
        if self.current is not None or self.finished:
            raise IvrSessionError("the session has already started")
        return self._enter(self.graph.get("start"))

    def feed(self, received: Input) -> Action:
        action = self.current
        if action is None or isinstance(action, TERMINAL_ACTIONS):
            raise IvrSessionError("no action is waiting for input")
        node = self.nodes[action.node]
        if isinstance(action, HttpRequest):
            return self._http_answer(action.node, node, received)
        if isinstance(action, Play | Say):
            # Keys pressed during a prompt do not skip ahead; the prompt counts as heard.
            return self._enter(node["next"])
        if isinstance(action, Survey):
            return self._survey_answer(action.node, node, received)
        if node["type"] == schema.MENU:
            return self._menu_answer(action.node, node, received)
        return self._gather_answer(action.node, node, received)

    def after_call(self) -> Action:
        """Resume after the agent left the call: the queue node's ``after_call`` node, or hang up."""
        action = self.current
        if not isinstance(action, ToQueue):
            raise IvrSessionError("after_call() follows a ToQueue action only")
        if not action.after_call_node:
            return self._finish(Hangup(action.node, REASON_END))
        self.finished = False
        self.path.append({"node": action.node, "type": schema.QUEUE, "outcome": "after_call"})
        return self._enter(action.after_call_node)

    @property
    def done(self) -> bool:
        return self.finished

    # --- moving through the graph -------------------------------------------------------------

    def _enter(self, node_id: str | None, steps: int = 0) -> Action:
        """Follow automatic nodes from ``node_id`` until one needs the caller or ends the call."""
        while True:
            if steps > MAX_AUTOMATIC_STEPS or node_id not in self.nodes:
                return self._finish(Hangup(node_id, REASON_ERROR))
            steps += 1
            node = self.nodes[node_id]
            node_type = node.get("type")
            if node_type == schema.HOURS:
                outcome = self._hours_outcome(node)
                self.path.append({"node": node_id, "type": node_type, "outcome": outcome})
                node_id = node.get(outcome) or node.get("closed")
                continue
            if node_type == schema.SET:
                self.variables[node["variable"]] = render(str(node.get("value") or ""), self.variables)
                self.path.append({"node": node_id, "type": node_type, "outcome": "stored"})
                node_id = node.get("next")
                continue
            if node_type == schema.BRANCH:
                outcome, target = self._branch(node)
                self.path.append({"node": node_id, "type": node_type, "outcome": outcome})
                node_id = target
                continue
            self.path.append({"node": node_id, "type": node_type})
            self._attempts = 0
            if node_type == schema.SAY:
                said = self._say(node_id, node)
                if said is None:
                    node_id = node.get("next")
                    continue
                return said
            return self._act(node_id, node)

    def _act(self, node_id: str, node: dict) -> Action:
        node_type = node.get("type")
        if node_type == schema.PLAY:
            return self._wait(Play(node_id, node["prompt"], _audio(node)))
        if node_type == schema.MENU:
            return self._wait(self._menu_prompt(node_id, node, node["prompt"], _audio(node)))
        if node_type == schema.GATHER:
            return self._wait(
                Gather(
                    node_id,
                    node["prompt"],
                    schema.value(node, "max_digits"),
                    schema.value(node, "timeout"),
                    audio=_audio(node),
                )
            )
        if node_type == schema.HTTP:
            return self._wait(HttpRequest(node_id, node["url"], schema.value(node, "timeout_ms"), dict(self.variables)))
        if node_type == schema.SURVEY:
            return self._wait(Survey(node_id, node["prompt"], schema.value(node, "timeout"), _audio(node)))
        if node_type == schema.QUEUE:
            queue_id = node["queue"]
            if not self._queue_ok(queue_id):
                return self._finish(Hangup(node_id, REASON_UNAVAILABLE))
            return self._finish(ToQueue(node_id, queue_id, node.get("after_call") or None))
        if node_type == schema.VOICEMAIL:
            return self._finish(Voicemail(node_id, node.get("queue"), node.get("prompt") or "", _audio(node)))
        if node_type == schema.CALLBACK:
            return self._finish(Callback(node_id, node["queue"], node.get("prompt") or ""))
        if node_type == schema.TRANSFER:
            queue_id = node.get("queue")
            if queue_id and not self._queue_ok(queue_id):
                return self._finish(Hangup(node_id, REASON_UNAVAILABLE))
            return self._finish(Transfer(node_id, node.get("number") or None, queue_id or None))
        if node_type == schema.HANGUP:
            return self._finish(Hangup(node_id, REASON_END))
        return self._finish(Hangup(node_id, REASON_ERROR))

    def _wait(self, action: Action) -> Action:
        self.current = action
        return action

    def _finish(self, action: Action) -> Action:
        self.current = action
        self.finished = True
        return action

    def _queue_ok(self, queue_id: int) -> bool:
        return self.queue_lookup is None or bool(self.queue_lookup(queue_id))

    def _hours_outcome(self, node: dict) -> str:
        spec = self.hours_lookup(node["business_hours"])
        if spec is None:
            return HoursState.CLOSED.value
        state = hours_state(spec, self.now_local)
        if state == HoursState.HOLIDAY and not node.get("holiday"):
            return HoursState.CLOSED.value
        return state.value

    def _branch(self, node: dict) -> tuple[str, str | None]:
        current = self.variables.get(node["variable"], "")
        for index, condition in enumerate(node.get("conditions") or ()):
            if isinstance(condition, dict) and condition_matches(condition, current):
                return f"conditions.{index}", condition.get("next")
        return "default", node.get("default")

    def _say(self, node_id: str, node: dict) -> Action | None:
        language = node.get("language") or self.language
        raw = self.variables.get(node["variable"], "")
        try:
            names = speech.say(node["kind"], raw, language, currency=schema.value(node, "currency"))
        except speech.SpeechError:
            # Nothing sensible to say (an empty or malformed value): carry on without it.
            self.path[-1].update(outcome="unspeakable", value=raw[: schema.MAX_VALUE_LENGTH])
            return None
        self.path[-1].update(outcome="said", value=raw[: schema.MAX_VALUE_LENGTH])
        return self._wait(Say(node_id, tuple(names), speech.text(names), str(node.get("prompt") or ""), _audio(node)))

    # --- answers ------------------------------------------------------------------------------

    def _http_answer(self, node_id: str, node: dict, received: Input) -> Action:
        entry = self.path[-1]
        if isinstance(received, HttpResult) and received.ok and isinstance(received.data, dict):
            prefix = schema.value(node, "variable_prefix")
            stored = response_variables(prefix, received.data)
            self.variables.update(stored)
            entry.update(outcome="ok", status=received.status, stored=sorted(stored))
            return self._enter(node["next"])
        if isinstance(received, HttpResult):
            entry.update(outcome="fallback", status=received.status, error=received.error or "failed")
        else:
            entry.update(outcome="fallback", error="no_result")
        return self._enter(node["fallback"])

    def _menu_prompt(self, node_id: str, node: dict, prompt: str, audio: str = "") -> Gather:
        options = sorted((node.get("options") or {}).keys())
        return Gather(node_id, prompt, 1, schema.value(node, "timeout"), options, audio)

    def _menu_answer(self, node_id: str, node: dict, received: Input) -> Action:
        options = node.get("options") or {}
        entry = self.path[-1]
        if isinstance(received, Digits) and received.digits in options:
            entry.update(input=received.digits, outcome="option")
            if received.digits in (schema.value(node, "agent_options") or ()):
                self.reached_agent_request = True
            return self._enter(options[received.digits])
        failure = "invalid" if isinstance(received, Digits) else "no_input"
        entry.update(input=received.digits if isinstance(received, Digits) else None, outcome=failure)
        self._attempts += 1
        if self._attempts <= schema.value(node, "retries"):
            attempts = self._attempts
            self.path.append({"node": node_id, "type": schema.MENU, "retry": attempts})
            prompt = node.get("retry_prompt") or node["prompt"]
            audio = _audio(node, "retry_audio") or _audio(node)
            return self._wait(self._menu_prompt(node_id, node, prompt, audio))
        other = "no_input" if failure == "invalid" else "invalid"
        fallback = node.get(failure) or node.get(other)
        if not fallback:
            return self._finish(Hangup(node_id, REASON_RETRIES))
        return self._enter(fallback)

    def _gather_answer(self, node_id: str, node: dict, received: Input) -> Action:
        entry = self.path[-1]
        digits = received.digits[: schema.value(node, "max_digits")] if isinstance(received, Digits) else ""
        self.variables[node["variable"]] = digits
        entry.update(input=digits or None, outcome="stored" if digits else "no_input")
        return self._enter(node["next"])

    def _survey_answer(self, node_id: str, node: dict, received: Input) -> Action:
        entry = self.path[-1]
        if isinstance(received, Digits) and received.digits in schema.SURVEY_SCORES:
            self.survey_score = int(received.digits)
            entry.update(input=received.digits, outcome="score")
        else:
            entry.update(input=received.digits if isinstance(received, Digits) else None, outcome="no_score")
        if node.get("next"):
            return self._enter(node["next"])
        return self._finish(Hangup(node_id, REASON_END))


__all__ = [
    "Action",
    "Callback",
    "Digits",
    "Gather",
    "Hangup",
    "HttpRequest",
    "HttpResult",
    "Input",
    "IvrSession",
    "IvrSessionError",
    "NoInput",
    "Play",
    "PlayDone",
    "Say",
    "Survey",
    "ToQueue",
    "Transfer",
    "Voicemail",
    "action_dict",
]
