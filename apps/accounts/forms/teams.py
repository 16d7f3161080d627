"""The Teams page's form (apps/accounts/views/teams.py)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.accounts.choices import Role
from apps.accounts.models import User
from apps.accounts.teams import NAME_MAX, team_candidates


class PeopleField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return f"{obj.get_full_name()} ({obj.email})" if obj.name else obj.email


class TeamForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=NAME_MAX)
    supervisors = PeopleField(
        label=_("Supervisors"),
        required=False,
        queryset=User.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Users with the supervisor role; they see their team's evaluations and coaching."),
    )
    members = PeopleField(
        label=_("Members"),
        required=False,
        queryset=User.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Users with the agent role; an agent may be in several teams."),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["supervisors"].queryset = team_candidates(Role.SUPERVISOR)  # type: ignore[attr-defined]
        self.fields["members"].queryset = team_candidates(Role.AGENT)  # type: ignore[attr-defined]
