"""The attendance policy form (/workforce/policy/): a new version from a chosen date.

HR people type bands, not JSON: one band per line, ``1-3: 50%`` (sick-leave deduction, both
days included) or ``10-20: 10`` (annual leave, from 10 years up to, not including, 20), and
``4+: 100%`` for a band without an end. Bereavement days get one number box per relation.
Everything is checked here so that a mistake is a field error and nothing is saved; the
service (``policy_create``) then writes the version and its audit entry.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.core.widgets import DateInput
from apps.workforce.choices import Relation
from apps.workforce.models import WorkforcePolicy
from apps.workforce.services.policy import parse_allowlist

_BAND = re.compile(r"^(\d+)\s*(?:(?:-|–|—|~|to)\s*(\d+)|\+)\s*[:：]\s*(\d+(?:\.\d+)?)\s*(%?)$")

# Fields copied one to one between the form and the model.
PLAIN_FIELDS = (
    "early_clock_in_minutes",
    "late_grace_minutes",
    "overtime_rate_workday",
    "overtime_rate_rest_day",
    "overtime_rate_holiday",
    "monthly_legal_hours",
    "warning_threshold",
    "warning_window_months",
    "absence_consecutive_days",
    "absence_days_per_year",
    "leave_hr_approval_over_days",
    "handover_required",
    "ip_allowlist",
    "auto_clock_from_desk",
    "note",
)


def _number(value: float) -> str:
    return f"{value:g}"


def bands_text(bands: list, *, percent: bool) -> str:
    """The model's ``[[from, to or null, value], …]`` as the lines HR edits."""
    lines = []
    for first, last, value in bands or []:
        shown = f"{_number(float(value) * 100)}%" if percent else _number(float(value))
        lines.append(f"{first}+: {shown}" if last is None else f"{first}-{last}: {shown}")
    return "\n".join(lines)


def parse_bands(text: str, *, percent: bool, end_included: bool, value_max: float) -> list:
    """The lines back as ``[[from, to or null, value], …]``; raises ValidationError naming the
    line at fault. Bands must follow one another without overlap, only the last may be open."""
    bands: list = []
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        raise forms.ValidationError(_("Give at least one band."))
    for number, line in enumerate(lines, start=1):
        match = _BAND.match(line)
        if not match:
            raise forms.ValidationError(
                _("Line %(n)s (“%(line)s”) is not a band like “1-3: 50%%” or “4+: 100%%”."),
                params={"n": number, "line": line},
            )
        first, last_text, value_text, sign = match.groups()
        first_n, last = int(first), (None if last_text is None else int(last_text))
        value = float(value_text)
        if percent and not sign:
            raise forms.ValidationError(_("Line %(n)s: write the share with a %% sign."), params={"n": number})
        if not percent and sign:
            raise forms.ValidationError(_("Line %(n)s: write days, without a %% sign."), params={"n": number})
        if value > value_max:
            raise forms.ValidationError(
                _("Line %(n)s: at most %(max)s."),
                params={"n": number, "max": f"{_number(value_max)}{'%' if percent else ''}"},
            )
        if first_n < 1 or (last is not None and (last < first_n if end_included else last <= first_n)):
            raise forms.ValidationError(_("Line %(n)s: the band ends before it starts."), params={"n": number})
        if bands:
            previous_first, previous_last, _value = bands[-1]
            if previous_last is None:
                raise forms.ValidationError(
                    _("Line %(n)s: only the last band may be open-ended (“4+”)."), params={"n": number - 1}
                )
            expected = previous_last + 1 if end_included else previous_last
            if first_n != expected:
                raise forms.ValidationError(
                    _("Line %(n)s should start at %(expected)s, where the band before ends."),
                    params={"n": number, "expected": expected},
                )
        bands.append([first_n, last, round(value / 100, 4) if percent else value])
    return bands


def _whole(label, *, max_value: int, help_text: Any = "", min_value: int = 0) -> forms.IntegerField:
    return forms.IntegerField(label=label, min_value=min_value, max_value=max_value, help_text=help_text)


class PolicyForm(forms.Form):
    effective_from = forms.DateField(
        label=_("Effective from"),
        widget=DateInput(),
        help_text=_("The new rules judge this day and later; earlier days keep the version they had."),
    )
    early_clock_in_minutes = _whole(
        _("Clock in minutes before the shift"),
        max_value=240,
        help_text=_("Clocking in later than the shift start minus these minutes is late."),
    )
    late_grace_minutes = _whole(
        _("Late grace (minutes)"), max_value=120, help_text=_("Lateness up to these minutes is not counted.")
    )
    sick_bands = forms.CharField(
        label=_("Sick leave deduction bands"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "One band per line: days of one spell (both ends included) and the share of the daily wage "
            "deducted, e.g. “1-3: 50%” then “4+: 100%”."
        ),
    )
    annual_leave_bands = forms.CharField(
        label=_("Annual leave by years of service"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "One band per line: total years of service (from, up to but not including) and days per year, "
            "e.g. “1-10: 5”, “10-20: 10”, “20+: 15”."
        ),
    )
    overtime_rate_workday = _whole(_("Overtime rate on a working day (%)"), min_value=100, max_value=1000)
    overtime_rate_rest_day = _whole(_("Overtime rate on a rest day (%)"), min_value=100, max_value=1000)
    overtime_rate_holiday = _whole(_("Overtime rate on a statutory holiday (%)"), min_value=100, max_value=1000)
    monthly_legal_hours = forms.DecimalField(
        label=_("Legal working hours per month"),
        min_value=Decimal("1"),
        max_value=Decimal("744"),
        max_digits=6,
        decimal_places=2,
        help_text=_("21.75 days × 8 hours = 174."),
    )
    warning_threshold = _whole(_("Warning letters that flag a review"), min_value=1, max_value=100)
    warning_window_months = _whole(_("Within months"), min_value=1, max_value=120)
    absence_consecutive_days = _whole(
        _("Consecutive scheduled days absent that flag a review"), min_value=1, max_value=365
    )
    absence_days_per_year = _whole(_("Days absent in a year that flag a review"), min_value=1, max_value=365)
    leave_hr_approval_over_days = _whole(
        _("HR also approves leave longer than (days)"),
        max_value=365,
        help_text=_("0: a supervisor's approval is always enough."),
    )
    handover_required = forms.BooleanField(
        label=_("Handover before clock-out"),
        required=False,
        help_text=_("An agent followed by a colleague cannot clock out before the handover is signed."),
    )
    ip_allowlist = forms.CharField(
        label=_("Clocking allowed from"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Addresses or networks (CIDR), one per line. Empty: from anywhere."),
    )
    auto_clock_from_desk = forms.BooleanField(
        label=_("Clock in and out with the agent desktop"),
        required=False,
        help_text=_("Logging in to the desk clocks in; logging out clocks out."),
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=200, help_text=_("Why this version."))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # One box per relation, placed after the sick-leave bands.
        fields = list(self.fields.items())
        at = [name for name, _field in fields].index("sick_bands") + 1
        extra = [
            (
                f"bereavement_{relation.value}",
                forms.IntegerField(
                    label=_("Bereavement days: %(relation)s") % {"relation": relation.label},
                    min_value=0,
                    max_value=30,
                ),
            )
            for relation in Relation
        ]
        self.fields = dict(fields[:at] + extra + fields[at:])  # type: ignore[assignment]

    @classmethod
    def initial_from(cls, policy: WorkforcePolicy) -> dict[str, Any]:
        """The form's values from a version (the one in effect pre-fills the form)."""
        initial: dict[str, Any] = {name: getattr(policy, name) for name in PLAIN_FIELDS}
        initial["sick_bands"] = bands_text(policy.sick_bands, percent=True)
        initial["annual_leave_bands"] = bands_text(policy.annual_leave_bands, percent=False)
        for relation in Relation:
            initial[f"bereavement_{relation.value}"] = (policy.bereavement_days or {}).get(relation.value, 0)
        return initial

    def clean_sick_bands(self) -> list:
        return parse_bands(self.cleaned_data["sick_bands"], percent=True, end_included=True, value_max=100)

    def clean_annual_leave_bands(self) -> list:
        return parse_bands(self.cleaned_data["annual_leave_bands"], percent=False, end_included=False, value_max=365)

    def clean_ip_allowlist(self) -> str:
        text = self.cleaned_data["ip_allowlist"]
        try:
            parse_allowlist(text)
        except ValueError as error:
            raise forms.ValidationError(
                _("Not an address or network: %(error)s"), params={"error": str(error)}
            ) from error
        return text

    def values(self) -> dict[str, Any]:
        """The cleaned settings as ``policy_create`` takes them."""
        data = self.cleaned_data
        values: dict[str, Any] = {name: data[name] for name in PLAIN_FIELDS}
        values["sick_bands"] = data["sick_bands"]
        values["annual_leave_bands"] = data["annual_leave_bands"]
        values["bereavement_days"] = {relation.value: data[f"bereavement_{relation.value}"] for relation in Relation}
        return values
