"""Forms of the seats and telephony console pages (apps/telephony/views/plant.py)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy

from apps.telephony.choices import SeatRegistrationMode


class SeatAddForm(forms.Form):
    count = forms.IntegerField(label=gettext_lazy("Seats to add"), min_value=1, initial=1)


class SeatModeForm(forms.Form):
    registration_mode = forms.ChoiceField(label=gettext_lazy("Registration"), choices=SeatRegistrationMode.choices)


class RenameForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100)
    caller_id = forms.CharField(label=gettext_lazy("Caller ID"), max_length=32, required=False)
