"""Forms of the typing-test pages."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.training.choices import TypingLanguage


class TypingTestForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    language = forms.ChoiceField(label=_("Language"), choices=TypingLanguage.choices)
    passage = forms.CharField(label=_("Passage"), max_length=5000, widget=forms.Textarea(attrs={"rows": 4}))
    duration_seconds = forms.IntegerField(label=_("Duration (s)"), min_value=10, max_value=3600, initial=120)
    pass_cpm = forms.IntegerField(label=_("Pass: characters per minute"), min_value=1, max_value=1000, initial=30)
    pass_accuracy = forms.IntegerField(label=_("Pass: accuracy (%)"), min_value=0, max_value=100, initial=90)
