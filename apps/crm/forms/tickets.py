"""Forms of the ticket pages. They only shape input; the services check it (and say what is wrong)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.accounts.models import Team
from apps.core.widgets import FileInput
from apps.crm.choices import TicketPriority, VisitAttitude
from apps.crm.models import Department, TicketCategory
from apps.crm.selectors.tickets import assignable_users
from apps.crm.services.tickets import ATTACHMENT_TYPES
from apps.telephony.selectors.business_hours import business_hours_choices

YES_NO = [("yes", _("Yes")), ("no", _("No"))]


def _yes(value: str) -> bool:
    return value == "yes"


class TicketForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 5, "maxlength": 20000})
    )
    category = forms.ModelChoiceField(label=_("Category"), queryset=TicketCategory.objects.none(), empty_label=None)
    priority = forms.ChoiceField(label=_("Priority"), choices=TicketPriority.choices, initial=TicketPriority.NORMAL)
    customer = forms.IntegerField(required=False, widget=forms.HiddenInput)
    call = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = TicketCategory.objects.filter(active=True).order_by("name")  # type: ignore[attr-defined]


class ChangeForm(forms.Form):
    priority = forms.ChoiceField(label=_("Priority"), choices=TicketPriority.choices)
    category = forms.ModelChoiceField(label=_("Category"), queryset=TicketCategory.objects.none(), empty_label=None)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = TicketCategory.objects.filter(active=True).order_by("name")  # type: ignore[attr-defined]


class AssignForm(forms.Form):
    department = forms.ModelChoiceField(
        label=_("Department"), queryset=Department.objects.none(), required=False, empty_label=_("(unchanged)")
    )
    assignee = forms.ModelChoiceField(
        label=_("Person"), queryset=assignable_users().none(), required=False, empty_label=_("(the department)")
    )
    note = forms.CharField(label=_("Instructions"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = Department.objects.filter(active=True).order_by("name")  # type: ignore[attr-defined]
        self.fields["assignee"].queryset = assignable_users()  # type: ignore[attr-defined]
        self.fields["assignee"].label_from_instance = lambda user: user.get_full_name()  # type: ignore[attr-defined]


class SuperviseForm(forms.Form):
    note = forms.CharField(label=_("What is expected"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class FollowUpForm(forms.Form):
    body = forms.CharField(label=_("What was done"), widget=forms.Textarea(attrs={"rows": 3, "maxlength": 20000}))
    public = forms.BooleanField(label=_("The customer was told this (a reply)"), required=False)


class NoteForm(forms.Form):
    body = forms.CharField(label=_("Internal note"), widget=forms.Textarea(attrs={"rows": 2, "maxlength": 20000}))


class ResolveForm(forms.Form):
    resolution = forms.CharField(
        label=_("How it was resolved"), required=False, widget=forms.Textarea(attrs={"rows": 3, "maxlength": 20000})
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class VisitForm(forms.Form):
    """The five questions of the callback visit (回访)."""

    solved = forms.TypedChoiceField(
        label=_("Was the problem solved?"), choices=YES_NO, coerce=_yes, widget=forms.RadioSelect
    )
    attitude = forms.ChoiceField(
        label=_("How did our staff behave?"), choices=VisitAttitude.choices, widget=forms.RadioSelect
    )
    charged = forms.TypedChoiceField(
        label=_("Were you charged anything?"), choices=YES_NO, coerce=_yes, widget=forms.RadioSelect
    )
    score = forms.TypedChoiceField(
        label=_("Score (1–10)"), choices=[(str(n), str(n)) for n in range(10, 0, -1)], coerce=int
    )
    suggestion = forms.CharField(
        label=_("Suggestions"), required=False, widget=forms.Textarea(attrs={"rows": 2, "maxlength": 2000})
    )


class AttachmentForm(forms.Form):
    file = forms.FileField(label=_("File"), widget=FileInput(attrs={"accept": ",".join(sorted(ATTACHMENT_TYPES))}))


PRIORITIES = list(TicketPriority)


def target_field(priority: str, kind: str) -> str:
    return f"{kind}_{priority}"


class CategoryForm(forms.Form):
    """A category and its eight targets (first response and resolution × four priorities)."""

    name = forms.CharField(label=_("Name"), max_length=100)
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    business_hours = forms.TypedChoiceField(
        label=_("Business hours"),
        required=False,
        coerce=int,
        empty_value=None,
        help_text=_("The hours its SLA clocks run in. Empty: the company's first business hours."),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["business_hours"].choices = [("", _("Company hours")), *business_hours_choices()]  # type: ignore[attr-defined]
        for priority in PRIORITIES:
            self.fields[target_field(priority, "first")] = forms.IntegerField(
                label=_("%(priority)s: first response (min)") % {"priority": priority.label},
                min_value=1,
            )
            self.fields[target_field(priority, "resolution")] = forms.IntegerField(
                label=_("%(priority)s: resolution (min)") % {"priority": priority.label},
                min_value=1,
            )

    def targets(self) -> list[dict]:
        return [
            {
                "priority": priority.value,
                "first_response_minutes": self.cleaned_data[target_field(priority, "first")],
                "resolution_minutes": self.cleaned_data[target_field(priority, "resolution")],
            }
            for priority in PRIORITIES
        ]

    def target_rows(self) -> list[tuple[str, forms.BoundField, forms.BoundField]]:
        """(priority label, first response field, resolution field) per priority, for the table."""
        return [
            (str(priority.label), self[target_field(priority, "first")], self[target_field(priority, "resolution")])
            for priority in PRIORITIES
        ]


class DepartmentForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    team = forms.ModelChoiceField(
        label=_("Team"),
        queryset=Team.objects.none(),
        required=False,
        help_text=_("Its members work the department's tickets; its supervisors hear first of a missed target."),
    )
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = Team.objects.order_by("name")  # type: ignore[attr-defined]
