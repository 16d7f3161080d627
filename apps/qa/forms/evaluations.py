"""Forms of the QA home (the call picker) and of the evaluation workspace.

The workspace form only reads what the page sent (a choice, a number, N/A) and puts it in the
shape of the API's answers (``{"question", "value"}`` or ``{"question", "na": true}``); whether
a value is in range, whether every question is answered before a submit, and the score itself
are the service's and the scoring contract's (apps/qa/services/evaluations.py, apps/qa/scoring.py),
whose field errors the view puts back next to the questions.
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from apps.core.widgets import DateInput
from apps.qa.choices import QuestionKind
from apps.qa.models import Question, Section
from apps.telephony.filtersets import AgentChoiceField
from apps.telephony.models import Agent

NA = "na"
YES, NO = "yes", "no"
# A scale question up to this many points is a row of buttons; a longer one a number box.
SCALE_BUTTONS_MAX = 10
COMMENT_MAX = 2000
COMMENTS_MAX = 200
SUMMARY_MAX = 4000
REASON_MAX = 500


class CallPickerForm(forms.Form):
    """Find a call to evaluate: part of its call ID, its agent, its day."""

    uid = forms.CharField(label=_("Call ID"), required=False, max_length=64)
    agent = AgentChoiceField(
        queryset=Agent.objects.select_related("user").order_by("user__name", "id"), label=_("Agent"), required=False
    )
    day = forms.DateField(label=_("Day"), required=False, widget=DateInput())


def question_field_name(question: Question) -> str:
    return f"q_{question.pk}"


def question_na_name(question: Question) -> str:
    """The N/A box of a question answered in a number box (the others offer N/A as a choice)."""
    return f"q_{question.pk}_na"


def uses_buttons(question: Question) -> bool:
    return question.kind == QuestionKind.YES_NO or (
        question.kind == QuestionKind.SCALE and question.points <= SCALE_BUTTONS_MAX
    )


def _number(value: Any) -> str:
    """A stored answer as the form shows it: 3, not 3.00; 2.5 as it is."""
    number = Decimal(value)
    return str(number.quantize(Decimal(1)) if number == number.to_integral_value() else number.normalize())


class EvaluationForm(forms.Form):
    """One field per question of the scorecard (``q_<id>``), the summary and the comments.

    ``sections`` are the scorecard's sections with their questions prefetched
    (apps.qa.selectors.scorecards.scorecard_sections). Comments arrive as parallel lists
    ``comment_at`` / ``comment_text`` (the page adds a row per comment, at the player's time)."""

    summary = forms.CharField(
        label=_("Summary"),
        required=False,
        max_length=SUMMARY_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, sections: list[Section], with_reason: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sections = sections
        if with_reason:
            # Changing a submitted evaluation keeps a revision; the reason is kept with it.
            self.fields["reason"] = forms.CharField(
                label=_("Reason for the change"), required=False, max_length=REASON_MAX
            )
        self.questions: dict[int, Question] = {}
        for section in sections:
            for question in section.questions.all():
                self.questions[question.pk] = question
                self._add_question(question)
        self.comments: list[dict[str, Any]] = []
        self.comment_rows: list[dict[str, Any]] = []  # what to show again after an error

    def _add_question(self, question: Question) -> None:
        name = question_field_name(question)
        label = question.text
        if uses_buttons(question):
            choices: list[tuple[str, Any]]
            if question.kind == QuestionKind.YES_NO:
                choices = [(YES, pgettext_lazy("answer", "Yes")), (NO, pgettext_lazy("answer", "No"))]
            else:
                choices = [(str(n), str(n)) for n in range(question.points + 1)]
            if question.allow_na:
                choices.append((NA, pgettext_lazy("answer", "N/A")))
            self.fields[name] = forms.ChoiceField(
                label=label, choices=choices, required=False, widget=forms.RadioSelect
            )
        else:
            self.fields[name] = forms.DecimalField(
                label=label,
                required=False,
                min_value=Decimal(0),
                max_value=Decimal(question.points),
                max_digits=9,
                decimal_places=2,
                widget=forms.NumberInput(
                    attrs={
                        "min": 0,
                        "max": question.points,
                        "step": "1" if question.kind == QuestionKind.SCALE else "any",
                    }
                ),
            )
            if question.allow_na:
                self.fields[question_na_name(question)] = forms.BooleanField(
                    label=pgettext_lazy("answer", "N/A"), required=False
                )

    @staticmethod
    def initial_from(evaluation) -> dict[str, Any]:
        """The form's initial values from a saved evaluation's answers and summary."""
        initial: dict[str, Any] = {"summary": evaluation.summary}
        for answer in evaluation.answers.select_related("question"):
            question = answer.question
            name = question_field_name(question)
            if answer.na and uses_buttons(question):
                initial[name] = NA
            elif answer.na:
                initial[question_na_name(question)] = True
            elif question.kind == QuestionKind.YES_NO:
                initial[name] = YES if answer.earned and Decimal(answer.earned) > 0 else NO
            else:
                initial[name] = _number(answer.earned)
        return initial

    def clean(self) -> dict[str, Any] | None:
        cleaned = super().clean()
        self._clean_comments()
        return cleaned

    def _clean_comments(self) -> None:
        if not self.is_bound:
            return
        times = self.data.getlist("comment_at") if hasattr(self.data, "getlist") else []
        texts = self.data.getlist("comment_text") if hasattr(self.data, "getlist") else []
        if len(texts) > COMMENTS_MAX:
            self.add_error(None, _("At most %(n)d comments.") % {"n": COMMENTS_MAX})
            return
        for at_text, text in zip(times, texts, strict=False):
            text = (text or "").strip()
            at_text = (at_text or "").strip()
            self.comment_rows.append({"at": at_text, "text": text})
            if not text:
                continue  # an empty row is a comment the user did not write
            at: float | None = None
            if at_text:
                try:
                    at = float(at_text)
                except ValueError:
                    at = math.nan
                if not math.isfinite(at) or at < 0:
                    self.add_error(None, _("A comment's time must be a number of seconds, 0 or more."))
                    continue
            if len(text) > COMMENT_MAX:
                self.add_error(None, _("A comment has at most %(n)d characters.") % {"n": COMMENT_MAX})
                continue
            self.comments.append({"at_seconds": round(at, 2) if at is not None else None, "text": text})

    def answers(self) -> list[dict[str, Any]]:
        """The answered questions in the API's shape, in form order (unanswered ones left out)."""
        data = self.cleaned_data
        answers: list[dict[str, Any]] = []
        for question in self.questions.values():
            name = question_field_name(question)
            value = data.get(name)
            if not uses_buttons(question) and question.allow_na and data.get(question_na_name(question)):
                answers.append({"question": question.pk, "na": True})
            elif value in (None, ""):
                continue
            elif value == NA:
                answers.append({"question": question.pk, "na": True})
            elif question.kind == QuestionKind.YES_NO:
                answers.append({"question": question.pk, "value": value == YES})
            else:
                answers.append({"question": question.pk, "value": Decimal(value)})
        return answers

    def field_for_question(self, question_id: int) -> str | None:
        question = self.questions.get(question_id)
        return question_field_name(question) if question is not None else None
