"""The month picker of the agent's own schedule page."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _


class MonthForm(forms.Form):
    month = forms.RegexField(
        label=_("Month"),
        regex=r"^\d{4}-(0[1-9]|1[0-2])$",
        required=False,
        help_text=_("YYYY-MM"),
        widget=forms.TextInput(attrs={"placeholder": "YYYY-MM", "size": 8}),
    )

    def first_day(self, today: dt.date) -> dt.date:
        value = self.cleaned_data.get("month") if self.is_valid() else ""
        if not value:
            return today.replace(day=1)
        year, month = value.split("-")
        return dt.date(int(year), int(month), 1)
