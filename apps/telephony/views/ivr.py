"""The IVR console (/console/ivr/): flows, their node editor, publishing, test calls,
business hours and number routing. Views validate input, call one service, render."""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import json
from collections.abc import Callable
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy
from django.views.decorators.http import require_POST

from apps.accounts.choices import Role
from apps.accounts.views import role_required
from apps.core.errors import ApplicationError
from apps.core.forms import apply_error
from apps.telephony.choices import IvrFlowStatus
from apps.telephony.forms.ivr import (
    NODE_TYPE_LABELS,
    FlowForm,
    GraphJsonForm,
    HoursForm,
    ImportForm,
    NodeAddForm,
    OverrideForm,
    RouteForm,
    StartForm,
    TestCallForm,
    apply_hours_error,
    node_form_class,
    node_from_form,
    node_initial,
)
from apps.telephony.ivr import diagram, schema
from apps.telephony.ivr.hours import HoursSpec, day_plan, hours_state, zone
from apps.telephony.models import BusinessHours, HolidayOverride, IvrFlow, IvrFlowVersion, PhoneNumber, Queue
from apps.telephony.services import business_hours as hours_services
from apps.telephony.services import ivr as ivr_services

admin_only = role_required(Role.TENANT_ADMIN)

# --- helpers -----------------------------------------------------------------------------------------


def _working_version(flow: IvrFlow) -> IvrFlowVersion | None:
    """What the editor shows: the draft, else the published version, else the latest."""
    return ivr_services.flow_draft(flow) or flow.published or ivr_services.flow_latest(flow)


def _graph_of(flow: IvrFlow) -> dict[str, Any]:
    version = _working_version(flow)
    return copy.deepcopy(version.graph) if version is not None else schema.empty_graph()


def _htmx(request: HttpRequest) -> bool:
    """Whether htmx asked (django_htmx's middleware sets ``request.htmx``; the stubs do not know it)."""
    return bool(getattr(request, "htmx", False))


def _edited(request: HttpRequest, edit: Callable[[], object], success: str) -> bool:
    """Run one change (a services/ivr.py or business-hours call); say how it went."""
    try:
        edit()
    except ApplicationError as error:
        messages.error(request, str(error.message))
        return False
    messages.success(request, success)
    return True


# The words written on the diagram's arrows (a menu key is written as it is). Contexts: "open",
# "next" and "closed" read differently elsewhere in the product.
EDGE_LABELS = {
    "next": pgettext_lazy("ivr branch", "next"),
    "open": pgettext_lazy("ivr branch", "open"),
    "closed": pgettext_lazy("ivr branch", "closed"),
    "holiday": pgettext_lazy("ivr branch", "holiday"),
    "invalid": pgettext_lazy("ivr branch", "no match"),
    "no_input": pgettext_lazy("ivr branch", "timeout"),
    "after_call": pgettext_lazy("ivr branch", "after call"),
    "fallback": pgettext_lazy("ivr branch", "failed"),
    "default": pgettext_lazy("ivr branch", "otherwise"),
}
CONDITION_SIGNS = {"equals": "=", "in": "∈", "less": "<", "greater": ">", "empty": "∅"}


def _condition_text(graph: dict, node_id: str, index: str) -> str:
    """A branch edge's words: the comparison (``= shipped``, ``< 10``, ``∅``), cut short."""
    try:
        condition = graph["nodes"][node_id]["conditions"][int(index)]
        sign = CONDITION_SIGNS.get(condition.get("op"), "?")
        value = condition.get("value")
    except (KeyError, IndexError, TypeError, ValueError, AttributeError):
        return index
    shown = "" if value is None else ",".join(map(str, value)) if isinstance(value, list) else str(value)
    return diagram.clip(f"{sign} {shown}".strip(), 12)


def _summary(node: dict, queue_names: dict[int, str] | None = None) -> str:
    """One line describing a node in the editor's table."""
    return diagram.clip(diagram.summary(node, queue_names), 80)


def _queue_names() -> dict[int, str]:
    return dict(Queue.objects.values_list("id", "name"))


def _diagram(graph: dict, problems: dict, warnings: dict, queue_names: dict[int, str]) -> diagram.Diagram:
    """The laid-out diagram, with its words in the user's language (the layout is language-free)."""
    laid = diagram.layout(graph, problems, warnings, queue_names)
    for node in laid.nodes:
        node.type_label = str(NODE_TYPE_LABELS.get(node.type, node.type))
    for edge in laid.edges:
        if edge.field == "conditions":
            edge.text = _condition_text(graph, edge.source, edge.key)
            continue
        edge.text = edge.key if edge.field == "options" else str(EDGE_LABELS.get(edge.field, edge.field))
    return laid


def _walk_order(graph: dict) -> list[str]:
    """Node ids in the order a caller meets them (breadth-first from the start), then the rest.
    The database does not keep the order the graph's keys were written in."""
    nodes = graph.get("nodes") or {}
    order: list[str] = []
    queue: list[Any] = [graph.get("start")]
    while queue:
        node_id = queue.pop(0)
        if node_id in nodes and node_id not in order:
            order.append(node_id)
            node = nodes[node_id]
            queue.extend(target for _field, target in (schema.edges(node) if isinstance(node, dict) else []))
    return order + sorted(node_id for node_id in nodes if node_id not in order)


def _node_rows(graph: dict, problems: dict[str, list[str]], queue_names: dict[int, str]) -> list[dict]:
    rows = []
    nodes = graph.get("nodes") or {}
    for node_id in _walk_order(graph):
        node = nodes[node_id]
        if not isinstance(node, dict):
            continue
        prefix = f"nodes.{node_id}"
        rows.append(
            {
                "id": node_id,
                "type": node.get("type"),
                "type_label": NODE_TYPE_LABELS.get(str(node.get("type")), node.get("type")),
                "label": node.get("label", ""),
                "summary": _summary(node, queue_names),
                "edges": schema.edges(node),
                "is_start": node_id == graph.get("start"),
                "problems": [
                    f"{key.removeprefix(prefix).lstrip('.') or _('node')}: {message}"
                    for key, found in problems.items()
                    if key == prefix or key.startswith(prefix + ".")
                    for message in found
                ],
            }
        )
    return rows


# --- flows -------------------------------------------------------------------------------------------


@admin_only
def flows(request):
    form = FlowForm(request.POST or None, prefix="new")
    if request.method == "POST" and form.is_valid():
        try:
            flow = ivr_services.flow_create(**form.cleaned_data)
        except ApplicationError as error:
            apply_error(form, error)
        else:
            messages.success(request, _("Flow created."))
            return redirect("ivr:flow", pk=flow.pk)
    all_flows = list(IvrFlow.objects.prefetch_related("versions", "numbers"))
    rows = []
    for flow in all_flows:
        versions = list(flow.versions.all())
        rows.append(
            {
                "flow": flow,
                "published": next((v.number for v in versions if v.status == IvrFlowStatus.PUBLISHED), None),
                "draft": next((v.number for v in versions if v.status == IvrFlowStatus.DRAFT), None),
                "numbers": [n.number for n in flow.numbers.all()],
            }
        )
    queues = list(Queue.objects.all())
    published_flows = [f for f in all_flows if any(v.status == IvrFlowStatus.PUBLISHED for v in f.versions.all())]
    numbers = []
    for number in PhoneNumber.objects.order_by("number"):
        current = (
            f"flow:{number.ivr_flow_id}"
            if number.ivr_flow_id
            else (f"queue:{number.queue_id}" if number.queue_id else "")
        )
        numbers.append(
            (
                number,
                RouteForm(initial={"target": current}, flows=published_flows, queues=queues, prefix=f"n{number.pk}"),
            )
        )
    context = {"rows": rows, "form": form, "import_form": ImportForm(prefix="import"), "numbers": numbers}
    return render(request, "telephony/ivr/flows.html", context)


@require_POST
@admin_only
def flow_import_view(request):
    form = ImportForm(request.POST, prefix="import")
    if form.is_valid():
        try:
            version = ivr_services.flow_import(data=form.cleaned_data["document"])
        except ApplicationError as error:
            messages.error(request, str(error.message))
        else:
            messages.success(request, _("Flow imported as a draft."))
            return redirect("ivr:flow", pk=version.flow_id)
    else:
        for message in form.errors.get("document", []):
            messages.error(request, str(message))
    return redirect("ivr:flows")


@require_POST
@admin_only
def number_route(request, pk: int):
    number = get_object_or_404(PhoneNumber, pk=pk)
    target = request.POST.get(f"n{number.pk}-target", "")
    flow = queue = None
    kind, _sep, ident = target.partition(":")
    if kind == "flow" and ident.isdigit():
        flow = get_object_or_404(IvrFlow, pk=int(ident))
    elif kind == "queue" and ident.isdigit():
        queue = get_object_or_404(Queue, pk=int(ident))
    _edited(
        request,
        lambda: ivr_services.number_route_set(number=number, ivr_flow=flow, queue=queue),
        _("Routing of %(number)s saved.") % {"number": number.number},
    )
    return redirect("ivr:flows")


def _node_panel(
    flow: IvrFlow, graph: dict, node_id: str, form: forms.Form | None = None, problems: dict | None = None
) -> dict[str, Any] | None:
    """What the diagram's side panel needs to edit one node (``form``: a bound one to show again)."""
    node = (graph.get("nodes") or {}).get(node_id)
    if not isinstance(node, dict) or node.get("type") not in schema.NODE_SPECS:
        return None
    if form is None:
        form = node_form_class(node["type"], sorted(graph["nodes"]))(initial=node_initial(node))
    return {
        "node_id": node_id,
        "node": node,
        "type_label": NODE_TYPE_LABELS.get(node["type"]),
        "icon": diagram.ICONS.get(node["type"], ""),
        "form": form,
        "problems": diagram.problems_of(problems or {}, node_id),
    }


def _test_view(result: Any, queue_names: dict[int, str]) -> dict[str, Any] | None:
    """The test call's path and ending as people read them: node types and queues by name."""
    if result is None:
        return None
    # What each say node spoke (its action's text), shown on its step.
    spoken = iter([action.get("text", "") for action in result.actions if action.get("type") == "say"])
    path = [
        {
            **step,
            "type_label": NODE_TYPE_LABELS.get(str(step.get("type")), step.get("type")),
            "says": next(spoken, "") if step.get("type") == "say" and step.get("outcome") == "said" else "",
        }
        for step in result.path
    ]
    ending = result.result or {}
    queue_id = ending.get("queue_id")
    return {
        "path": path,
        "queue_name": queue_names.get(queue_id, f"#{queue_id}") if queue_id is not None else "",
        "ending_label": NODE_TYPE_LABELS.get(str(ending.get("type")), ending.get("type")),
    }


def _listed(found: dict[str, list[str]]) -> list[dict[str, Any]]:
    """The validator's problems as list items, each with the node it names (to open it from the list)."""
    items: list[dict[str, Any]] = []
    for key, messages_found in found.items():
        parts = key.split(".")
        node_id = parts[1] if parts[0] == "nodes" and len(parts) > 1 else None
        items.extend({"key": key, "node": node_id, "message": message} for message in messages_found)
    return items


def _editor_context(
    request,
    flow: IvrFlow,
    *,
    problems=None,
    warnings=None,
    test_form=None,
    test_result=None,
    json_form=None,
    panel_node: str | None = None,
    panel_form: forms.Form | None = None,
    saved: bool = False,
):
    version = _working_version(flow)
    graph = _graph_of(flow)
    node_ids = _walk_order(graph)
    if problems is None and warnings is None and version is not None and version.status == IvrFlowStatus.DRAFT:
        checked = ivr_services.graph_validate(graph)
        problems, warnings = checked.error_fields(), checked.warning_fields()
    problems = problems or {}
    warnings = warnings or {}
    queue_names = _queue_names()
    versions = list(flow.versions.order_by("-number"))
    start_form = StartForm(initial={"start": graph.get("start")}, prefix="start")
    cast(forms.ChoiceField, start_form.fields["start"]).choices = [(n, n) for n in node_ids]
    if test_form is None:
        test_form = TestCallForm(prefix="test", initial={"version": version.number if version else None})
    cast(forms.ChoiceField, test_form.fields["version"]).choices = [
        (v.number, f"v{v.number} ({v.get_status_display()})") for v in versions
    ]
    return {
        "flow": flow,
        "version": version,
        "is_draft": version is not None and version.status == IvrFlowStatus.DRAFT,
        "version_text": f"v{version.number} · {version.get_status_display()}" if version is not None else "",
        "problem_count": sum(len(found) for found in problems.values()),
        "graph": graph,
        "rows": _node_rows(graph, {**warnings, **problems}, queue_names),
        "diagram": _diagram(graph, problems, warnings, queue_names),
        "panel": _node_panel(flow, graph, panel_node, panel_form, {**warnings, **problems}) if panel_node else None,
        "saved": saved,
        "test_view": _test_view(test_result, queue_names),
        "problems": problems,
        "warnings": warnings,
        "problem_list": _listed(problems),
        "warning_list": _listed(warnings),
        "versions": versions,
        "add_form": NodeAddForm(prefix="add"),
        "start_form": start_form,
        "json_form": json_form
        or GraphJsonForm(initial={"graph": json.dumps(graph, ensure_ascii=False, indent=2)}, prefix="json"),
        "meta_form": FlowForm(initial={"name": flow.name, "description": flow.description}, prefix="meta"),
        "test_form": test_form,
        "test_result": test_result,
        "node_type_labels": NODE_TYPE_LABELS,
    }


@admin_only
def flow(request, pk: int):
    flow = get_object_or_404(IvrFlow, pk=pk)
    return render(request, "telephony/ivr/flow.html", _editor_context(request, flow))


def _editor_swap(request: HttpRequest, flow: IvrFlow, **kwargs: Any) -> HttpResponse:
    """The editor region alone, for htmx: the diagram, list, JSON and cards drawn from the new draft
    and validated again, so every edit shows its problems at once."""
    return render(request, "telephony/ivr/_editor.html", _editor_context(request, flow, **kwargs))


@require_POST
@admin_only
def flow_meta(request, pk: int):
    flow = get_object_or_404(IvrFlow, pk=pk)
    form = FlowForm(request.POST, prefix="meta")
    if form.is_valid():
        _edited(request, lambda: ivr_services.flow_update(flow=flow, **form.cleaned_data), _("Saved."))
    else:
        messages.error(request, _("Enter a name."))
    return redirect("ivr:flow", pk=flow.pk)


@require_POST
@admin_only
def flow_delete(request, pk: int):
    flow = get_object_or_404(IvrFlow, pk=pk)
    if not _edited(request, lambda: ivr_services.flow_delete(flow=flow), _("Flow deleted.")):
        return redirect("ivr:flow", pk=flow.pk)
    return redirect("ivr:flows")


@require_POST
@admin_only
def flow_publish(request, pk: int):
    flow = get_object_or_404(IvrFlow, pk=pk)
    try:
        result = ivr_services.flow_publish(flow=flow, user=request.user)
    except ApplicationError as error:
        messages.error(request, str(error.message))
        problems = error.fields if error.code == "invalid_flow" else None
        context = _editor_context(request, flow, problems=problems, warnings={} if problems else None)
        return render(request, "telephony/ivr/flow.html", context, status=400 if problems else 200)
    messages.success(request, _("Version %(n)d published: calls now run it.") % {"n": result.version.number})
    return redirect("ivr:flow", pk=flow.pk)


@require_POST
@admin_only
def draft_discard(request, pk: int):
    flow = get_object_or_404(IvrFlow, pk=pk)
    draft = ivr_services.flow_draft(flow)
    if draft is not None:
        ivr_services.version_delete(version=draft)
        messages.success(request, _("Draft discarded."))
    return redirect("ivr:flow", pk=flow.pk)


@require_POST
@admin_only
def flow_json(request, pk: int):
    flow = get_object_or_404(IvrFlow, pk=pk)
    form = GraphJsonForm(request.POST, prefix="json")
    if form.is_valid() and _edited(
        request, lambda: ivr_services.draft_update(flow=flow, graph=form.cleaned_data["graph"]), _("Draft saved.")
    ):
        return redirect("ivr:flow", pk=flow.pk)
    return render(request, "telephony/ivr/flow.html", _editor_context(request, flow, json_form=form), status=400)


@require_POST
@admin_only
def flow_start(request: HttpRequest, pk: int) -> HttpResponse:
    flow = get_object_or_404(IvrFlow, pk=pk)
    start = request.POST.get("start-start", "")
    if _htmx(request):
        with contextlib.suppress(ApplicationError):  # the diagram drawn again shows the start unchanged
            ivr_services.flow_start_set(flow=flow, node_id=start)
        return _editor_swap(request, flow)
    _edited(request, lambda: ivr_services.flow_start_set(flow=flow, node_id=start), _("Start node saved."))
    return redirect("ivr:flow", pk=flow.pk)


@require_POST
@admin_only
def node_add(request: HttpRequest, pk: int) -> HttpResponse:
    flow = get_object_or_404(IvrFlow, pk=pk)
    form = NodeAddForm(request.POST, prefix="add")
    if not form.is_valid() and _htmx(request):
        for found in form.errors.values():
            for message in found:
                messages.error(request, str(message))
        return HttpResponse(status=204, headers={"HX-Refresh": "true"})
    if not form.is_valid():
        for found in form.errors.values():
            for message in found:
                messages.error(request, str(message))
        return redirect("ivr:flow", pk=flow.pk)
    node_id = form.cleaned_data["node_id"]
    if _htmx(request):
        try:
            ivr_services.node_add(flow=flow, node_id=node_id, node_type=form.cleaned_data["type"])
        except ApplicationError as error:
            messages.error(request, str(error.message))
            return HttpResponse(status=204, headers={"HX-Refresh": "true"})
        return _editor_swap(request, flow, panel_node=node_id)
    added = _edited(
        request,
        lambda: ivr_services.node_add(flow=flow, node_id=node_id, node_type=form.cleaned_data["type"]),
        _("Node added; fill in its fields."),
    )
    if added:
        return redirect("ivr:node", pk=flow.pk, node_id=node_id)
    return redirect("ivr:flow", pk=flow.pk)


@require_POST
@admin_only
def node_remove(request: HttpRequest, pk: int, node_id: str) -> HttpResponse:
    flow = get_object_or_404(IvrFlow, pk=pk)
    if node_id in (_graph_of(flow).get("nodes") or {}):
        _edited(
            request,
            lambda: ivr_services.node_remove(flow=flow, node_id=node_id),
            _("Node removed; edges that pointed at it now dangle until you fix them."),
        )
    return redirect("ivr:flow", pk=flow.pk)


@admin_only
def node_edit(request: HttpRequest, pk: int, node_id: str) -> HttpResponse:
    flow = get_object_or_404(IvrFlow, pk=pk)
    graph = _graph_of(flow)
    node = (graph.get("nodes") or {}).get(node_id)
    if not isinstance(node, dict) or node.get("type") not in schema.NODE_SPECS:
        raise Http404
    node_ids = sorted(graph["nodes"])
    form_class = node_form_class(node["type"], node_ids)
    form = form_class(request.POST or None, initial=node_initial(node))
    if request.method == "POST" and form.is_valid():
        try:
            ivr_services.node_update(
                flow=flow, node_id=node_id, changes=node_from_form(node["type"], form.cleaned_data), replace=True
            )
        except ApplicationError as error:
            apply_error(form, _option_fields(error))
        else:
            if _htmx(request):
                return _editor_swap(request, flow, panel_node=node_id, saved=True)
            messages.success(request, _("Node “%(id)s” saved to the draft.") % {"id": node_id})
            return redirect("ivr:flow", pk=flow.pk)
    if _htmx(request) and request.method == "POST":
        # 200, not 400: htmx swaps only successful answers, and the form must show its errors.
        return _editor_swap(request, flow, panel_node=node_id, panel_form=form)
    if _htmx(request):
        checked = ivr_services.graph_validate(graph)
        panel = _node_panel(flow, graph, node_id, form, {**checked.warning_fields(), **checked.error_fields()})
        return render(request, "telephony/ivr/_node_panel.html", {"flow": flow, "panel": panel})
    context = {
        "flow": flow,
        "node_id": node_id,
        "node": node,
        "type_label": NODE_TYPE_LABELS.get(node["type"]),
        "icon": diagram.ICONS.get(node["type"], ""),
        "form": form,
    }
    return render(request, "telephony/ivr/node_edit.html", context)


def _option_fields(error: ApplicationError) -> ApplicationError:
    """The service names a menu key ``options.1``; the form's field for it is ``option_1``."""
    fields = {key.replace("options.", "option_", 1): found for key, found in error.fields.items()}
    return ApplicationError(error.code, error.message, fields=fields, status=error.status)


@admin_only
def version_view(request, pk: int, number: int):
    flow = get_object_or_404(IvrFlow, pk=pk)
    version = get_object_or_404(IvrFlowVersion, flow=flow, number=number)
    context = {"flow": flow, "version": version, "graph_json": json.dumps(version.graph, ensure_ascii=False, indent=2)}
    return render(request, "telephony/ivr/version.html", context)


@admin_only
def flow_export_view(request, pk: int):
    flow = get_object_or_404(IvrFlow, pk=pk)
    number = request.GET.get("version")
    version = get_object_or_404(IvrFlowVersion, flow=flow, number=number) if number and number.isdigit() else None
    document = ivr_services.flow_export(flow=flow, version=version)
    response = HttpResponse(json.dumps(document, ensure_ascii=False, indent=2), content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="ivr-flow-{flow.pk}-v{document["version"]}.json"'
    return response


@require_POST
@admin_only
def flow_test_call_view(request, pk: int):
    flow = get_object_or_404(IvrFlow, pk=pk)
    form = TestCallForm(request.POST, prefix="test")
    cast(forms.ChoiceField, form.fields["version"]).choices = [(v.number, v.number) for v in flow.versions.all()]
    result = None
    status = 200
    if form.is_valid():
        version = get_object_or_404(IvrFlowVersion, flow=flow, number=form.cleaned_data["version"])
        at = form.cleaned_data["at"]
        if at is not None and timezone.is_naive(at):
            at = timezone.make_aware(at, timezone.get_current_timezone())
        try:
            result = ivr_services.flow_test_call(
                version=version,
                digits=form.cleaned_data["digits"],
                at=at,
                http_responses=form.cleaned_data["http_responses"],
            )
        except ApplicationError as error:
            messages.error(request, str(error.message))
            status = 400
    else:
        status = 400
    context = _editor_context(request, flow, test_form=form, test_result=result)
    return render(request, "telephony/ivr/flow.html", context, status=status)


# --- business hours ----------------------------------------------------------------------------------


@admin_only
def hours_list(request):
    form = HoursForm(request.POST or None, initial={"time_zone": request.tenant.time_zone, "day_mon": "09:00-18:00"})
    if request.method == "POST" and form.is_valid():
        try:
            hours = hours_services.business_hours_create(**form.service_fields())
        except ApplicationError as error:
            apply_hours_error(form, error)
        else:
            messages.success(request, _("Business hours created."))
            return redirect("ivr:hours", pk=hours.pk)
    now = timezone.now()
    rows = [
        (h, hours_state(HoursSpec.from_model(h), now).value)
        for h in BusinessHours.objects.prefetch_related("overrides")
    ]
    return render(request, "telephony/ivr/hours_list.html", {"rows": rows, "form": form})


@admin_only
def hours_edit(request, pk: int):
    hours = get_object_or_404(BusinessHours, pk=pk)
    form = HoursForm(request.POST or None, initial=HoursForm.initial_for(hours), prefix="hours")
    if request.method == "POST" and form.is_valid():
        try:
            hours_services.business_hours_update(hours=hours, **form.service_fields())
        except ApplicationError as error:
            apply_hours_error(form, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("ivr:hours", pk=hours.pk)
    spec = HoursSpec.from_model(hours)
    now = timezone.now()
    local_today = now.astimezone(zone(spec)).date()
    upcoming = [day_plan(spec, local_today + dt.timedelta(days=offset)) for offset in range(14)]
    context = {
        "hours": hours,
        "form": form,
        "override_form": OverrideForm(prefix="override"),
        "overrides": hours.overrides.all(),
        "state": hours_state(spec, now).value,
        "upcoming": upcoming,
    }
    return render(request, "telephony/ivr/hours_edit.html", context)


@require_POST
@admin_only
def hours_delete(request, pk: int):
    hours = get_object_or_404(BusinessHours, pk=pk)
    if not _edited(request, lambda: hours_services.business_hours_delete(hours=hours), _("Business hours deleted.")):
        return redirect("ivr:hours", pk=hours.pk)
    return redirect("ivr:hours_list")


@require_POST
@admin_only
def override_add(request, pk: int):
    hours = get_object_or_404(BusinessHours, pk=pk)
    form = OverrideForm(request.POST, prefix="override")
    if form.is_valid():
        try:
            hours_services.holiday_override_set(hours=hours, **form.cleaned_data)
        except ApplicationError as error:
            messages.error(
                request, "; ".join([str(error.message)] + [str(m) for v in error.fields.values() for m in v])
            )
        else:
            messages.success(request, _("Override saved."))
    else:
        for found in form.errors.values():
            for message in found:
                messages.error(request, str(message))
    return redirect("ivr:hours", pk=hours.pk)


@require_POST
@admin_only
def override_delete(request, pk: int, override_id: int):
    override = get_object_or_404(HolidayOverride, hours_id=pk, pk=override_id)
    hours_services.holiday_override_delete(override=override)
    messages.success(request, _("Override removed."))
    return redirect("ivr:hours", pk=pk)
