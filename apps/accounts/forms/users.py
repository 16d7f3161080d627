from django import forms
from django.contrib.auth.forms import AuthenticationForm, SetPasswordForm
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from apps.accounts.choices import Role
from apps.accounts.services import user_password_changed


class EmailAuthenticationForm(AuthenticationForm):
    username = forms.EmailField(
        label=_("Email"), widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"})
    )

    def clean_username(self) -> str:
        # Emails are stored lowercased (UserManager, user_create); the token API lowercases too.
        return self.cleaned_data["username"].strip().lower()


class UserForm(forms.Form):
    email = forms.EmailField(label=_("Email"))
    name = forms.CharField(label=_("Name"), max_length=150, required=False)
    roles = forms.MultipleChoiceField(
        label=_("Roles"), choices=Role.choices, widget=forms.CheckboxSelectMultiple, required=False
    )
    password = forms.CharField(
        label=_("Password"),
        widget=forms.PasswordInput,
        required=False,
        help_text=_("Leave empty to send an invitation email instead."),
    )


class UserEditForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=150, required=False)
    roles = forms.MultipleChoiceField(
        label=_("Roles"), choices=Role.choices, widget=forms.CheckboxSelectMultiple, required=False
    )
    is_active = forms.BooleanField(label=_("Active"), required=False)


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        help_text=_("What will use it, e.g. “wallboard TV” or “CRM sync”."),
    )
    expires_in_days = forms.TypedChoiceField(
        label=_("Expires"),
        coerce=int,
        empty_value=0,  # type: ignore[arg-type]  # Django takes any value here; the stubs say str | None
        required=False,
        choices=[
            (0, _("Never")),
            (7, _("In 7 days")),
            (30, _("In 30 days")),
            (90, _("In 90 days")),
            (365, _("In a year")),
        ],
        help_text=_("An expired token is refused; it cannot be extended."),
    )


class OneTimeCodeForm(forms.Form):
    code = forms.CharField(
        label=pgettext_lazy("one-time password", "Code"),
        max_length=32,
        help_text=_("The 6-digit code from your authenticator app, or one of your recovery codes."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True, "inputmode": "text"}),
    )


class SecurityPolicyForm(forms.Form):
    require_admin_two_factor = forms.BooleanField(
        label=_("Require two-factor authentication for administrators"),
        required=False,
        help_text=_("Administrators without an authenticator app are asked to set one up at their next login."),
    )


class PasswordSetForm(SetPasswordForm):
    """The password reset / invitation form: a new password also revokes every API token."""

    def save(self, commit: bool = True):
        user = super().save(commit=commit)
        if commit:
            user_password_changed(user=user)
        return user
