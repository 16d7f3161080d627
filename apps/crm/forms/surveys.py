"""Forms of the survey pages: closing a follow-up, and sending a callback visit to a campaign."""

from __future__ import annotations

from typing import cast

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.crm.services.surveys import NOTE_MAX
from apps.telephony.selectors.campaigns.outcomes import visit_campaigns


class FollowUpDoneForm(forms.Form):
    note = forms.CharField(
        label=_("What was done"), max_length=NOTE_MAX, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class VisitCampaignForm(forms.Form):
    """The campaigns a visit may go to: callback-visit and survey campaigns not finished."""

    campaign = forms.TypedChoiceField(label=_("Campaign"), coerce=int)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        choices = [(c.pk, c.name) for c in visit_campaigns()]
        field = cast(forms.TypedChoiceField, self.fields["campaign"])
        field.choices = choices
        self.has_campaigns = bool(choices)
