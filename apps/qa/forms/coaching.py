"""Forms of the coaching pages: the list's filters, a new session, changing one."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.accounts.models import User
from apps.core.widgets import DateInput
from apps.qa.choices import CoachingStatus


class PersonChoiceField(forms.ModelChoiceField):
    """People by name: colleagues read these lists."""

    def label_from_instance(self, obj: User) -> str:
        return obj.get_full_name()


class CoachingFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), required=False, choices=[("", _("All")), *CoachingStatus.choices])
    agent = PersonChoiceField(label=_("Agent"), required=False, queryset=User.objects.none())
    due = forms.BooleanField(label=_("Follow-up due"), required=False)

    def __init__(self, *args, agents=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if agents is None:
            del self.fields["agent"]
        else:
            self.fields["agent"].queryset = agents  # type: ignore[attr-defined]


class CoachingForm(forms.Form):
    agent = PersonChoiceField(label=_("Agent"), queryset=User.objects.none())
    topic = forms.CharField(label=_("Topic"), max_length=200)
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 5}))
    follow_up_on = forms.DateField(label=_("Follow-up date"), required=False, widget=DateInput())
    course_key = forms.ChoiceField(label=_("Course"), required=False, choices=[])

    def __init__(self, *args, agents=None, courses=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["agent"].queryset = agents if agents is not None else User.objects.none()  # type: ignore[attr-defined]
        if courses:
            self.fields["course_key"].choices = [("", _("No course")), *courses]  # type: ignore[attr-defined]
        else:
            del self.fields["course_key"]


class CoachingEditForm(forms.Form):
    topic = forms.CharField(label=_("Topic"), max_length=200)
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 5}))
    follow_up_on = forms.DateField(label=_("Follow-up date"), required=False, widget=DateInput())
    status = forms.ChoiceField(label=_("Status"), choices=CoachingStatus.choices)
