"""The shift type form (/workforce/shift-types/): the service checks the rest (unique code, the
break shorter than the shift, the colour)."""

from __future__ import annotations

from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from apps.core.widgets import TimeInput


class ShiftTypeForm(forms.Form):
    code = forms.CharField(
        label=_("Code"), max_length=16, help_text=_("Short, shown in the roster's cells: 早, 中, N…")
    )
    name = forms.CharField(label=_("Name"), max_length=100)
    start = forms.TimeField(label=_("Starts"), widget=TimeInput())
    end = forms.TimeField(
        label=_("Ends"), widget=TimeInput(), help_text=_("An end at or before the start ends the next day (overnight).")
    )
    break_minutes = forms.IntegerField(label=_("Unpaid break (minutes)"), min_value=0, max_value=600, initial=0)
    colour = forms.CharField(
        label=_("Colour"),
        max_length=7,
        initial="#4f7cff",
        validators=[RegexValidator(r"^#[0-9A-Fa-f]{6}$", _("Use #RRGGBB."))],
        widget=forms.TextInput(attrs={"data-colour-input": "", "size": 8}),
    )
    is_active = forms.BooleanField(
        label=_("Active"), required=False, initial=True, help_text=_("Retired types stay on old rosters.")
    )

    def cleaned_data_for_create(self) -> dict:
        """The create service takes no ``is_active`` (a new type is active)."""
        return {name: value for name, value in self.cleaned_data.items() if name != "is_active"}
