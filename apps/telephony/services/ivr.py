"""IVR flows: drafts, editing them one operation at a time, publishing, import/export, number
routing and the console's test call.

A flow has numbered versions. Only a *draft* is edited; publishing validates it, makes it
the *published* version (what calls run) and retires the one published before. Published
and retired versions never change again: any attempt raises ``ApplicationError`` with code
``"immutable"``. Editing a flow whose latest version is published starts a new draft.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.core.errors import ApplicationError
from apps.core.events import publish_on_commit
from apps.telephony.choices import IvrFlowStatus
from apps.telephony.ivr import editing, schema
from apps.telephony.ivr.editing import GraphEditError
from apps.telephony.ivr.hours import HoursSpec
from apps.telephony.ivr.http import perform, request_body, signed_headers
from apps.telephony.ivr.runner import (
    Action,
    Digits,
    Gather,
    HoursLookup,
    HttpRequest,
    HttpResult,
    IvrSession,
    NoInput,
    Play,
    PlayDone,
    QueueLookup,
    Say,
    Survey,
    ToQueue,
    action_dict,
)
from apps.telephony.ivr.validator import ValidationResult, validate_graph
from apps.telephony.models import BusinessHours, IvrFlow, IvrFlowVersion, PhoneNumber, Prompt, Queue
from apps.telephony.services.dialling import transfer_number_check
from apps.webhooks.services.integration import integration_secret

EXPORT_FORMAT = "contactcenter.ivr-flow"
EXPORT_FORMAT_VERSION = 1
MAX_GRAPH_NODES = 500
# A scripted test call stops after this many steps (a flow that loops on menus forever).
TEST_CALL_MAX_STEPS = 200


# --- lookups the validator and the runner use ------------------------------------------------------


def queue_lookup_db() -> QueueLookup:
    """``queue_id -> exists`` against the current tenant schema, cached for the lookup's life."""
    cache: dict[int, bool] = {}

    def exists(queue_id: int) -> bool:
        if queue_id not in cache:
            cache[queue_id] = Queue.objects.filter(pk=queue_id).exists()
        return cache[queue_id]

    return exists


def hours_lookup_db() -> HoursLookup:
    """``business_hours_id -> HoursSpec | None`` against the current tenant schema, cached."""
    cache: dict[int, HoursSpec | None] = {}

    def lookup(hours_id: int) -> HoursSpec | None:
        if hours_id not in cache:
            row = BusinessHours.objects.prefetch_related("overrides").filter(pk=hours_id).first()
            cache[hours_id] = HoursSpec.from_model(row) if row is not None else None
        return cache[hours_id]

    return lookup


def graph_validate(graph) -> ValidationResult:
    """Validate a graph against this tenant's queues, business hours and uploaded prompts."""
    queue_ids = set(
        Queue.objects.filter(pk__in=schema.references(graph, schema.FieldKind.QUEUE)).values_list("pk", flat=True)
    )
    hours_ids = set(
        BusinessHours.objects.filter(pk__in=schema.references(graph, schema.FieldKind.HOURS)).values_list(
            "pk", flat=True
        )
    )
    audio_names = set(Prompt.objects.filter(name__in=schema.audio_names(graph)).values_list("name", flat=True))
    return validate_graph(
        graph,
        queue_exists=queue_ids.__contains__,
        hours_exists=hours_ids.__contains__,
        audio_exists=audio_names.__contains__,
    )


def _invalid_flow(result: ValidationResult) -> ApplicationError:
    return ApplicationError(
        "invalid_flow",
        _("The flow has %(n)d problems; fix them before publishing.") % {"n": len(result.errors)},
        fields=result.error_fields(),
    )


def _check_graph_shape(graph) -> None:
    """A draft may be incomplete, but it must be a graph-shaped JSON object of sensible size."""
    if not isinstance(graph, dict) or not isinstance(graph.get("nodes", {}), dict):
        raise ApplicationError(
            "invalid",
            _("The graph must be a JSON object with “start” and “nodes”."),
            fields={"graph": [_("A JSON object with “start” and “nodes”.")]},
        )
    if editing.has_nul(graph):
        message = _("Text cannot contain a NUL character.")
        raise ApplicationError("invalid", message, fields={"graph": [message]})
    if len(graph.get("nodes", {})) > MAX_GRAPH_NODES:
        raise ApplicationError(
            "invalid",
            _("A flow has at most %(n)d nodes.") % {"n": MAX_GRAPH_NODES},
            fields={"graph": [_("At most %(n)d nodes.") % {"n": MAX_GRAPH_NODES}]},
        )


def _check_audio(graph: dict) -> None:
    """Saving a draft that plays an uploaded prompt which does not exist fails at once, naming the
    node's field (queues and hours wait for publishing; a prompt name is typed, so typos are likely)."""
    wanted = schema.audio_names(graph)
    if not wanted:
        return
    known = set(Prompt.objects.filter(name__in=wanted).values_list("name", flat=True))
    missing = {
        key: messages
        for key, messages in validate_graph(graph, audio_exists=known.__contains__).error_fields().items()
        if key.rsplit(".", 1)[-1] in ("audio", "retry_audio")
    }
    if missing:
        raise ApplicationError("missing_prompt", next(iter(missing.values()))[0], fields=missing)


# --- flows -------------------------------------------------------------------------------------------


def _check_name(name: str, *, exclude: int | None = None) -> str:
    name = (name or "").strip()
    if not name:
        raise ApplicationError("invalid", _("Name the flow."), fields={"name": [_("This field is required.")]})
    if len(name) > 100:
        raise ApplicationError("invalid", _("At most 100 characters."), fields={"name": [_("At most 100 characters.")]})
    taken = IvrFlow.objects.filter(name__iexact=name)
    if exclude is not None:
        taken = taken.exclude(pk=exclude)
    if taken.exists():
        raise ApplicationError(
            "duplicate", _("A flow with this name exists."), fields={"name": [_("A flow with this name exists.")]}
        )
    return name


@transaction.atomic
def flow_create(*, name: str, description: str = "", graph: dict | None = None) -> IvrFlow:
    """A new flow with draft version 1 (a flow that just hangs up unless a graph is given)."""
    name = _check_name(name)
    graph = schema.empty_graph() if graph is None else graph
    _check_graph_shape(graph)
    flow = IvrFlow.objects.create(name=name, description=description or "")
    IvrFlowVersion.objects.create(flow=flow, number=1, status=IvrFlowStatus.DRAFT, graph=graph)
    return flow


@transaction.atomic
def flow_update(*, flow: IvrFlow, name: str | None = None, description: str | None = None) -> IvrFlow:
    fields = []
    if name is not None:
        flow.name = _check_name(name, exclude=flow.pk)
        fields.append("name")
    if description is not None:
        flow.description = description
        fields.append("description")
    if fields:
        flow.save(update_fields=fields)
    return flow


@transaction.atomic
def flow_delete(*, flow: IvrFlow) -> None:
    numbers = list(PhoneNumber.objects.filter(ivr_flow=flow).values_list("number", flat=True))
    if numbers:
        raise ApplicationError(
            "in_use",
            _("Numbers %(numbers)s route to this flow; route them elsewhere first.") % {"numbers": ", ".join(numbers)},
        )
    flow.delete()


def _lock(flow: IvrFlow) -> IvrFlow:
    """Version changes of one flow are serialised on its row."""
    return IvrFlow.objects.select_for_update().get(pk=flow.pk)


def flow_latest(flow: IvrFlow) -> IvrFlowVersion | None:
    return flow.versions.order_by("-number").first()


def flow_draft(flow: IvrFlow) -> IvrFlowVersion | None:
    return flow.versions.filter(status=IvrFlowStatus.DRAFT).order_by("-number").first()


def _new_version(flow: IvrFlow, graph: dict) -> IvrFlowVersion:
    number = (flow.versions.aggregate(top=Max("number"))["top"] or 0) + 1
    return IvrFlowVersion.objects.create(flow=flow, number=number, status=IvrFlowStatus.DRAFT, graph=graph)


@transaction.atomic
def draft_create(*, flow: IvrFlow) -> IvrFlowVersion:
    """The flow's draft; when there is none, a new one copied from the latest version."""
    flow = _lock(flow)
    draft = flow_draft(flow)
    if draft is not None:
        return draft
    latest = flow_latest(flow)
    return _new_version(flow, latest.graph if latest is not None else schema.empty_graph())


@transaction.atomic
def draft_update(*, flow: IvrFlow, graph: dict) -> IvrFlowVersion:
    """Save ``graph`` as the flow's draft (creating the draft when the latest version is published)."""
    _check_graph_shape(graph)
    _check_audio(graph)
    flow = _lock(flow)
    draft = flow_draft(flow)
    if draft is None:
        return _new_version(flow, graph)
    draft.graph = graph
    draft.save(update_fields=["graph"])
    return draft


# --- editing the draft, one operation at a time (ivr/editing.py) --------------------------------------


def _working_graph(flow: IvrFlow) -> dict[str, Any]:
    """The graph an edit starts from: the draft, else the published version, else the latest."""
    version = flow_draft(flow) or flow.published or flow_latest(flow)
    return copy.deepcopy(version.graph) if version is not None else schema.empty_graph()


def _node_fields(error: ApplicationError, node_id: str) -> ApplicationError:
    """A draft check's ``nodes.<id>.<field>`` keys as the node's own field names (the form's, the
    API body's), when the edit was about that one node."""
    prefix = f"nodes.{node_id}."
    fields = {key.removeprefix(prefix): found for key, found in error.fields.items()}
    return ApplicationError(error.code, error.message, fields=fields, status=error.status)


@transaction.atomic
def draft_edit(
    *, flow: IvrFlow, edit: Callable[[dict[str, Any]], dict[str, Any]], node_id: str | None = None
) -> IvrFlowVersion:
    """Apply one editing operation (a function of ivr/editing.py, its arguments bound) to the flow's
    draft, starting the draft from the published version when there is none.

    The flow's row is locked before the draft is read, so edits of one flow run one after the
    other, each on the graph the previous one saved: two people changing different nodes at once
    both keep their change. A refused edit raises ``ApplicationError`` (400 ``invalid`` with the
    field at fault, 404 ``not_found`` for a node that does not exist) and saves nothing."""
    flow = _lock(flow)
    try:
        graph = edit(_working_graph(flow))
    except GraphEditError as error:
        raise ApplicationError(
            error.code, error.message, fields=error.fields, status=404 if error.code == "not_found" else 400
        ) from error
    _check_graph_shape(graph)
    try:
        _check_audio(graph)
    except ApplicationError as error:
        raise (_node_fields(error, node_id) if node_id is not None else error) from error
    draft = flow_draft(flow)
    if draft is None:
        return _new_version(flow, graph)
    draft.graph = graph
    draft.save(update_fields=["graph"])
    return draft


def node_add(*, flow: IvrFlow, node_id: str, node_type: str, fields: dict[str, Any] | None = None) -> IvrFlowVersion:
    """Add a node to the draft (the first node of an empty graph becomes its start)."""
    return draft_edit(flow=flow, edit=lambda g: editing.add_node(g, node_id, node_type, fields), node_id=node_id)


def node_update(*, flow: IvrFlow, node_id: str, changes: dict[str, Any], replace: bool = False) -> IvrFlowVersion:
    """Change one node of the draft: merge ``changes`` (the API's PATCH) or, with ``replace``,
    make them the node's fields (the console's node form, which shows every field)."""
    return draft_edit(
        flow=flow, edit=lambda g: editing.update_node(g, node_id, changes, replace=replace), node_id=node_id
    )


def node_remove(*, flow: IvrFlow, node_id: str) -> IvrFlowVersion:
    """Remove one node from the draft (edges to it dangle until fixed; publishing refuses them)."""
    return draft_edit(flow=flow, edit=lambda g: editing.remove_node(g, node_id))


def flow_start_set(*, flow: IvrFlow, node_id: str) -> IvrFlowVersion:
    """Make ``node_id`` the node the draft's calls start at."""
    return draft_edit(flow=flow, edit=lambda g: editing.set_start(g, node_id))


def _immutable(version: IvrFlowVersion) -> ApplicationError:
    return ApplicationError(
        "immutable",
        _("Version %(n)d is %(status)s and can no longer change; edit a draft instead.")
        % {"n": version.number, "status": version.get_status_display().lower()},
        status=409,
    )


@transaction.atomic
def version_update(*, version: IvrFlowVersion, graph: dict) -> IvrFlowVersion:
    """Change one version's graph: drafts only."""
    _lock(version.flow)
    version.refresh_from_db()
    if version.status != IvrFlowStatus.DRAFT:
        raise _immutable(version)
    _check_graph_shape(graph)
    _check_audio(graph)
    version.graph = graph
    version.save(update_fields=["graph"])
    return version


@transaction.atomic
def version_delete(*, version: IvrFlowVersion) -> None:
    """Discard a draft. Published and retired versions stay (calls and CDRs refer to them)."""
    _lock(version.flow)
    version.refresh_from_db()
    if version.status != IvrFlowStatus.DRAFT:
        raise _immutable(version)
    version.delete()


@dataclass(frozen=True)
class PublishResult:
    version: IvrFlowVersion
    warnings: dict[str, list[str]] = field(default_factory=dict)


def _check_transfer_numbers(graph: dict) -> None:
    """Transfer nodes send callers out through the trunk: their numbers follow the dialling policy
    (premium and prefixes; services/dialling.py). Checked when a flow is published."""
    for node_id, node in (graph.get("nodes") or {}).items():
        if isinstance(node, dict) and node.get("type") == schema.TRANSFER and node.get("number"):
            transfer_number_check(number=node["number"], field=f"nodes.{node_id}.number")


@transaction.atomic
def flow_publish(*, flow: IvrFlow, user=None) -> PublishResult:
    """Validate the draft and make it what calls run; the previously published version retires."""
    flow = _lock(flow)
    draft = flow_draft(flow)
    if draft is None:
        raise ApplicationError("no_draft", _("There is no draft to publish; edit the flow first."))
    result = graph_validate(draft.graph)
    if not result.ok:
        raise _invalid_flow(result)
    _check_transfer_numbers(draft.graph)
    now = timezone.now()
    flow.versions.filter(status=IvrFlowStatus.PUBLISHED).update(status=IvrFlowStatus.RETIRED)
    draft.status = IvrFlowStatus.PUBLISHED
    draft.published_at = now
    draft.published_by = user if user is not None and user.is_authenticated else None
    draft.save(update_fields=["status", "published_at", "published_by"])
    publish_on_commit(
        "engine", {"type": "ivr.published", "flow_id": flow.pk, "version_id": draft.pk, "version": draft.number}
    )
    return PublishResult(version=draft, warnings=result.warning_fields())


# --- import / export --------------------------------------------------------------------------------


def flow_export(*, flow: IvrFlow, version: IvrFlowVersion | None = None) -> dict[str, Any]:
    """A flow version as portable JSON. ``references`` maps the ids in the graph to queue codes
    and business-hours names, so an import into another tenant can find its own rows."""
    version = version or flow.published or flow_latest(flow)
    graph = version.graph if version is not None else schema.empty_graph()
    queues = Queue.objects.filter(pk__in=schema.references(graph, schema.FieldKind.QUEUE))
    hours = BusinessHours.objects.filter(pk__in=schema.references(graph, schema.FieldKind.HOURS))
    return {
        "format": EXPORT_FORMAT,
        "format_version": EXPORT_FORMAT_VERSION,
        "name": flow.name,
        "description": flow.description,
        "version": version.number if version is not None else None,
        "graph": graph,
        "references": {
            "queues": {str(q.pk): q.code for q in queues},
            "business_hours": {str(h.pk): h.name for h in hours},
        },
    }


def _remap(graph: dict, references: dict) -> dict:
    """Point the graph's queue and hours ids at this tenant's rows with the same code / name."""
    queue_codes = references.get("queues") or {}
    hours_names = references.get("business_hours") or {}
    local_queues = dict(Queue.objects.filter(code__in=list(queue_codes.values())).values_list("code", "pk"))
    local_hours = dict(BusinessHours.objects.filter(name__in=list(hours_names.values())).values_list("name", "pk"))
    nodes = {}
    for node_id, node in (graph.get("nodes") or {}).items():
        node = dict(node) if isinstance(node, dict) else node
        spec = schema.NODE_SPECS.get(str(node.get("type"))) if isinstance(node, dict) else None
        for field_spec in spec.fields if spec else ():
            raw = node.get(field_spec.name)
            if field_spec.kind == schema.FieldKind.QUEUE and str(raw) in queue_codes:
                node[field_spec.name] = local_queues.get(queue_codes[str(raw)], raw)
            elif field_spec.kind == schema.FieldKind.HOURS and str(raw) in hours_names:
                node[field_spec.name] = local_hours.get(hours_names[str(raw)], raw)
        nodes[node_id] = node
    return {**graph, "nodes": nodes}


def _import_document(data) -> tuple[dict, dict]:
    if not isinstance(data, dict) or not isinstance(data.get("graph"), dict):
        raise ApplicationError(
            "invalid",
            _("Not an exported IVR flow: expected a JSON object with a “graph”."),
            fields={"graph": [_("A JSON object with “start” and “nodes”.")]},
        )
    if data.get("format") not in (None, EXPORT_FORMAT):
        raise ApplicationError(
            "invalid", _("Unknown export format."), fields={"format": [_("Expected %(f)s.") % {"f": EXPORT_FORMAT}]}
        )
    references: dict = data["references"] if isinstance(data.get("references"), dict) else {}
    graph = _remap(data["graph"], references)
    _check_graph_shape(graph)
    return graph, data


def _free_name(name: str) -> str:
    name = (name or "").strip()[:90] or _("Imported flow")
    candidate, n = name, 2
    while IvrFlow.objects.filter(name__iexact=candidate).exists():
        candidate, n = f"{name} ({n})", n + 1
    return candidate


@transaction.atomic
def flow_import(*, data, flow: IvrFlow | None = None, name: str | None = None) -> IvrFlowVersion:
    """Import exported JSON: into ``flow`` as its draft, or as a new flow (a free name is picked
    when the exported one is taken). Returns the draft version holding the graph."""
    graph, document = _import_document(data)
    if flow is not None:
        return draft_update(flow=flow, graph=graph)
    flow_name = _check_name(name) if name else _free_name(str(document.get("name") or ""))
    created = flow_create(name=flow_name, description=str(document.get("description") or ""), graph=graph)
    return created.versions.get()


# --- routing numbers ---------------------------------------------------------------------------------


@transaction.atomic
def number_route_set(
    *, number: PhoneNumber, ivr_flow: IvrFlow | None = None, queue: Queue | None = None
) -> PhoneNumber:
    """Route a number to a flow's published version or straight to a queue (or nowhere: both None)."""
    if ivr_flow is not None and queue is not None:
        message = _("Route a number to a flow or to a queue, not both.")
        raise ApplicationError("invalid", message, fields={"ivr_flow_id": [message], "queue_id": [message]})
    if ivr_flow is not None and ivr_flow.published is None:
        message = _("Publish the flow before routing calls to it.")
        raise ApplicationError("not_published", message, fields={"ivr_flow_id": [message]})
    number = PhoneNumber.objects.select_for_update().get(pk=number.pk)
    number.ivr_flow = ivr_flow
    number.queue = queue
    number.save(update_fields=["ivr_flow", "queue"])
    publish_on_commit(
        "engine",
        {
            "type": "number.route",
            "number_id": number.pk,
            "number": number.number,
            "ivr_flow_id": ivr_flow.pk if ivr_flow else None,
            "queue_id": queue.pk if queue else None,
        },
    )
    return number


# --- what the engine runs ------------------------------------------------------------------------


def flow_session(*, flow: IvrFlow, now: dt.datetime) -> tuple[IvrFlowVersion, IvrSession] | None:
    """A session on ``flow``'s published version with database lookups (the current tenant
    schema must be active), or ``None`` when nothing is published. The engine stores the
    version on the CDR (``Call.ivr_version``) and ``session.path`` in ``Call.ivr_path``."""
    version = flow.published
    if version is None:
        return None
    session = IvrSession(version.graph, now_local=now, hours_lookup=hours_lookup_db(), queue_lookup=queue_lookup_db())
    return version, session


# --- the console's test call ------------------------------------------------------------------------


@dataclass
class TestCallResult:
    __test__ = False  # pytest: not a test class despite the name

    path: list[dict[str, Any]]
    actions: list[dict[str, Any]]
    result: dict[str, Any] | None
    variables: dict[str, str]
    survey_score: int | None
    reached_agent_request: bool
    unused_digits: list[str | None]
    finished: bool

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _test_http(action: HttpRequest, mocks: dict[str, Any], caller: str) -> HttpResult:
    """An http node in a test call: the answer typed for the node (a JSON object as the
    endpoint's answer, or ``"timeout"`` / ``"error"``), else a real signed request to the
    endpoint, as the engine makes it (same body, secret, SSRF guard and time-out)."""
    if action.node in mocks:
        mock = mocks[action.node]
        if isinstance(mock, dict):
            return HttpResult(True, 200, mock)
        if mock == "timeout":
            return HttpResult(False, error="timeout")
        return HttpResult(False, 500, error="status")
    body = request_body(action, call_uid="test-call", caller=caller, callee="")
    return perform(action.url, body, signed_headers(integration_secret(), body), action.timeout_ms / 1000.0)


def flow_test_call(
    *,
    version: IvrFlowVersion,
    digits: list[str | None],
    at: dt.datetime | None = None,
    http_responses: dict[str, Any] | None = None,
    caller: str = "10000000000",
) -> TestCallResult:
    """Walk ``version`` as a caller pressing ``digits`` in order, at ``at`` (default now).

    Each prompt that waits for keys takes the next entry (``None`` or ``""``: the caller
    stays silent); when the list runs out the caller stays silent. An http node takes the answer
    given for it in ``http_responses`` (``{node id: {JSON answer} | "timeout" | "error"}``), else
    calls the endpoint for real (signed, as the engine does). Say nodes show what they speak. If the call reaches a
    queue with a post-call step and entries remain, the walk continues there as if the
    agent had finished. Draft versions are validated first (errors raise ``invalid_flow``).
    """
    result = graph_validate(version.graph)
    if not result.ok:
        raise _invalid_flow(result)
    session = IvrSession(
        version.graph,
        now_local=at or timezone.now(),
        hours_lookup=hours_lookup_db(),
        queue_lookup=queue_lookup_db(),
        language=getattr(getattr(connection, "tenant", None), "default_language", "") or "zh-Hans",
    )
    mocks = dict(http_responses or {})
    remaining: list[str | None] = list(digits)
    actions: list[Action] = [session.start()]
    for _step in range(TEST_CALL_MAX_STEPS):
        action = actions[-1]
        if session.done:
            if isinstance(action, ToQueue) and action.after_call_node and remaining:
                actions.append(session.after_call())
                continue
            break
        if isinstance(action, Play | Say):
            actions.append(session.feed(PlayDone()))
        elif isinstance(action, HttpRequest):
            actions.append(session.feed(_test_http(action, mocks, caller)))
        elif isinstance(action, Gather | Survey):
            entry = remaining.pop(0) if remaining else None
            actions.append(session.feed(Digits(entry) if entry else NoInput()))
    return TestCallResult(
        path=session.path,
        actions=[action_dict(action) for action in actions],
        result=action_dict(actions[-1]) if session.done else None,
        variables=dict(session.variables),
        survey_score=session.survey_score,
        reached_agent_request=session.reached_agent_request,
        unused_digits=remaining,
        finished=session.done,
    )
