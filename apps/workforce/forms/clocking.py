"""Forms of the clock page and the corrections page."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.accounts.models import User
from apps.core.widgets import DateInput, DateTimeInput
from apps.workforce.choices import ClockKind


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return obj.get_full_name() or obj.email


class CorrectionFilterForm(forms.Form):
    """GET: whose records, over which dates."""

    person = PersonChoiceField(label=_("Person"), queryset=User.objects.none(), required=False)
    since = forms.DateField(label=_("From"), required=False, widget=DateInput())
    until = forms.DateField(label=_("To"), required=False, widget=DateInput())

    def __init__(self, *args, people=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = people if people is not None else User.objects.none()  # type: ignore[attr-defined]
        self.fields["person"].empty_label = _("Everyone")  # type: ignore[attr-defined]


class CorrectionForm(forms.Form):
    """A record HR or a supervisor adds (a forgotten clock-in, a clock-out at the real time)."""

    user = PersonChoiceField(label=_("Person"), queryset=User.objects.none())
    kind = forms.ChoiceField(label=_("Record"), choices=ClockKind.choices)
    at = forms.DateTimeField(label=_("At"), widget=DateTimeInput())
    reason = forms.CharField(label=_("Reason"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, people=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = people if people is not None else User.objects.none()  # type: ignore[attr-defined]


class VoidForm(forms.Form):
    reason = forms.CharField(label=_("Why void it"), max_length=1000)
