"""Forms of the roster editor: which dates and team the grid shows, one cell, copying last week,
laying a rotation, a rotation pattern, publishing a range."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from apps.accounts.models import Team, User
from apps.core.widgets import DateInput
from apps.workforce.models import RotationPattern, ShiftType

VIEW_CHOICES = (("week", pgettext_lazy("roster view", "Week")), ("month", pgettext_lazy("roster view", "Month")))


class PeopleField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return obj.get_full_name() or obj.email


class RosterFilterForm(forms.Form):
    """GET: the grid's period (a week from Monday, or a month) and team; ``day`` picks the day
    whose coverage is shown."""

    start = forms.DateField(label=_("From"), required=False, widget=DateInput())
    view = forms.ChoiceField(label=_("Show"), choices=VIEW_CHOICES, required=False, widget=forms.Select())
    team = forms.ModelChoiceField(label=_("Team"), queryset=Team.objects.none(), required=False)
    day = forms.DateField(label=_("Coverage of"), required=False, widget=DateInput())

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = Team.objects.order_by("name")  # type: ignore[attr-defined]
        self.fields["team"].empty_label = _("Everyone")  # type: ignore[attr-defined]


class CellForm(forms.Form):
    user = forms.IntegerField()
    date = forms.DateField(widget=DateInput())
    shift_type = forms.ModelChoiceField(queryset=ShiftType.objects.none(), required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["shift_type"].queryset = ShiftType.objects.filter(is_active=True)  # type: ignore[attr-defined]


class CopyWeekForm(forms.Form):
    week = forms.DateField(label=_("Week from"), widget=DateInput())


class RotationForm(forms.Form):
    pattern = forms.ModelChoiceField(label=_("Pattern"), queryset=RotationPattern.objects.none())
    users = PeopleField(label=_("People"), queryset=User.objects.none(), widget=forms.SelectMultiple(attrs={"size": 6}))
    since = forms.DateField(label=_("From"), widget=DateInput())
    until = forms.DateField(label=_("To"), widget=DateInput())
    start_step = forms.IntegerField(label=_("Start at step"), min_value=1, initial=1)
    stagger = forms.BooleanField(
        label=_("Stagger"), required=False, help_text=_("Each next person starts one step further on.")
    )

    def __init__(self, *args, people=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["pattern"].queryset = RotationPattern.objects.order_by("name")  # type: ignore[attr-defined]
        self.fields["users"].queryset = User.objects.filter(pk__in=[p.pk for p in people]).order_by("name", "email")  # type: ignore[attr-defined]

    def clean(self):
        data = super().clean()
        if data.get("since") and data.get("until") and data["until"] < data["since"]:
            self.add_error("until", _("The end is before the start."))
        return data


class PatternForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    steps = forms.CharField(
        label=_("Steps"),
        max_length=500,
        help_text=_("Shift-type codes in order, separated by spaces or commas; “-” is a day off. E.g. D D N N - -"),
    )


class PublishForm(forms.Form):
    since = forms.DateField(label=_("From"), widget=DateInput())
    until = forms.DateField(label=_("To"), widget=DateInput())
