"""The webhook form of the administrators' page (apps/webhooks/views/webhooks.py). The rules
(URL checks, known event types) are the service's: its field messages land on this form."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.webhooks.catalog import event_choices


class WebhookForm(forms.Form):
    url = forms.CharField(
        label=_("URL"),
        max_length=2000,
        widget=forms.URLInput(attrs={"placeholder": "https://crm.example.com/hooks/contact-center"}),
        help_text=_("Where the events are POSTed; it must be reachable on the internet."),
    )
    events = forms.MultipleChoiceField(label=_("Events"), widget=forms.CheckboxSelectMultiple)
    description = forms.CharField(label=_("Description"), max_length=200, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The choices are read per form, so the labels come in the request's language.
        cast(forms.MultipleChoiceField, self.fields["events"]).choices = event_choices()
