from django import forms
from django.utils.translation import gettext_lazy as _


class AuditRetentionForm(forms.Form):
    retention_days = forms.IntegerField(
        label=_("Keep audit entries for (days)"),
        required=False,
        min_value=1,
        help_text=_("Empty: the platform default."),
    )
