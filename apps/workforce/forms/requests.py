"""Forms of the requests pages: leave (with a sick certificate, a bereavement relation), a shift
swap (my shift, a colleague's shift or a colleague to give it to), overtime, and a decision."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.accounts.models import User
from apps.core.widgets import DateInput, DateTimeInput, FileInput
from apps.workforce.choices import LeaveKind, Relation
from apps.workforce.models import Shift

CERTIFICATE_TYPES = ".pdf,.jpg,.jpeg,.png"
MAX_CERTIFICATE_BYTES = 10 * 1024 * 1024


def _certificate_field(required: bool) -> forms.FileField:
    return forms.FileField(
        label=_("Hospital certificate"),
        required=required,
        widget=FileInput(attrs={"accept": CERTIFICATE_TYPES}),
        help_text=_("Sick leave needs it before approval: a PDF or a photo, up to 10 MB."),
    )


def _check_size(upload):
    if upload is not None and upload.size > MAX_CERTIFICATE_BYTES:
        raise forms.ValidationError(_("The file is larger than 10 MB."))
    return upload


class LeaveForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=LeaveKind.choices)
    start_date = forms.DateField(label=_("From"), widget=DateInput())
    end_date = forms.DateField(label=_("To (inclusive)"), widget=DateInput())
    relation = forms.ChoiceField(
        label=_("Relation (bereavement)"),
        choices=[("", "—"), *Relation.choices],
        required=False,
        help_text=_("Parents, spouse, children: 3 days; grandparents, siblings, parents-in-law: 1 day."),
    )
    certificate = _certificate_field(required=False)
    reason = forms.CharField(
        label=_("Reason"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def clean_certificate(self):
        return _check_size(self.cleaned_data.get("certificate"))


class CertificateForm(forms.Form):
    certificate = _certificate_field(required=True)

    def clean_certificate(self):
        return _check_size(self.cleaned_data.get("certificate"))


class ShiftChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Shift) -> str:
        who = obj.user.get_full_name() or obj.user.email
        return f"{obj.date:%Y-%m-%d} {obj.shift_type.code} {obj.start:%H:%M}–{obj.end:%H:%M} · {who}"


class PersonField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return obj.get_full_name() or obj.email


class SwapForm(forms.Form):
    requester_shift = ShiftChoiceField(label=_("My shift"), queryset=Shift.objects.none())
    counterpart_shift = ShiftChoiceField(
        label=_("Colleague's shift"),
        queryset=Shift.objects.none(),
        required=False,
        help_text=_("The shift you take in exchange; leave it empty to give yours away."),
    )
    counterpart = PersonField(
        label=_("Give it to"),
        queryset=User.objects.none(),
        required=False,
        help_text=_("Only when you give your shift away without taking one."),
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=1000)

    def __init__(self, *args, mine=None, theirs=None, colleagues=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["requester_shift"].queryset = mine if mine is not None else Shift.objects.none()  # type: ignore[attr-defined]
        self.fields["counterpart_shift"].queryset = theirs if theirs is not None else Shift.objects.none()  # type: ignore[attr-defined]
        self.fields["counterpart"].queryset = colleagues if colleagues is not None else User.objects.none()  # type: ignore[attr-defined]

    def clean(self):
        data = super().clean()
        theirs, person = data.get("counterpart_shift"), data.get("counterpart")
        if theirs is None and person is None and not self.errors:
            self.add_error("counterpart_shift", _("Choose the colleague's shift, or the colleague to give yours to."))
        if theirs is not None:
            data["counterpart"] = theirs.user
        return data


class OvertimeForm(forms.Form):
    start = forms.DateTimeField(label=_("Starts"), widget=DateTimeInput())
    end = forms.DateTimeField(label=_("Ends"), widget=DateTimeInput())
    reason = forms.CharField(label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=(("approve", _("Approve")), ("reject", _("Reject"))))
    note = forms.CharField(label=_("Note"), required=False, max_length=1000)
