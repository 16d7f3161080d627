"""The handover form (the five items of 交接班) and the supervisor's override."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.accounts.models import User

ITEM_HELP = {
    "situation": _("What is going on: queues, waiting customers, incidents."),
    "equipment": _("Headsets, phones, computers: what works, what does not."),
    "tools": _("Systems and tools: logins, outages, workarounds."),
    "quality": _("Quality notes: complaints, escalations, what to watch."),
    "open_records": _("Records still open: tickets, callbacks, promises made."),
}


class IncomingField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return obj.get_full_name() or obj.email


class HandoverForm(forms.Form):
    situation = forms.CharField(
        label=_("Situation"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )
    equipment = forms.CharField(
        label=_("Equipment"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 2})
    )
    tools = forms.CharField(label=_("Tools"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 2}))
    quality = forms.CharField(
        label=_("Quality"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 2})
    )
    open_records = forms.CharField(
        label=_("Open records"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )
    incoming = IncomingField(label=_("Handing over to"), queryset=User.objects.none(), required=False)

    def __init__(self, *args, successors=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name, text in ITEM_HELP.items():
            self.fields[name].help_text = text
        self.fields["incoming"].queryset = User.objects.filter(pk__in=[u.pk for u in successors])  # type: ignore[attr-defined]
        self.fields["incoming"].empty_label = _("Whoever takes over first")  # type: ignore[attr-defined]

    def items(self) -> dict[str, str]:
        return {name: self.cleaned_data.get(name, "") for name in ITEM_HELP}


class OverrideForm(forms.Form):
    reason = forms.CharField(label=_("Why let them go unsigned"), max_length=1000)
