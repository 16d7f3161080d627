"""Forms of the staffing pages (all GET: the pages compute, they never write)."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.accounts.models import Team
from apps.core.widgets import DateInput

MAX_RANGE_DAYS = 62


class StaffingDayForm(forms.Form):
    day = forms.DateField(label=_("Day"), widget=DateInput())


class WhatIfRosterForm(forms.Form):
    day = forms.DateField(label=_("Day"), widget=DateInput())
    patience_seconds = forms.IntegerField(
        label=_("Caller patience (s)"),
        required=False,
        min_value=0,
        max_value=3600,
        help_text=_("Mean seconds a caller waits before hanging up; empty or 0: callers never hang up."),
    )
    published_only = forms.BooleanField(label=_("Published shifts only"), required=False)


class PeoplePerSeatForm(forms.Form):
    """The seeds' formula: seat hours/day × working days/month ÷ legal hours per person."""

    seat_hours_per_day = forms.DecimalField(
        label=_("Seat hours per day"), min_value=Decimal("0.5"), max_value=Decimal(24), decimal_places=2
    )
    working_days_per_month = forms.DecimalField(
        label=_("Days open per month"), min_value=Decimal(1), max_value=Decimal(31), decimal_places=2
    )
    monthly_legal_hours = forms.DecimalField(
        label=_("Legal hours per person per month"),
        min_value=Decimal(1),
        max_value=Decimal(400),
        decimal_places=2,
        help_text=_("China: 21.75 days × 8 h = 174 h (the attendance policy)."),
    )
    seats = forms.IntegerField(label=_("Seats"), required=False, min_value=1, max_value=100_000)


class ErlangForm(forms.Form):
    """One interval by Erlang C (DOMAIN §3)."""

    calls = forms.DecimalField(label=_("Calls in the interval"), min_value=Decimal(0), max_value=Decimal(100_000))
    interval_minutes = forms.TypedChoiceField(
        label=_("Interval"), choices=[(15, "15"), (30, "30"), (60, "60")], coerce=int, initial=30
    )
    aht_seconds = forms.DecimalField(label=_("AHT (s)"), min_value=Decimal(1), max_value=Decimal(7200))
    sl_target_percent = forms.DecimalField(
        label=_("Service level target (%)"), min_value=Decimal(1), max_value=Decimal("99.9")
    )
    sl_threshold_seconds = forms.IntegerField(label=_("Answered within (s)"), min_value=1, max_value=3600)
    max_occupancy_percent = forms.DecimalField(
        label=_("Occupancy cap (%)"), min_value=Decimal(10), max_value=Decimal(100), initial=85
    )
    shrinkage_percent = forms.DecimalField(
        label=_("Shrinkage (%)"), min_value=Decimal(0), max_value=Decimal(90), initial=30
    )


class AdherenceFilterForm(forms.Form):
    since = forms.DateField(label=_("From"), widget=DateInput())
    until = forms.DateField(label=_("To"), widget=DateInput(), help_text=_("Inclusive."))
    team = forms.ModelChoiceField(label=_("Team"), queryset=Team.objects.none(), required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = Team.objects.order_by("name")  # type: ignore[attr-defined]

    def clean(self):
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if since and until:
            if until < since:
                self.add_error("until", _("The end must not be before the start."))
            elif (until - since).days >= MAX_RANGE_DAYS:
                self.add_error("until", _("At most %(days)s days.") % {"days": MAX_RANGE_DAYS})
        return data
