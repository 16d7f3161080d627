"""Forms of the exam pages: the trainer's editor (exam, question, draw rule, bank) and grading.

The question form speaks people's language: options one per line, the correct ones by their
number (1, 2, 3…); ``as_data()`` turns it into the service's shape (indexes from 0).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.training.choices import QuestionKind
from apps.training.models import QuestionBank


class ExamForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    pass_percent = forms.IntegerField(label=_("Pass mark (%)"), min_value=0, max_value=100, initial=80)
    time_limit_minutes = forms.IntegerField(label=_("Time limit (minutes)"), min_value=1, max_value=1440, initial=30)
    max_attempts = forms.IntegerField(
        label=_("Attempts allowed"),
        min_value=1,
        max_value=100,
        initial=3,
        required=False,
        help_text=_("Empty: no limit."),
    )


class QuestionForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=QuestionKind.choices)
    text = forms.CharField(label=_("Question"), widget=forms.Textarea(attrs={"rows": 2}))
    options = forms.CharField(
        label=_("Options"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One per line. True/false: leave empty for True and False."),
    )
    correct = forms.CharField(
        label=_("Correct options"),
        required=False,
        max_length=100,
        help_text=_("Their numbers, e.g. 2 or 1,3. Empty for a short answer."),
    )
    points = forms.IntegerField(label=_("Points"), min_value=1, max_value=100, initial=1)
    tags = forms.CharField(label=_("Tags"), required=False, max_length=500, help_text=_("Separated by commas."))
    explanation = forms.CharField(
        label=_("Explanation"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Shown with the result, after submission."),
    )

    def clean_correct(self) -> list[int]:
        raw = self.cleaned_data.get("correct") or ""
        try:
            return [int(part) - 1 for part in raw.replace("，", ",").split(",") if part.strip()]
        except ValueError:
            raise forms.ValidationError(_("Give option numbers separated by commas.")) from None

    def as_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "kind": data["kind"],
            "text": data["text"],
            "options": [line.strip() for line in (data.get("options") or "").splitlines() if line.strip()],
            "answer": data["correct"],
            "points": data["points"],
            "tags": [tag.strip() for tag in (data.get("tags") or "").replace("，", ",").split(",") if tag.strip()],
            "explanation": data.get("explanation") or "",
        }


class DrawForm(forms.Form):
    bank = forms.ModelChoiceField(label=_("Bank"), queryset=QuestionBank.objects.none())
    tag = forms.CharField(
        label=_("Tag"), required=False, max_length=50, help_text=_("Empty: any question of the bank.")
    )
    count = forms.IntegerField(label=_("Questions to draw"), min_value=1, max_value=200, initial=5)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["bank"].queryset = QuestionBank.objects.order_by("name")  # type: ignore[attr-defined]


class BankForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=150)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class GradeForm(forms.Form):
    points = forms.DecimalField(label=_("Points"), min_value=0, max_digits=6, decimal_places=2)
    feedback = forms.CharField(label=_("Feedback"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
