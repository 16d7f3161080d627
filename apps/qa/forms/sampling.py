"""The sampling rule form (/qa/sampling/new/ and …/<id>/) and the preview's period picker.

The form offers valid choices and types the input; the rule as a whole (at least one way to pick
calls, evaluators who may evaluate…) is checked by apps/qa/services/sampling.py, whose field
messages come back on these fields. ``groups()`` lays the fields out in the page's sections,
each with a sentence saying what it does.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from apps.accounts.models import User
from apps.core.widgets import DateInput
from apps.qa.choices import AssignmentStatus, SamplingPeriod, ScorecardStatus
from apps.qa.models import SamplingRule, Scorecard
from apps.qa.selectors.sampling import EVALUATOR_ROLES, analysis_flag_choices
from apps.qa.services.sampling import rule_values
from apps.telephony.choices import CallDirection
from apps.telephony.models import Campaign, Disposition, Queue

STRATA_CHOICES = (("queue", _("Queue")), ("campaign", _("Campaign")), ("direction", _("Direction")))


class PeopleField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return obj.get_full_name() or obj.email


class SamplingRuleForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=150)
    scorecard = forms.ModelChoiceField(
        label=_("Scorecard"),
        queryset=Scorecard.objects.none(),
        help_text=_("The form the sampled calls are scored on (its current published version)."),
    )
    period = forms.ChoiceField(
        label=pgettext_lazy("sampling rule", "Period"),
        choices=SamplingPeriod.choices,
        initial=SamplingPeriod.WEEK,
        help_text=_("Samples are drawn once a period has ended: a day, a week from Monday, or a calendar month."),
    )
    per_agent = forms.IntegerField(
        label=_("Calls per agent"),
        required=False,
        min_value=1,
        help_text=_("Drawn at random from each agent's calls of the period (all of them if the agent has fewer)."),
    )
    percent = forms.DecimalField(
        label=_("Percent of calls"),
        required=False,
        max_digits=5,
        decimal_places=2,
        help_text=_("With calls per agent as well, each agent gets the larger of the two."),
    )
    strata = forms.MultipleChoiceField(
        label=_("Stratify by"),
        choices=STRATA_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The quota applies within each queue, campaign or direction, so that each one is sampled."),
    )
    queues = forms.ModelMultipleChoiceField(
        label=_("Queues"), queryset=Queue.objects.none(), required=False, help_text=_("None chosen: all.")
    )
    campaigns = forms.ModelMultipleChoiceField(
        label=_("Campaigns"), queryset=Campaign.objects.none(), required=False, help_text=_("None chosen: all.")
    )
    directions = forms.MultipleChoiceField(
        label=_("Directions"),
        choices=CallDirection.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None chosen: all."),
    )
    min_talk_seconds = forms.IntegerField(
        label=_("Minimum talk time (s)"),
        min_value=0,
        initial=30,
        help_text=_("Shorter calls are never sampled, not even by the always-include tests below."),
    )
    include_csat_at_most = forms.IntegerField(
        label=_("Satisfaction score at most"),
        required=False,
        min_value=0,
        help_text=_("Every call the caller rated this low in the satisfaction survey (e.g. 2 on a 1–5 scale)."),
    )
    include_dispositions = forms.ModelMultipleChoiceField(
        label=_("Dispositions"),
        queryset=Disposition.objects.none(),
        required=False,
        help_text=_("Every call wrapped up with one of these (complaints, cancellations…)."),
    )
    include_transfers = forms.BooleanField(
        label=_("Transferred calls"), required=False, help_text=_("Every call the agent transferred.")
    )
    include_hold_seconds_over = forms.IntegerField(
        label=_("Hold longer than (s)"),
        required=False,
        min_value=0,
        help_text=_("Every call whose caller was on hold longer than this in total."),
    )
    include_analysis_flags = forms.MultipleChoiceField(
        label=_("Automatic analysis flags"),
        choices=(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Every call whose recording the automatic analysis flagged so (dead air, overtalk…)."),
    )
    exclude_evaluated = forms.BooleanField(
        label=_("Skip calls already evaluated"),
        required=False,
        initial=True,
        help_text=_(
            "Leaves out calls someone has evaluated, or another rule has sampled, so nobody scores a call twice."
        ),
    )
    require_recording = forms.BooleanField(
        label=_("Only calls with a recording"),
        required=False,
        initial=True,
        help_text=_("A call without a recording cannot be scored on the player."),
    )
    evaluators = PeopleField(
        label=_("Evaluators"),
        queryset=User.objects.none(),
        required=False,
        help_text=_(
            "Each sampled call goes to the one with the fewest open assignments. None chosen: the calls wait "
            "unassigned on the board."
        ),
    )
    due_days = forms.IntegerField(
        label=_("Days to complete"),
        min_value=0,
        max_value=90,
        initial=5,
        help_text=_("Assignments are due this many days after the period ends."),
    )
    seed = forms.IntegerField(
        label=_("Seed"),
        required=False,
        help_text=_(
            "The same seed draws the same calls for a period, so a sample can be checked later. Empty: a random one."
        ),
    )
    is_active = forms.BooleanField(
        label=_("Active"), required=False, initial=True, help_text=_("Inactive rules are not run at period end.")
    )

    GROUPS = (
        (
            _("What to sample"),
            _("How many calls are drawn at random each period."),
            ("name", "scorecard", "period", "per_agent", "percent", "strata"),
        ),
        (
            _("Which calls"),
            _("Only calls answered by an agent in the period count."),
            ("queues", "campaigns", "directions", "min_talk_seconds"),
        ),
        (
            _("Always include"),
            _("Calls that match any of these are sampled whatever the draw, on top of the random ones."),
            (
                "include_csat_at_most",
                "include_dispositions",
                "include_transfers",
                "include_hold_seconds_over",
                "include_analysis_flags",
            ),
        ),
        (_("Exclude"), "", ("exclude_evaluated", "require_recording")),
        (
            _("Who evaluates"),
            "",
            ("evaluators", "due_days", "seed", "is_active"),
        ),
    )

    def __init__(self, *args: Any, rule: SamplingRule | None = None, **kwargs: Any) -> None:
        if rule is not None and "initial" not in kwargs:
            kwargs["initial"] = rule_values(rule)
        super().__init__(*args, **kwargs)
        # Querysets per form: evaluated in the request's tenant schema.
        fields = self.fields
        fields["scorecard"].queryset = Scorecard.objects.filter(  # type: ignore[attr-defined]
            is_current=True, status=ScorecardStatus.PUBLISHED
        ).order_by("name")
        fields["queues"].queryset = Queue.objects.filter(is_scratch=False).order_by("name")  # type: ignore[attr-defined]
        fields["campaigns"].queryset = Campaign.objects.order_by("name")  # type: ignore[attr-defined]
        fields["include_dispositions"].queryset = Disposition.objects.filter(is_active=True).order_by("name")  # type: ignore[attr-defined]
        fields["include_analysis_flags"].choices = analysis_flag_choices()  # type: ignore[attr-defined]
        fields["evaluators"].queryset = User.objects.filter(  # type: ignore[attr-defined]
            is_active=True, roles__overlap=list(EVALUATOR_ROLES)
        ).order_by("name", "email")

    def groups(self) -> list[tuple[Any, Any, list[forms.BoundField]]]:
        return [(title, text, [self[name] for name in names]) for title, text, names in self.GROUPS]


class PeriodForm(forms.Form):
    period_start = forms.DateField(
        label=_("Period holding"),
        required=False,
        widget=DateInput(),
        help_text=_("Empty: the last period that has ended."),
    )


class BoardFilter(forms.Form):
    """The board's filters: whose, which status (open ones unless asked), which rule."""

    assignee = forms.ChoiceField(label=_("Analyst"), required=False)
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("open", _("Open (to do or in progress)")), ("all", _("Any status")), *AssignmentStatus.choices],
    )
    rule = forms.ModelChoiceField(
        label=_("Rule"), queryset=SamplingRule.objects.none(), required=False, empty_label=_("Any rule")
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        people = User.objects.filter(is_active=True, roles__overlap=list(EVALUATOR_ROLES)).order_by("name", "email")
        self.fields["assignee"].choices = [  # type: ignore[attr-defined]
            ("", _("Anyone")),
            ("none", _("Unassigned")),
            *((str(user.pk), user.get_full_name() or user.email) for user in people),
        ]
        self.fields["rule"].queryset = SamplingRule.objects.order_by("name")  # type: ignore[attr-defined]
