"""The login with a second step, two-factor enrolment and management, the security policy page.

The password step (``LoginView``) logs in only users who need no code. Everyone else is
"pending": the session holds their id (not a login) for ``PENDING_SECONDS`` while they type
a code (``two_factor_verify``) or, when 2FA is required but not set up yet, enrol an
authenticator (``two_factor_setup``). Only then does ``django.contrib.auth.login`` run.
"""

from __future__ import annotations

import time

from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.accounts.choices import Role
from apps.accounts.forms import EmailAuthenticationForm, OneTimeCodeForm, SecurityPolicyForm
from apps.accounts.models import User
from apps.accounts.two_factor import (
    RECOVERY_CODE_COUNT,
    recovery_codes_left,
    recovery_codes_regenerate,
    security_policy_get,
    security_policy_update,
    two_factor_disable,
    two_factor_enabled,
    two_factor_enrolment_confirm,
    two_factor_enrolment_start,
    two_factor_required,
)
from apps.accounts.two_factor import two_factor_verify as code_verify
from apps.accounts.views import role_required
from apps.core.errors import ApplicationError
from apps.core.forms import apply_error

PENDING_KEY = "two_factor_pending"
PENDING_SECONDS = 600


def _pending_start(request, user: User, next_url: str) -> None:
    request.session[PENDING_KEY] = {
        "user": user.pk,
        "backend": getattr(user, "backend", ""),
        "next": next_url,
        "at": time.time(),
    }


def _pending(request) -> tuple[User | None, dict]:
    data = request.session.get(PENDING_KEY) or {}
    if not data or time.time() - data.get("at", 0) > PENDING_SECONDS:
        return None, {}
    user_pk = data.get("user")
    user = User.objects.filter(pk=user_pk, is_active=True).first() if user_pk is not None else None
    return user, data


def _finish_login(request, user: User, data: dict, device) -> None:
    request.session.pop(PENDING_KEY, None)
    auth_login(request, user, backend=data.get("backend") or None)
    otp_login(request, device)


def _home(user: User | None = None) -> str:
    """The tenant home page; on the public host (no ``home``) the platform console for staff,
    else the landing page."""
    try:
        return reverse("home")
    except NoReverseMatch:
        if user is not None and user.is_staff:
            return reverse("platform:tenants")
        return "/"


class LoginView(auth_views.LoginView):
    """Django's login page; users with (or needing) a second factor go on to the code step."""

    template_name = "accounts/login.html"
    authentication_form = EmailAuthenticationForm

    def get_default_redirect_url(self) -> str:
        # The user is not logged in yet when the next page is chosen: form_valid names them.
        return _home(getattr(self, "logging_in", None))

    def form_valid(self, form):
        user = form.get_user()
        self.logging_in = user
        if two_factor_enabled(user):
            _pending_start(self.request, user, self.get_success_url())
            return HttpResponseRedirect(reverse("accounts:two_factor_verify"))
        if two_factor_required(user):
            _pending_start(self.request, user, self.get_success_url())
            return HttpResponseRedirect(reverse("accounts:two_factor_setup"))
        return super().form_valid(form)


@sensitive_post_parameters("code")
@never_cache
def two_factor_verify(request):
    """The second login step: a code from the authenticator app, or a recovery code."""
    user, data = _pending(request)
    if user is None:
        messages.info(request, _("Log in again: the login took too long."))
        return redirect("accounts:login")
    form = OneTimeCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = code_verify(user=user, code=form.cleaned_data["code"])
        if device is not None:
            _finish_login(request, user, data, device)
            if device.name == "recovery":
                left = recovery_codes_left(user)
                messages.warning(
                    request,
                    _("You used a recovery code; %(n)d left. Make new ones on the two-factor page.") % {"n": left},
                )
            return HttpResponseRedirect(data.get("next") or _home(user))
        form.add_error("code", _("That code is not right (or was already used). Try the newest code."))
    return render(request, "accounts/two_factor_verify.html", {"form": form, "subject": user})


@sensitive_post_parameters("code")
@never_cache
def two_factor_setup(request):
    """Enrol an authenticator app: scan the QR code (or type the key), confirm with a code.

    Reached logged in (enrol voluntarily, or replace a phone) or pending (2FA is required
    and this user has none yet: the login finishes here).
    """
    pending_user, data = _pending(request)
    user = request.user if request.user.is_authenticated else pending_user
    if user is None:
        return redirect("accounts:login")
    if not request.user.is_authenticated and two_factor_enabled(user):
        # Half logged in (password only) with an authenticator already set up: enrolling a new
        # one here would skip the second factor. Replacing a phone needs a full login first.
        return redirect("accounts:two_factor_verify")
    form = OneTimeCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = two_factor_enrolment_confirm(user=user, code=form.cleaned_data["code"])
        except ApplicationError as error:
            apply_error(form, error)
        else:
            next_url = reverse("accounts:two_factor")
            if not request.user.is_authenticated:
                _finish_login(request, user, data, TOTPDevice.objects.get(user=user, confirmed=True))
                next_url = data.get("next") or _home(user)
            return render(request, "accounts/two_factor_codes.html", {"codes": codes, "next_url": next_url})
    enrolment = two_factor_enrolment_start(user=user)
    return render(
        request,
        "accounts/two_factor_setup.html",
        {"form": form, "enrolment": enrolment, "required": two_factor_required(user), "subject": user},
    )


@sensitive_post_parameters("code")
@login_required
def two_factor(request):
    """The user's own 2FA page: status, new recovery codes, switch off (when not required)."""
    user = request.user
    form = OneTimeCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        action = request.POST.get("action")
        device = code_verify(user=user, code=form.cleaned_data["code"])
        if device is None:
            form.add_error("code", _("That code is not right (or was already used). Try the newest code."))
        elif action == "regenerate":
            codes = recovery_codes_regenerate(user=user)
            return render(
                request, "accounts/two_factor_codes.html", {"codes": codes, "next_url": reverse("accounts:two_factor")}
            )
        elif action == "disable":
            try:
                two_factor_disable(user=user, actor=user)
            except ApplicationError as error:
                messages.error(request, str(error.message))
            else:
                messages.success(request, _("Two-factor authentication is off."))
            return redirect("accounts:two_factor")
    context = {
        "form": form,
        "enabled": two_factor_enabled(user),
        "required": two_factor_required(user),
        "codes_left": recovery_codes_left(user),
        "code_count": RECOVERY_CODE_COUNT,
    }
    return render(request, "accounts/two_factor.html", context)


@role_required(Role.TENANT_ADMIN)
def security(request):
    """Console: the company's security policy (administrators' 2FA)."""
    policy = security_policy_get()
    form = SecurityPolicyForm(
        request.POST or None, initial={"require_admin_two_factor": policy.require_admin_two_factor}
    )
    if request.method == "POST" and form.is_valid():
        security_policy_update(actor=request.user, **form.cleaned_data)
        messages.success(request, _("Saved."))
        return redirect("console:security")
    admins = User.objects.filter(is_active=True, roles__contains=[Role.TENANT_ADMIN]).order_by("email")
    rows = [(admin, two_factor_enabled(admin)) for admin in admins]
    return render(request, "accounts/security.html", {"form": form, "policy": policy, "admins": rows})
