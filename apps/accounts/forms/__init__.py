"""The accounts app's forms, one module per concern; re-exported for ``from apps.accounts.forms import …``."""

from apps.accounts.forms.teams import TeamForm
from apps.accounts.forms.users import (
    ApiTokenForm,
    EmailAuthenticationForm,
    OneTimeCodeForm,
    PasswordSetForm,
    SecurityPolicyForm,
    UserEditForm,
    UserForm,
)

__all__ = [
    "ApiTokenForm",
    "EmailAuthenticationForm",
    "OneTimeCodeForm",
    "PasswordSetForm",
    "SecurityPolicyForm",
    "TeamForm",
    "UserEditForm",
    "UserForm",
]
