"""Forms of the IVR console (apps/telephony/views/ivr.py): flows, the node editor (one form per
node type, built from ivr/schema.py's specs), test calls, business hours and number routing.
They collect and coerce fields; the graph rules are ivr/editing.py's and ivr/validator.py's,
the hours rules services/business_hours.py's."""

from __future__ import annotations

import json
import re
from typing import Any, cast

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.core.errors import ApplicationError
from apps.core.forms import apply_error
from apps.core.widgets import DateInput, DateTimeInput
from apps.telephony.ivr import schema
from apps.telephony.ivr.hours import WEEKDAYS
from apps.telephony.models import BusinessHours, Prompt, Queue

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
    schema.HTTP: gettext_lazy("Look up (HTTP)"),
    schema.SET: gettext_lazy("Set a variable"),
    schema.BRANCH: gettext_lazy("Branch on a variable"),
    schema.SAY: gettext_lazy("Say a value"),
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
    "url": gettext_lazy("Endpoint URL"),
    "timeout_ms": gettext_lazy("Time-out (ms, 500–5000)"),
    "variable_prefix": gettext_lazy("Store the answer's fields as <prefix>_<field>"),
    "fallback": gettext_lazy("On time-out or error"),
    "value": gettext_lazy("Value ({name} inserts a variable)"),
    "conditions": gettext_lazy("Conditions (JSON)"),
    "default": gettext_lazy("Otherwise"),
    "kind": gettext_lazy("Read it as"),
    "language": gettext_lazy("Language (default: the company's)"),
    "currency": gettext_lazy("Currency"),
}


def intervals_text(intervals) -> str:
    return ", ".join(f"{start}-{end}" for start, end in intervals or [])


INTERVAL_TEXT_RE = re.compile(r"^\s*(\d{1,2}:\d{2})\s*[-–~]\s*(\d{1,2}:\d{2})\s*$")


def parse_intervals(text: str) -> list:
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


class FlowForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100)
    description = forms.CharField(
        label=gettext_lazy("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


def _json_field(text: str) -> Any:
    """A pasted JSON document, its syntax error the field's message (the editor shows it in place)."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise forms.ValidationError(_("Not valid JSON: %(error)s") % {"error": exc.msg}) from exc


class ImportForm(forms.Form):
    document = forms.CharField(
        label=gettext_lazy("Exported JSON"), widget=forms.Textarea(attrs={"rows": 6, "class": "code"})
    )

    def clean_document(self) -> Any:
        return _json_field(self.cleaned_data["document"])


class GraphJsonForm(forms.Form):
    graph = forms.CharField(
        label=gettext_lazy("Graph (JSON)"), widget=forms.Textarea(attrs={"rows": 18, "class": "code"})
    )

    def clean_graph(self) -> Any:
        return _json_field(self.cleaned_data["graph"])


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
        widget=DateTimeInput(),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"],
    )
    version = forms.TypedChoiceField(label=gettext_lazy("Version"), coerce=int)
    http_responses = forms.CharField(
        label=gettext_lazy("Answers of http nodes (JSON)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy(
            'Optional, per node: {"lookup": {"status": "shipped"}} answers for the endpoint, '
            '"timeout" or "error" for a failure. A node not listed calls its endpoint for real.'
        ),
    )

    def clean_http_responses(self):
        raw = (self.cleaned_data["http_responses"] or "").strip()
        if not raw:
            return {}
        try:
            value = json.loads(raw)
        except ValueError as error:
            raise forms.ValidationError(_("Enter a JSON object: node id → answer.")) from error
        return check_http_responses(value)

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


class JsonListField(forms.CharField):
    """A JSON list typed as text (a branch node's conditions); the validator checks its items."""

    def prepare_value(self, value):
        return json.dumps(value, ensure_ascii=False) if isinstance(value, list) else value

    def to_python(self, value):
        raw = super().to_python(value)
        if not raw:
            return []
        try:
            found = json.loads(raw)
        except ValueError as error:
            raise forms.ValidationError(_("Enter a JSON list.")) from error
        if not isinstance(found, list):
            raise forms.ValidationError(_("Enter a JSON list."))
        return found


def check_http_responses(value) -> dict:
    """The test call's typed answers: ``{node id: {JSON object} | "timeout" | "error"}``."""
    if not isinstance(value, dict):
        raise forms.ValidationError(_("Enter a JSON object: node id → answer."))
    for node_id, answer in value.items():
        if not isinstance(node_id, str) or not (isinstance(answer, dict) or answer in ("timeout", "error")):
            raise forms.ValidationError(
                _("Each answer is a JSON object, “timeout” or “error” (node “%(node)s”).") % {"node": node_id}
            )
    return value


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
            # A required edge starts blank too: a new node must not silently point at the first id.
            blank = ("", _("— choose the next step —")) if required else ("", "—")
            choices = [blank, *node_choices]
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
        elif field.kind == schema.FieldKind.URL:
            fields[field.name] = forms.CharField(label=label, required=required, max_length=500)
        elif field.kind == schema.FieldKind.VALUE:
            fields[field.name] = forms.CharField(label=label, required=required, max_length=schema.MAX_VALUE_LENGTH)
        elif field.kind == schema.FieldKind.CHOICE:
            picks: list[tuple[str, str]] = [] if required else [("", "—")]
            picks += [(choice, choice) for choice in field.choices]
            fields[field.name] = forms.ChoiceField(label=label, required=required, choices=picks)
        elif field.kind == schema.FieldKind.CONDITIONS:
            fields[field.name] = JsonListField(
                label=label,
                required=False,
                widget=forms.Textarea(attrs={"rows": 3}),
                help_text=_(
                    'For example [{"op": "equals", "value": "shipped", "next": "say_date"}]; '
                    "op: equals, in (a list), less, greater, empty."
                ),
            )
    return type(f"{node_type.title()}NodeForm", (forms.Form,), fields)


def node_initial(node: dict) -> dict:
    initial = {key: value for key, value in node.items() if key not in ("type", "options")}
    for key, target in (node.get("options") or {}).items():
        initial[f"option_{key}"] = target
    return initial


def node_from_form(node_type: str, data: dict) -> dict:
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


class RouteForm(forms.Form):
    target = forms.ChoiceField(label=gettext_lazy("Route to"), required=False)

    def __init__(self, *args, flows, queues, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["target"]).choices = (
            [("", _("— nowhere —"))]
            + [(f"flow:{f.pk}", _("IVR: %(name)s") % {"name": f.name}) for f in flows]
            + [(f"queue:{q.pk}", _("Queue: %(name)s") % {"name": q.name}) for q in queues]
        )


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
                    data[name] = parse_intervals(data[name])
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
            "makeup_day_hours": intervals_text(hours.makeup_day_hours),
        }
        for day in WEEKDAYS:
            initial[f"day_{day}"] = intervals_text((hours.weekly or {}).get(day))
        return initial


def apply_hours_error(form: HoursForm, error: ApplicationError) -> None:
    renamed = {}
    for key, found in error.fields.items():
        if key.startswith("weekly."):
            renamed[f"day_{key.removeprefix('weekly.')}"] = found
        else:
            renamed[key] = found
    apply_error(form, ApplicationError(error.code, error.message, fields=renamed))


class OverrideForm(forms.Form):
    date = forms.DateField(label=gettext_lazy("Date"), widget=DateInput())
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100, required=False)
    is_open = forms.BooleanField(label=gettext_lazy("Open on this date"), required=False)
    open_hours = forms.CharField(
        label=gettext_lazy("Hours when open"),
        required=False,
        help_text=gettext_lazy("Empty: the make-up workday hours."),
    )

    def clean_open_hours(self):
        return parse_intervals(self.cleaned_data["open_hours"])
