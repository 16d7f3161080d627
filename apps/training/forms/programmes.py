"""Forms of the programme and career pages (shapes only; the services apply the rules)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.accounts.models import User
from apps.core.widgets import DateInput
from apps.training.choices import ProgrammeStepKind
from apps.training.models import Certification, Course, Exam


class ProgrammeForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=150)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    is_active = forms.BooleanField(label=_("In use"), required=False, initial=True)


class StepForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=ProgrammeStepKind.choices)
    course = forms.ModelChoiceField(label=_("Course"), queryset=Course.objects.order_by("title"), required=False)
    exam = forms.ModelChoiceField(label=_("Exam"), queryset=Exam.objects.order_by("title"), required=False)
    title = forms.CharField(label=_("Title"), max_length=200, required=False, help_text=_("A milestone's name."))
    due_days = forms.IntegerField(label=_("Due after (days)"), min_value=0, max_value=3650, initial=7)

    def as_step(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "kind": data["kind"],
            "course": data["course"].pk if data.get("course") else None,
            "exam": data["exam"].pk if data.get("exam") else None,
            "title": data.get("title") or "",
            "due_days": data["due_days"],
        }


class ProgrammeAssignForm(forms.Form):
    users = forms.ModelMultipleChoiceField(label=_("New hires"), queryset=User.objects.none())
    started_on = forms.DateField(label=_("Start date"), required=False, widget=DateInput())

    def __init__(self, *args: Any, people=None, **kwargs: Any) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["users"].queryset = people if people is not None else User.objects.none()  # type: ignore[attr-defined]


class SignoffForm(forms.Form):
    notes = forms.CharField(label=_("Notes"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class CareerLevelForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    rank = forms.IntegerField(label=_("Rank"), min_value=0, max_value=1000, help_text=_("Higher is more senior."))
    min_qa_average = forms.DecimalField(
        label=_("Minimum QA average (%)"), required=False, min_value=0, max_value=100, decimal_places=2
    )
    min_tenure_months = forms.IntegerField(label=_("Minimum tenure (months)"), min_value=0, max_value=600, initial=0)
    certifications = forms.ModelMultipleChoiceField(
        label=_("Required certifications"), queryset=Certification.objects.order_by("name"), required=False
    )
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def as_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["certifications"] = [c.pk for c in data["certifications"]]
        value = data.get("min_qa_average")
        data["min_qa_average"] = str(value) if value is not None else None
        return data
