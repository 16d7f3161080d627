"""Forms of the course pages: a course, a lesson, an assignment, a QA training rule.

They check shapes only; the services (apps/training/services/courses.py, qa_link.py) apply the
rules and their field errors come back onto these forms (``apply_error``).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.accounts.models import Team, User
from apps.core.widgets import DateInput, FileInput
from apps.training.choices import CourseStatus, LessonKind
from apps.training.models import Course


class CourseForm(forms.Form):
    key = forms.SlugField(label=_("Key"), max_length=100, help_text=_("Lower-case letters, digits, - and _."))
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    status = forms.ChoiceField(label=_("Status"), choices=CourseStatus.choices)
    position = forms.IntegerField(label=_("Order in the catalogue"), min_value=0, max_value=100_000, initial=0)
    prerequisites = forms.ModelMultipleChoiceField(
        label=_("Prerequisites"), queryset=Course.objects.none(), required=False
    )

    def __init__(self, *args: Any, course: Course | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        others = Course.objects.order_by("title")
        if course is not None:
            others = others.exclude(pk=course.pk)
        self.fields["prerequisites"].queryset = others  # type: ignore[attr-defined]

    def as_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["prerequisites"] = [c.pk for c in data["prerequisites"]]
        return data


class LessonForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=LessonKind.choices)
    title = forms.CharField(label=_("Title"), max_length=200)
    body = forms.CharField(
        label=_("Text"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("Shown as written, line breaks kept (HTML tags are shown as text, never run)."),
    )
    call_uid = forms.CharField(
        label=_("Call ID"), required=False, max_length=64, help_text=_("Golden call: the ID of a recorded call.")
    )
    clip_start = forms.IntegerField(label=_("Clip start (s)"), required=False, min_value=0, max_value=86_400)
    clip_end = forms.IntegerField(
        label=_("Clip end (s)"), required=False, min_value=1, max_value=86_400, help_text=_("Empty: to the end.")
    )
    trainer_notes = forms.CharField(
        label=_("Trainer's notes"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    attachment = forms.FileField(label=_("Attachment"), required=False, widget=FileInput())

    def as_data(self) -> dict[str, Any]:
        data = {k: v for k, v in self.cleaned_data.items() if k != "attachment"}
        return {k: ("" if v is None and k in ("call_uid",) else v) for k, v in data.items()}


class AssignForm(forms.Form):
    users = forms.ModelMultipleChoiceField(label=_("People"), queryset=User.objects.none(), required=False)
    teams = forms.ModelMultipleChoiceField(label=_("Teams"), queryset=Team.objects.none(), required=False)
    due_date = forms.DateField(label=_("Due date"), required=False, widget=DateInput())

    def __init__(self, *args: Any, people=None, teams=None, **kwargs: Any) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["users"].queryset = people if people is not None else User.objects.none()  # type: ignore[attr-defined]
        self.fields["teams"].queryset = teams if teams is not None else Team.objects.none()  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("users") and not data.get("teams"):
            raise forms.ValidationError(_("Choose people or teams."))
        return data


class QaRuleForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=150)
    question_text = forms.CharField(
        label=_("Scorecard question"), max_length=500, help_text=_("The question's text, as on the scorecard.")
    )
    misses = forms.IntegerField(label=_("Misses in a month"), min_value=1, max_value=100, initial=3)
    course = forms.ModelChoiceField(label=_("Course to assign"), queryset=Course.objects.order_by("title"))
    due_days = forms.IntegerField(label=_("Due after (days)"), min_value=0, max_value=365, initial=14)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def as_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["course"] = data["course"].pk
        return data
