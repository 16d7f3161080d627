from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class RetentionPolicyForm(forms.Form):
    recordings_days = forms.IntegerField(label=_("Recordings (days)"), required=False, min_value=1)
    calls_days = forms.IntegerField(label=_("Call records and agent state history (days)"), required=False, min_value=1)
    contacts_days = forms.IntegerField(label=_("Campaign contacts (days)"), required=False, min_value=1)

    def __init__(self, *args, defaults: dict[str, int], **kwargs):
        super().__init__(*args, **kwargs)
        for kind, days in defaults.items():
            field = self.fields[f"{kind}_days"]
            field.help_text = _("Empty: the platform default, %(days)d days.") % {"days": days}


class LegalHoldForm(forms.Form):
    call = forms.CharField(label=_("Call ID"), max_length=64)
    reason = forms.CharField(label=_("Reason"), max_length=200)
