from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy

from apps.calendar.choices import DayKind, DaySource, TenantDayKind
from apps.core.widgets import DateInput, FileInput


class PlatformDayForm(forms.Form):
    date = forms.DateField(label=gettext_lazy("Date"), widget=DateInput())
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=DayKind.choices)
    name_zh = forms.CharField(label=gettext_lazy("Name (Chinese)"), max_length=80, required=False)
    name_en = forms.CharField(label=gettext_lazy("Name (English)"), max_length=80, required=False)
    source = forms.ChoiceField(label=gettext_lazy("Source"), choices=DaySource.choices, initial=DaySource.MANUAL)


class ImportForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("CSV or JSON file"), widget=FileInput())
    year = forms.IntegerField(label=gettext_lazy("Year"), required=False, min_value=2000, max_value=2100)


class TenantDayForm(forms.Form):
    date = forms.DateField(label=gettext_lazy("Date"), widget=DateInput())
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=TenantDayKind.choices)
    name = forms.CharField(label=gettext_lazy("Name"), max_length=80, required=False)
