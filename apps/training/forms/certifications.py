"""Forms of the certification pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.telephony.models import Skill
from apps.training.models import Exam


class CertificationForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=150)
    exam = forms.ModelChoiceField(label=_("Exam"), queryset=Exam.objects.none())
    valid_months = forms.IntegerField(
        label=_("Valid for (months)"),
        min_value=1,
        max_value=240,
        initial=12,
        required=False,
        help_text=_("Empty: never expires."),
    )
    renewal_notice_days = forms.IntegerField(label=_("Renewal notice (days)"), min_value=0, max_value=365, initial=30)
    skill = forms.ModelChoiceField(
        label=_("Grants skill"),
        queryset=Skill.objects.none(),
        required=False,
        help_text=_("The skill routes calls to the agent only while the certificate is valid."),
    )
    level = forms.IntegerField(label=_("Skill level"), min_value=1, max_value=10, initial=5, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["exam"].queryset = Exam.objects.order_by("title")  # type: ignore[attr-defined]
        self.fields["skill"].queryset = Skill.objects.order_by("name")  # type: ignore[attr-defined]

    def as_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "exam": data["exam"].pk,
            "valid_months": data.get("valid_months"),
            "renewal_notice_days": data["renewal_notice_days"],
            "skill": data["skill"].pk if data.get("skill") else None,
            "level": data.get("level") if data.get("skill") else None,
        }


class RevokeForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=300)
