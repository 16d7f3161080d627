"""Forms of the calibration pages: a new session, closing one, the list's filter."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.accounts.models import User
from apps.core.widgets import DateTimeInput
from apps.qa.choices import BenchmarkMode, CalibrationStatus, ScorecardStatus
from apps.qa.models import Evaluation, Scorecard
from apps.qa.selectors.calibration import EVALUATOR_ROLES


class EvaluatorsField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return obj.get_full_name() or obj.email


class CalibrationForm(forms.Form):
    """Checks only shapes; apps/qa/services/calibration.py decides (its field errors land here)."""

    title = forms.CharField(label=_("Title"), max_length=150)
    call = forms.CharField(
        label=_("Call ID"), max_length=64, help_text=_("The call everybody scores (its ID, from the call's page).")
    )
    scorecard = forms.ModelChoiceField(label=_("Scorecard"), queryset=Scorecard.objects.none())
    participants = EvaluatorsField(
        label=_("Evaluators"),
        queryset=User.objects.none(),
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text=_("QA analysts and leads who score the call without seeing each other's answers."),
    )
    benchmark_mode = forms.ChoiceField(
        label=_("Benchmark"),
        choices=BenchmarkMode.choices,
        initial=BenchmarkMode.LEAD,
        help_text=_(
            "Your evaluation: you score the call too and each evaluator is compared with you. "
            "Consensus: each is compared with the median answer of all of them."
        ),
    )
    due_at = forms.DateTimeField(label=_("Due"), required=False, widget=DateTimeInput())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["scorecard"].queryset = Scorecard.objects.filter(  # type: ignore[attr-defined]
            is_current=True, status=ScorecardStatus.PUBLISHED
        ).order_by("name")
        self.fields["participants"].queryset = User.objects.filter(  # type: ignore[attr-defined]
            is_active=True, roles__overlap=list(EVALUATOR_ROLES)
        ).order_by("name", "email")


class BenchmarkChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Evaluation) -> str:
        name = obj.evaluator.get_full_name() if obj.evaluator else "—"
        return str(_("%(name)s's evaluation") % {"name": name})


class CalibrationCloseForm(forms.Form):
    benchmark_evaluation = BenchmarkChoiceField(
        label=_("Benchmark"),
        queryset=Evaluation.objects.none(),
        required=False,
        empty_label=_("The lead's own evaluation"),
    )

    def __init__(self, *args: Any, evaluations: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if evaluations is None:
            del self.fields["benchmark_evaluation"]
        else:
            self.fields["benchmark_evaluation"].queryset = evaluations  # type: ignore[attr-defined]


class CalibrationFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), required=False, choices=[("", _("All")), *CalibrationStatus.choices])
