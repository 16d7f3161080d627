"""Form of the dialling policy page (apps/telephony/views/dialling.py). Prefix syntax and the
platform's limits are checked by services/dialling.py."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy

from apps.telephony.dialer import dialling


class DiallingPolicyForm(forms.Form):
    allow_international = forms.BooleanField(label=gettext_lazy("Allow international numbers"), required=False)
    allowed_prefixes = forms.CharField(
        label=gettext_lazy("Allowed prefixes"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("One per line, + and the country code: +86 for Chinese numbers, +852 for Hong Kong."),
    )
    blocked_prefixes = forms.CharField(
        label=gettext_lazy("Blocked prefixes"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        help_text=gettext_lazy(
            "One per line. +<digits> blocks numbers by their international form; digits alone (95, 96) "
            "block short numbers dialled as such."
        ),
    )
    rate_per_minute = forms.IntegerField(
        label=gettext_lazy("Manual calls per agent per minute"), min_value=1, max_value=dialling.RATE_PER_MINUTE_MAX
    )
    rate_per_hour = forms.IntegerField(
        label=gettext_lazy("Manual calls per agent per hour"), min_value=1, max_value=dialling.RATE_PER_HOUR_MAX
    )
