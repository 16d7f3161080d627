"""Forms of the discipline pages: a warning letter with its evidence, a review decision."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.accounts.models import User
from apps.core.widgets import FileInput
from apps.workforce.choices import ReviewDecision
from apps.workforce.forms.requests import MAX_CERTIFICATE_BYTES


class EmployeeField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return obj.get_full_name() or obj.email


class WarningForm(forms.Form):
    user = EmployeeField(label=_("Employee"), queryset=User.objects.none())
    reason = forms.CharField(label=_("Reason"), max_length=200)
    evidence = forms.CharField(
        label=_("Evidence"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What happened, when, who saw it; calls or records it concerns."),
    )
    evidence_file = forms.FileField(
        label=_("Evidence file"),
        required=False,
        widget=FileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png,.txt"}),
        help_text=_("Optional: a PDF, a photo or a text file, up to 10 MB."),
    )

    def __init__(self, *args, people=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = people if people is not None else User.objects.none()  # type: ignore[attr-defined]

    def clean_evidence_file(self):
        upload = self.cleaned_data.get("evidence_file")
        if upload is not None and upload.size > MAX_CERTIFICATE_BYTES:
            raise forms.ValidationError(_("The file is larger than 10 MB."))
        return upload


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[
            (ReviewDecision.KEEP, ReviewDecision.KEEP.label),
            (ReviewDecision.DISMISS, ReviewDecision.DISMISS.label),
        ],
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class PersonFilterForm(forms.Form):
    person = EmployeeField(label=_("Employee"), queryset=User.objects.none(), required=False)

    def __init__(self, *args, people=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = people if people is not None else User.objects.none()  # type: ignore[attr-defined]
        self.fields["person"].empty_label = _("Everyone")  # type: ignore[attr-defined]
