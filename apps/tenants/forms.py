from typing import cast

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.tenants.choices import Language
from apps.tenants.models import Plan


class SignupForm(forms.Form):
    company = forms.CharField(label=_("Company name"), max_length=200)
    slug = forms.CharField(
        label=_("Address"),
        max_length=32,
        help_text=_("Your contact center will live at <address>.%(domain)s"),
    )
    admin_email = forms.EmailField(label=_("Administrator email"))
    admin_password = forms.CharField(label=_("Password"), widget=forms.PasswordInput)
    seats = forms.IntegerField(label=_("Seats"), min_value=1, initial=10)
    plan = forms.ChoiceField(label=_("Plan"))
    language = forms.ChoiceField(label=_("Default language"), choices=Language.choices, initial=Language.ZH_HANS)

    def __init__(self, *args, platform_domain: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["plan"]).choices = [
            (plan.code, f"{plan.display_name} — ≤ {plan.max_seats} · ¥{plan.price_per_seat_month}")
            for plan in Plan.objects.filter(is_active=True)
        ]
        self.fields["slug"].help_text = _("Your contact center will live at <address>.%(domain)s") % {
            "domain": platform_domain
        }
