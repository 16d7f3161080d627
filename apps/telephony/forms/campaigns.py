"""Forms of the campaign pages (apps/telephony/views/campaigns.py).

They check types and ranges and turn the page's fields into the campaign services' arguments;
the rules (uniqueness, windows, scripts, mappings) stay in the services, whose field errors the
views put back on these forms."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django import forms
from django.urls import reverse_lazy
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from apps.core.widgets import DateInput, DateTimeInput, FileInput, TimeInput
from apps.telephony.choices import CampaignType, DialMode, ExportFormat
from apps.telephony.models import Campaign, Queue, Trunk
from apps.telephony.selectors.campaigns.pages import DISPOSITION_KINDS, KIND_DNC, KIND_RETRY
from apps.telephony.services.campaigns.contact_import import CUSTOM_PREFIX, STANDARD_TARGETS
from apps.telephony.services.campaigns.lifecycle import CAMPAIGN_SETTINGS

MAX_GAP_MINUTES = 60 * 24 * 90
WEEKDAY_CHOICES = [
    (1, _("Mon")),
    (2, _("Tue")),
    (3, _("Wed")),
    (4, _("Thu")),
    (5, _("Fri")),
    (6, _("Sat")),
    (7, _("Sun")),
]
KIND_LABELS = {"final": _("Final: close the contact"), KIND_RETRY: _("Retry later"), KIND_DNC: _("Do not call")}


def _model_label(name: str) -> Any:
    return capfirst(getattr(Campaign._meta.get_field(name), "verbose_name", name))


def _model_help(name: str) -> Any:
    return getattr(Campaign._meta.get_field(name), "help_text", "")


class CampaignForm(forms.Form):
    """Every campaign setting. The abandon rate is entered in percent (3 = 3%)."""

    name = forms.CharField(max_length=100)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    type = forms.ChoiceField(choices=CampaignType.choices)
    is_marketing = forms.BooleanField(required=False)
    dial_mode = forms.ChoiceField(choices=DialMode.choices)
    power_ratio = forms.FloatField(min_value=1.0, max_value=5.0)
    queue = forms.ModelChoiceField(queryset=Queue.objects.none())
    trunk = forms.ModelChoiceField(queryset=Trunk.objects.none(), required=False, empty_label=_("The default trunk"))
    caller_id = forms.CharField(required=False, max_length=32)
    start_date = forms.DateField(required=False, widget=DateInput())
    end_date = forms.DateField(required=False, widget=DateInput())
    window_start = forms.TimeField(widget=TimeInput())
    window_end = forms.TimeField(widget=TimeInput())
    weekdays = forms.TypedMultipleChoiceField(choices=WEEKDAY_CHOICES, coerce=int, widget=forms.CheckboxSelectMultiple)
    skip_holidays = forms.BooleanField(required=False)
    default_time_zone = forms.CharField(max_length=64)
    max_abandon_rate = forms.DecimalField(
        label=_("Maximum abandon rate (%)"),
        min_value=Decimal("0.01"),
        max_value=Decimal("5"),
        decimal_places=2,
        help_text=_("Of live answers, over the window below. The law allows 3%; at most 5% can be set."),
    )
    abandon_window_days = forms.IntegerField(min_value=1, max_value=365)
    ring_timeout_seconds = forms.IntegerField(min_value=15, max_value=120)
    amd_enabled = forms.BooleanField(required=False)
    abandon_message = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    script = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 8, "class": "code"}))
    record_calls = forms.BooleanField(required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["queue"].queryset = Queue.objects.filter(is_scratch=False).order_by("name")  # type: ignore[attr-defined]
        trunks = Trunk.objects.order_by("name")
        self.fields["trunk"].queryset = trunks  # type: ignore[attr-defined]
        default = next((trunk for trunk in trunks if trunk.is_default), None)
        if default is not None:
            # The empty choice follows whichever trunk is the default then; naming it avoids two
            # lines that read alike (the seeded trunk is itself called "default trunk").
            self.fields["trunk"].empty_label = _("Always the default trunk (now %(name)s)") % {"name": default.name}  # type: ignore[attr-defined]
        # The preview beside the script follows the typing (htmx posts the whole form).
        self.fields["script"].widget.attrs.update(
            {
                "hx-post": reverse_lazy("campaigns:script_preview"),
                "hx-trigger": "input changed delay:500ms",
                "hx-target": "#script-preview",
            }
        )
        for name, field in self.fields.items():
            if name != "max_abandon_rate":
                field.label = _model_label(name)
                field.help_text = field.help_text or _model_help(name)

    @classmethod
    def initial_of(cls, campaign: Campaign) -> dict[str, Any]:
        initial = {name: getattr(campaign, name) for name in CAMPAIGN_SETTINGS if name not in ("queue", "trunk")}
        initial["queue"] = campaign.queue_id
        initial["trunk"] = campaign.trunk_id
        initial["max_abandon_rate"] = (Decimal(campaign.max_abandon_rate) * 100).quantize(Decimal("0.01"))
        return initial

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["queue"] = data["queue"].pk
        data["trunk"] = data["trunk"].pk if data["trunk"] else None
        data["max_abandon_rate"] = data["max_abandon_rate"] / 100
        data["weekdays"] = sorted(data["weekdays"])
        for name in ("window_start", "window_end"):
            value: datetime.time = data[name]
            data[name] = value.replace(second=0, microsecond=0)
        return data


class RulesForm(forms.Form):
    """What follows each dial outcome, and what each disposition means, in one campaign.

    Fields: ``o_<outcome>_retry|gap|max`` and ``d_<disposition id>_kind|gap|max``. :meth:`rules`
    is the ``retry_rules_set`` argument; ``row_of`` maps its positions back to the table rows so
    that the service's ``rules[i]`` errors show on the right line."""

    def __init__(
        self, *args: Any, outcome_rows: list[dict[str, Any]], disposition_rows: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.outcome_rows = outcome_rows
        self.disposition_rows = disposition_rows
        self.row_errors: dict[str, list[str]] = {}
        self.row_of: list[str] = []
        for row in outcome_rows:
            key = f"o_{row['outcome']}"
            self.fields[f"{key}_retry"] = forms.BooleanField(required=False, initial=row["retry"], label=row["label"])
            self.fields[f"{key}_gap"] = forms.IntegerField(
                min_value=0, max_value=MAX_GAP_MINUTES, initial=row["min_gap_minutes"], label=_("Minimum gap (minutes)")
            )
            self.fields[f"{key}_max"] = forms.IntegerField(
                min_value=1, max_value=50, initial=row["max_attempts"], label=_("Maximum attempts")
            )
        for row in disposition_rows:
            key = f"d_{row['id']}"
            self.fields[f"{key}_kind"] = forms.ChoiceField(
                choices=[(kind, KIND_LABELS[kind]) for kind in DISPOSITION_KINDS],
                initial=row["kind"],
                disabled=row["locked"],
                label=row["name"],
            )
            self.fields[f"{key}_gap"] = forms.IntegerField(
                min_value=0, max_value=MAX_GAP_MINUTES, initial=row["min_gap_minutes"], label=_("Minimum gap (minutes)")
            )
            self.fields[f"{key}_max"] = forms.IntegerField(
                min_value=1, max_value=50, initial=row["max_attempts"], label=_("Maximum attempts")
            )

    def table(self) -> dict[str, list[dict[str, Any]]]:
        """Rows of bound fields for the template."""
        outcomes = [
            {
                "label": row["label"],
                "switch": self[f"o_{row['outcome']}_retry"],
                "gap": self[f"o_{row['outcome']}_gap"],
                "max": self[f"o_{row['outcome']}_max"],
                "errors": self._errors_of(f"o_{row['outcome']}"),
            }
            for row in self.outcome_rows
        ]
        dispositions = [
            {
                "label": row["name"],
                "code": row["code"],
                "switch": self[f"d_{row['id']}_kind"],
                "gap": self[f"d_{row['id']}_gap"],
                "max": self[f"d_{row['id']}_max"],
                "errors": self._errors_of(f"d_{row['id']}"),
            }
            for row in self.disposition_rows
        ]
        return {"outcomes": outcomes, "dispositions": dispositions}

    def _errors_of(self, key: str) -> list[str]:
        found = list(self.row_errors.get(key, []))
        if self.is_bound:
            for suffix in ("retry", "kind", "gap", "max"):
                found.extend(str(error) for error in self.errors.get(f"{key}_{suffix}", []))
        return found

    def rules(self) -> list[dict[str, Any]]:
        data = self.cleaned_data
        rules: list[dict[str, Any]] = []
        self.row_of = []
        for row in self.outcome_rows:
            key = f"o_{row['outcome']}"
            rules.append(
                {
                    "outcome": row["outcome"],
                    "retry": bool(data[f"{key}_retry"]),
                    "min_gap_minutes": data[f"{key}_gap"],
                    "max_attempts": data[f"{key}_max"],
                }
            )
            self.row_of.append(key)
        for row in self.disposition_rows:
            key = f"d_{row['id']}"
            kind = data[f"{key}_kind"]
            if kind == KIND_RETRY:
                rules.append(
                    {
                        "disposition": row["code"],
                        "retry": True,
                        "min_gap_minutes": data[f"{key}_gap"],
                        "max_attempts": data[f"{key}_max"],
                    }
                )
            elif kind == KIND_DNC:
                rules.append(
                    {
                        "disposition": row["code"],
                        "retry": False,
                        "do_not_call": True,
                        "min_gap_minutes": 0,
                        "max_attempts": 1,
                    }
                )
            else:
                continue  # a disposition without a rule is final
            self.row_of.append(key)
        return rules

    def add_service_errors(self, fields: dict[str, list[Any]]) -> bool:
        """Place ``rules[i]`` errors on their rows; True if any was placed."""
        placed = False
        for name, messages in fields.items():
            if not name.startswith("rules[") or not name.endswith("]"):
                continue
            index = name[len("rules[") : -1]
            if index.isdigit() and int(index) < len(self.row_of):
                self.row_errors.setdefault(self.row_of[int(index)], []).extend(str(m) for m in messages)
                placed = True
        return placed


# --- contact lists ---------------------------------------------------------------------------------------


class ContactListUploadForm(forms.Form):
    file = forms.FileField(
        label=_("File (CSV or XLSX)"),
        help_text=_("The first row names the columns; you map them to contact fields next."),
        widget=FileInput(attrs={"accept": ".csv,.txt,.xlsx"}),
    )
    name = forms.CharField(label=_("Name of the list"), required=False, max_length=200)


TARGET_CHOICES = [
    ("", _("— ignore —")),
    ("phone", _("Phone number")),
    ("name", _("Name")),
    ("time_zone", _("Time zone")),
    ("email", _("Email")),
    ("external_id", _("External ID")),
    ("custom", _("Custom field…")),
]


class MappingForm(forms.Form):
    """One target per column of the file: a standard field, a custom field (with its key), or nothing."""

    def __init__(
        self, *args: Any, columns: list[str], mapping: dict[str, str], sample: list[list[str]], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.columns = columns
        self.sample = sample
        for index, column in enumerate(columns):
            target = mapping.get(column, "")
            is_custom = target.startswith(CUSTOM_PREFIX)
            self.fields[f"target_{index}"] = forms.ChoiceField(
                label=column or _("(no header)"),
                choices=TARGET_CHOICES,
                required=False,
                initial="custom" if is_custom else (target if target in STANDARD_TARGETS else ""),
            )
            self.fields[f"key_{index}"] = forms.CharField(
                label=_("Custom field key"),
                required=False,
                max_length=50,
                initial=target[len(CUSTOM_PREFIX) :] if is_custom else "",
            )

    def rows(self) -> list[dict[str, Any]]:
        return [
            {
                "column": column,
                "target": self[f"target_{index}"],
                "key": self[f"key_{index}"],
                "samples": [values[index] for values in self.sample if index < len(values) and values[index]],
            }
            for index, column in enumerate(self.columns)
        ]

    def mapping(self) -> dict[str, str]:
        """``{"column": "phone" | … | "custom.<key>"}`` for contact_list_start (which validates it)."""
        mapping: dict[str, str] = {}
        for index, column in enumerate(self.columns):
            target = self.cleaned_data.get(f"target_{index}") or ""
            if not column or column in mapping or not target:
                continue
            if target == "custom":
                key = (self.cleaned_data.get(f"key_{index}") or "").strip()
                target = CUSTOM_PREFIX + key
            mapping[column] = target
        return mapping


class ExportForm(forms.Form):
    file_format = forms.ChoiceField(choices=ExportFormat.choices, initial=ExportFormat.CSV)


# --- do-not-call, consent, callbacks ---------------------------------------------------------------------


def scope_choices(campaigns: list[Campaign]) -> list[tuple[str, Any]]:
    return [("", _("Every campaign (tenant-wide)"))] + [(str(c.pk), c.name) for c in campaigns]


class DncSearchForm(forms.Form):
    q = forms.CharField(label=_("Number"), required=False, max_length=32)
    scope = forms.ChoiceField(label=_("List"), required=False)

    def __init__(self, *args: Any, campaigns: list[Campaign], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["scope"].choices = [  # type: ignore[attr-defined]
            ("", _("All entries")),
            ("tenant", _("Tenant-wide only")),
        ] + [(str(c.pk), c.name) for c in campaigns]


class DncAddForm(forms.Form):
    number = forms.CharField(label=_("Number"), max_length=32)
    campaign = forms.ChoiceField(label=_("List"), required=False)
    reason = forms.CharField(label=_("Reason"), required=False, max_length=200)

    def __init__(self, *args: Any, campaigns: list[Campaign], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["campaign"].choices = scope_choices(campaigns)  # type: ignore[attr-defined]


class DncImportForm(forms.Form):
    file = forms.FileField(label=_("File (CSV or XLSX)"), widget=FileInput(attrs={"accept": ".csv,.txt,.xlsx"}))
    campaign = forms.ChoiceField(label=_("List"), required=False)
    column = forms.CharField(
        label=_("Number column"),
        required=False,
        max_length=200,
        help_text=_("Empty: the column whose header looks like a phone number, else the first."),
    )
    reason = forms.CharField(label=_("Reason"), required=False, max_length=200)

    def __init__(self, *args: Any, campaigns: list[Campaign], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["campaign"].choices = scope_choices(campaigns)  # type: ignore[attr-defined]


class ConsentSearchForm(forms.Form):
    q = forms.CharField(label=_("Number"), required=False, max_length=32)
    active = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("All")), ("1", _("In force")), ("0", _("Revoked"))],
    )


class ConsentForm(forms.Form):
    number = forms.CharField(label=_("Number"), max_length=32)
    source = forms.CharField(label=_("Source"), max_length=200, help_text=_("Where and how consent was given."))
    granted_at = forms.DateTimeField(
        label=_("Granted (local time)"),
        required=False,
        widget=DateTimeInput(),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"],
        help_text=_("Empty: now."),
    )


class PolicyForm(forms.Form):
    marketing_requires_consent = forms.BooleanField(
        label=_("Marketing campaigns dial only numbers with consent"), required=False
    )


class RevokeForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), required=False, max_length=200)


class CallbackFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), required=False)
    campaign = forms.ChoiceField(label=_("Campaign"), required=False)

    def __init__(self, *args: Any, campaigns: list[Campaign], statuses: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", _("All"))] + statuses  # type: ignore[attr-defined]
        self.fields["campaign"].choices = [("", _("All"))] + [(str(c.pk), c.name) for c in campaigns]  # type: ignore[attr-defined]
