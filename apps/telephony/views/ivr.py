"""The IVR console (/console/ivr/): flows, their node editor, publishing, test calls,
business hours and number routing. Views validate input, call one service, render."""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
from typing import cast

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from apps.accounts.choices import Role
from apps.accounts.views import role_required
from apps.core.errors import ApplicationError
from apps.core.forms import apply_error
from apps.telephony.choices import IvrFlowStatus
from apps.telephony.ivr import schema
from apps.telephony.ivr.hours import WEEKDAYS, HoursSpec, day_plan, hours_state, zone
from apps.telephony.models import BusinessHours, HolidayOverride, IvrFlow, IvrFlowVersion, PhoneNumber, Prompt, Queue
from apps.telephony.services import business_hours as hours_services
from apps.telephony.services import ivr as ivr_services

admin_only = role_required(Role.TENANT_ADMIN)

KEYS = ("1", "2", "3", "4", "5", "6", "7", "8", "9", "0", "*", "#")
DAY_LABELS = {
    "mon": gettext_lazy("Monday"),
    "tue": gettext_lazy("Tuesday"),
    "wed": gettext_lazy("Wednesday"),
    "thu": gettext_lazy("Thursday"),
    "fri": gettext_lazy("Friday"),
    "sat": gettext_lazy("Saturday"),
    "sun": gettext_lazy("Sunday"),
}
NODE_TYPE_LABELS = {
    schema.PLAY: gettext_lazy("Play a prompt"),
    schema.MENU: gettext_lazy("Menu (keys)"),
    schema.GATHER: gettext_lazy("Gather digits"),
    schema.HOURS: gettext_lazy("Opening hours branch"),
    schema.QUEUE: gettext_lazy("Queue"),
    schema.VOICEMAIL: gettext_lazy("Voicemail"),
    schema.CALLBACK: gettext_lazy("Callback request"),
    schema.TRANSFER: gettext_lazy("Transfer"),
    schema.SURVEY: gettext_lazy("Survey (1–5)"),
    schema.HANGUP: gettext_lazy("Hang up"),
}
FIELD_LABELS = {
    "prompt": gettext_lazy("Prompt"),
    "next": gettext_lazy("Then go to"),
    "timeout": gettext_lazy("Timeout (s)"),
    "retries": gettext_lazy("Retries"),
    "retry_prompt": gettext_lazy("Retry prompt"),
    "audio": gettext_lazy("Prompt audio (played instead of the text)"),
    "retry_audio": gettext_lazy("Retry prompt audio"),
    "invalid": gettext_lazy("After too many wrong keys"),
    "no_input": gettext_lazy("After too many silences"),
    "agent_options": gettext_lazy("Keys that mean “asked for an agent”"),
    "max_digits": gettext_lazy("Maximum digits"),
    "variable": gettext_lazy("Store as variable"),
    "business_hours": gettext_lazy("Business hours"),
    "open": gettext_lazy("When open"),
    "closed": gettext_lazy("When closed"),
    "holiday": gettext_lazy("On holidays (default: as closed)"),
    "queue": gettext_lazy("Queue"),
    "after_call": gettext_lazy("After the agent leaves (e.g. a survey)"),
    "number": gettext_lazy("Number"),
}


# --- helpers -----------------------------------------------------------------------------------------


def _working_version(flow: IvrFlow) -> IvrFlowVersion | None:
    """What the editor shows: the draft, else the published version, else the latest."""
    return ivr_services.flow_draft(flow) or flow.published or ivr_services.flow_latest(flow)


def _graph_of(flow: IvrFlow) -> dict:
    version = _working_version(flow)
    return copy.deepcopy(version.graph) if version is not None else schema.empty_graph()


def _save_graph(request, flow: IvrFlow, graph: dict, success: str) -> bool:
    try:
        ivr_services.draft_update(flow=flow, graph=graph)
    except ApplicationError as error:
        messages.error(request, str(error.message))
        return False
    messages.success(request, success)
    return True


def _summary(node: dict) -> str:
    """One line describing a node in the editor's table."""
    node_type = node.get("type")
    if node_type in (schema.PLAY, schema.SURVEY, schema.GATHER, schema.MENU):
        text = str(node.get("prompt") or "")
        return text if len(text) <= 80 else text[:77] + "…"
    if node_type == schema.TRANSFER:
        return str(node.get("number") or "")
    return ""


def _walk_order(graph: dict) -> list[str]:
    """Node ids in the order a caller meets them (breadth-first from the start), then the rest.
    The database does not keep the order the graph's keys were written in."""
    nodes = graph.get("nodes") or {}
    order: list[str] = []
    queue = [graph.get("start")]
    while queue:
        node_id = queue.pop(0)
        if node_id in nodes and node_id not in order:
            order.append(node_id)
            node = nodes[node_id]
            queue.extend(target for _field, target in (schema.edges(node) if isinstance(node, dict) else []))
    return order + sorted(node_id for node_id in nodes if node_id not in order)


def _node_rows(graph: dict, problems: dict[str, list[str]]) -> list[dict]:
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
                "summary": _summary(node),
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


def _intervals_text(intervals) -> str:
    return ", ".join(f"{start}-{end}" for start, end in intervals or [])


INTERVAL_TEXT_RE = re.compile(r"^\s*(\d{1,2}:\d{2})\s*[-–~]\s*(\d{1,2}:\d{2})\s*$")


def _parse_intervals(text: str) -> list:
    """``"09:00-12:00, 13:00-18:00"`` → ``[["09:00", "12:00"], ["13:00", "18:00"]]``."""
    intervals = []
    for part in (text or "").replace("，", ",").split(","):
        if not part.strip():
            continue
        match = INTERVAL_TEXT_RE.match(part)
        if match is None:
            raise forms.ValidationError(_("Write hours like 09:00-12:00, 13:00-18:00."))
        intervals.append([match.group(1).zfill(5), match.group(2).zfill(5)])
    return intervals


# --- forms -------------------------------------------------------------------------------------------


class FlowForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100)
    description = forms.CharField(
        label=gettext_lazy("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class ImportForm(forms.Form):
    document = forms.CharField(
        label=gettext_lazy("Exported JSON"), widget=forms.Textarea(attrs={"rows": 6, "class": "code"})
    )

    def clean_document(self):
        try:
            return json.loads(self.cleaned_data["document"])
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(_("Not valid JSON: %(error)s") % {"error": exc.msg}) from exc


class GraphJsonForm(forms.Form):
    graph = forms.CharField(
        label=gettext_lazy("Graph (JSON)"), widget=forms.Textarea(attrs={"rows": 18, "class": "code"})
    )

    def clean_graph(self):
        try:
            return json.loads(self.cleaned_data["graph"])
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(_("Not valid JSON: %(error)s") % {"error": exc.msg}) from exc


class NodeAddForm(forms.Form):
    node_id = forms.RegexField(
        label=gettext_lazy("Node id"),
        regex=schema.NODE_ID_RE,
        max_length=64,
        error_messages={"invalid": gettext_lazy("Letters, digits, “_” or “-”.")},
    )
    type = forms.ChoiceField(label=gettext_lazy("Type"), choices=list(NODE_TYPE_LABELS.items()))


class StartForm(forms.Form):
    start = forms.ChoiceField(label=gettext_lazy("Start node"))


class TestCallForm(forms.Form):
    __test__ = False  # pytest: not a test class despite the name

    digits = forms.CharField(
        label=gettext_lazy("Key presses"),
        required=False,
        help_text=gettext_lazy("One entry per prompt, separated by spaces; “-” means silence. Example: 1 - 5"),
    )
    at = forms.DateTimeField(
        label=gettext_lazy("Date and time (local)"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"],
    )
    version = forms.TypedChoiceField(label=gettext_lazy("Version"), coerce=int)

    def clean_digits(self):
        entries = []
        for entry in (self.cleaned_data["digits"] or "").split():
            if entry == "-":
                entries.append(None)
            elif re.fullmatch(r"[0-9*#]{1,32}", entry):
                entries.append(entry)
            else:
                raise forms.ValidationError(_("Keys are 0–9, * and #; “-” for silence."))
        return entries


def node_form_class(node_type: str, node_ids: list[str]):
    """A form for one node type, built from its spec (schema.NODE_SPECS)."""
    spec = schema.NODE_SPECS[node_type]
    fields: dict[str, forms.Field] = {
        "label": forms.CharField(label=gettext_lazy("Label"), max_length=100, required=False),
    }
    node_choices = [(node_id, node_id) for node_id in node_ids]
    for field in spec.fields:
        label = FIELD_LABELS.get(field.name, field.name)
        required = field.required
        if field.kind == schema.FieldKind.TEXT:
            fields[field.name] = forms.CharField(
                label=label, required=required, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
            )
        elif field.kind == schema.FieldKind.NODE:
            choices = node_choices if required else [("", "—")] + node_choices
            fields[field.name] = forms.ChoiceField(label=label, required=required, choices=choices)
        elif field.kind == schema.FieldKind.OPTIONS:
            for key in KEYS:
                fields[f"option_{key}"] = forms.ChoiceField(
                    label=_("Key %(key)s") % {"key": key}, required=False, choices=[("", "—")] + node_choices
                )
        elif field.kind == schema.FieldKind.DIGITS:
            fields[field.name] = forms.MultipleChoiceField(
                label=label, required=False, choices=[(k, k) for k in KEYS], widget=forms.CheckboxSelectMultiple
            )
        elif field.kind == schema.FieldKind.INT:
            fields[field.name] = forms.IntegerField(
                label=label,
                required=required,
                min_value=field.minimum,
                max_value=field.maximum,
                initial=field.default,
            )
        elif field.kind == schema.FieldKind.QUEUE:
            fields[field.name] = forms.TypedChoiceField(
                label=label,
                required=required,
                coerce=int,
                empty_value=None,
                choices=([] if required else [("", "—")])
                + [(q.pk, f"{q.name} ({q.code})") for q in Queue.objects.all()],
            )
        elif field.kind == schema.FieldKind.HOURS:
            fields[field.name] = forms.TypedChoiceField(
                label=label,
                required=required,
                coerce=int,
                empty_value=None,
                choices=[(h.pk, h.name) for h in BusinessHours.objects.all()],
            )
        elif field.kind == schema.FieldKind.AUDIO:
            fields[field.name] = forms.ChoiceField(
                label=label,
                required=False,
                choices=[("", _("— none: a neutral tone over the phone —"))]
                + [(name, name) for name in Prompt.objects.order_by("name").values_list("name", flat=True)],
            )
        elif field.kind in (schema.FieldKind.NUMBER, schema.FieldKind.VARIABLE):
            fields[field.name] = forms.CharField(label=label, required=required, max_length=32)
    return type(f"{node_type.title()}NodeForm", (forms.Form,), fields)


def _node_initial(node: dict) -> dict:
    initial = {key: value for key, value in node.items() if key not in ("type", "options")}
    for key, target in (node.get("options") or {}).items():
        initial[f"option_{key}"] = target
    return initial


def _node_from_form(node_type: str, data: dict) -> dict:
    node: dict = {"type": node_type}
    if data.get("label"):
        node["label"] = data["label"]
    for field in schema.NODE_SPECS[node_type].fields:
        if field.kind == schema.FieldKind.OPTIONS:
            options = {key: data[f"option_{key}"] for key in KEYS if data.get(f"option_{key}")}
            node["options"] = options
            continue
        raw = data.get(field.name)
        if raw in (None, "", []):
            continue
        node[field.name] = list(raw) if field.kind == schema.FieldKind.DIGITS else raw
    return node


# --- flows -------------------------------------------------------------------------------------------


class RouteForm(forms.Form):
    target = forms.ChoiceField(label=gettext_lazy("Route to"), required=False)

    def __init__(self, *args, flows, queues, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["target"]).choices = (
            [("", _("— nowhere —"))]
            + [(f"flow:{f.pk}", _("IVR: %(name)s") % {"name": f.name}) for f in flows]
            + [(f"queue:{q.pk}", _("Queue: %(name)s") % {"name": q.name}) for q in queues]
        )


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
    try:
        ivr_services.number_route_set(number=number, ivr_flow=flow, queue=queue)
    except ApplicationError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("Routing of %(number)s saved.") % {"number": number.number})
    return redirect("ivr:flows")


def _editor_context(
    request, flow: IvrFlow, *, problems=None, warnings=None, test_form=None, test_result=None, json_form=None
):
    version = _working_version(flow)
    graph = _graph_of(flow)
    node_ids = _walk_order(graph)
    if problems is None and warnings is None and version is not None and version.status == IvrFlowStatus.DRAFT:
        checked = ivr_services.graph_validate(graph)
        problems, warnings = checked.error_fields(), checked.warning_fields()
    problems = problems or {}
    warnings = warnings or {}
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
        "graph": graph,
        "rows": _node_rows(graph, {**warnings, **problems}),
        "problems": problems,
        "warnings": warnings,
        "graph_problems": {k: v for k, v in problems.items() if not k.startswith("nodes.")},
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


@require_POST
@admin_only
def flow_meta(request, pk: int):
    flow = get_object_or_404(IvrFlow, pk=pk)
    form = FlowForm(request.POST, prefix="meta")
    if form.is_valid():
        try:
            ivr_services.flow_update(flow=flow, **form.cleaned_data)
        except ApplicationError as error:
            messages.error(request, str(error.message))
        else:
            messages.success(request, _("Saved."))
    else:
        messages.error(request, _("Enter a name."))
    return redirect("ivr:flow", pk=flow.pk)


@require_POST
@admin_only
def flow_delete(request, pk: int):
    flow = get_object_or_404(IvrFlow, pk=pk)
    try:
        ivr_services.flow_delete(flow=flow)
    except ApplicationError as error:
        messages.error(request, str(error.message))
        return redirect("ivr:flow", pk=flow.pk)
    messages.success(request, _("Flow deleted."))
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
    if form.is_valid() and _save_graph(request, flow, form.cleaned_data["graph"], _("Draft saved.")):
        return redirect("ivr:flow", pk=flow.pk)
    return render(request, "telephony/ivr/flow.html", _editor_context(request, flow, json_form=form), status=400)


@require_POST
@admin_only
def flow_start(request, pk: int):
    flow = get_object_or_404(IvrFlow, pk=pk)
    graph = _graph_of(flow)
    start = request.POST.get("start-start", "")
    if start in (graph.get("nodes") or {}):
        graph["start"] = start
        _save_graph(request, flow, graph, _("Start node saved."))
    return redirect("ivr:flow", pk=flow.pk)


@require_POST
@admin_only
def node_add(request, pk: int):
    flow = get_object_or_404(IvrFlow, pk=pk)
    form = NodeAddForm(request.POST, prefix="add")
    if not form.is_valid():
        for found in form.errors.values():
            for message in found:
                messages.error(request, str(message))
        return redirect("ivr:flow", pk=flow.pk)
    graph = _graph_of(flow)
    nodes = graph.setdefault("nodes", {})
    node_id = form.cleaned_data["node_id"]
    if node_id in nodes:
        messages.error(request, _("A node “%(id)s” exists already.") % {"id": node_id})
        return redirect("ivr:flow", pk=flow.pk)
    nodes[node_id] = {"type": form.cleaned_data["type"]}
    graph.setdefault("start", node_id)
    if _save_graph(request, flow, graph, _("Node added; fill in its fields.")):
        return redirect("ivr:node", pk=flow.pk, node_id=node_id)
    return redirect("ivr:flow", pk=flow.pk)


@require_POST
@admin_only
def node_remove(request, pk: int, node_id: str):
    flow = get_object_or_404(IvrFlow, pk=pk)
    graph = _graph_of(flow)
    if (graph.get("nodes") or {}).pop(node_id, None) is not None:
        _save_graph(request, flow, graph, _("Node removed; edges that pointed at it now dangle until you fix them."))
    return redirect("ivr:flow", pk=flow.pk)


@admin_only
def node_edit(request, pk: int, node_id: str):
    flow = get_object_or_404(IvrFlow, pk=pk)
    graph = _graph_of(flow)
    node = (graph.get("nodes") or {}).get(node_id)
    if not isinstance(node, dict) or node.get("type") not in schema.NODE_SPECS:
        raise Http404
    node_ids = sorted(graph["nodes"])
    form_class = node_form_class(node["type"], node_ids)
    form = form_class(request.POST or None, initial=_node_initial(node))
    if request.method == "POST" and form.is_valid():
        graph["nodes"][node_id] = _node_from_form(node["type"], form.cleaned_data)
        if _save_graph(request, flow, graph, _("Node “%(id)s” saved to the draft.") % {"id": node_id}):
            return redirect("ivr:flow", pk=flow.pk)
    context = {
        "flow": flow,
        "node_id": node_id,
        "node": node,
        "type_label": NODE_TYPE_LABELS.get(node["type"]),
        "form": form,
    }
    return render(request, "telephony/ivr/node_edit.html", context)


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
            result = ivr_services.flow_test_call(version=version, digits=form.cleaned_data["digits"], at=at)
        except ApplicationError as error:
            messages.error(request, str(error.message))
            status = 400
    else:
        status = 400
    context = _editor_context(request, flow, test_form=form, test_result=result)
    return render(request, "telephony/ivr/flow.html", context, status=status)


# --- business hours ----------------------------------------------------------------------------------


class HoursForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100)
    time_zone = forms.CharField(label=gettext_lazy("Time zone"), max_length=64, initial="Asia/Shanghai")
    follow_chinese_holidays = forms.BooleanField(
        label=gettext_lazy("Follow the official Chinese holidays and make-up workdays"), required=False, initial=True
    )
    makeup_day_hours = forms.CharField(
        label=gettext_lazy("Make-up workday hours"),
        required=False,
        help_text=gettext_lazy("Empty: Monday's hours."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for day in WEEKDAYS:
            self.fields[f"day_{day}"] = forms.CharField(
                label=DAY_LABELS[day],
                required=False,
                help_text=gettext_lazy("e.g. 09:00-12:00, 13:00-18:00; empty: closed"),
            )

    def clean(self):
        data = super().clean()
        for name in [f"day_{day}" for day in WEEKDAYS] + ["makeup_day_hours"]:
            if name in data:
                try:
                    data[name] = _parse_intervals(data[name])
                except forms.ValidationError as error:
                    self.add_error(name, error)
        return data

    def service_fields(self) -> dict:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "time_zone": data["time_zone"],
            "follow_chinese_holidays": data["follow_chinese_holidays"],
            "makeup_day_hours": data["makeup_day_hours"],
            "weekly": {day: data[f"day_{day}"] for day in WEEKDAYS},
        }

    @staticmethod
    def initial_for(hours: BusinessHours) -> dict:
        initial = {
            "name": hours.name,
            "time_zone": hours.time_zone,
            "follow_chinese_holidays": hours.follow_chinese_holidays,
            "makeup_day_hours": _intervals_text(hours.makeup_day_hours),
        }
        for day in WEEKDAYS:
            initial[f"day_{day}"] = _intervals_text((hours.weekly or {}).get(day))
        return initial


def _apply_hours_error(form: HoursForm, error: ApplicationError) -> None:
    renamed = {}
    for key, found in error.fields.items():
        if key.startswith("weekly."):
            renamed[f"day_{key.removeprefix('weekly.')}"] = found
        else:
            renamed[key] = found
    apply_error(form, ApplicationError(error.code, error.message, fields=renamed))


class OverrideForm(forms.Form):
    date = forms.DateField(label=gettext_lazy("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100, required=False)
    is_open = forms.BooleanField(label=gettext_lazy("Open on this date"), required=False)
    open_hours = forms.CharField(
        label=gettext_lazy("Hours when open"),
        required=False,
        help_text=gettext_lazy("Empty: the make-up workday hours."),
    )

    def clean_open_hours(self):
        return _parse_intervals(self.cleaned_data["open_hours"])


@admin_only
def hours_list(request):
    form = HoursForm(request.POST or None, initial={"time_zone": request.tenant.time_zone, "day_mon": "09:00-18:00"})
    if request.method == "POST" and form.is_valid():
        try:
            hours = hours_services.business_hours_create(**form.service_fields())
        except ApplicationError as error:
            _apply_hours_error(form, error)
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
            _apply_hours_error(form, error)
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
    try:
        hours_services.business_hours_delete(hours=hours)
    except ApplicationError as error:
        messages.error(request, str(error.message))
        return redirect("ivr:hours", pk=hours.pk)
    messages.success(request, _("Business hours deleted."))
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
