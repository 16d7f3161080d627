"""The administrator's user pages (console)."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.choices import Role
from apps.accounts.forms import ApiTokenForm, UserEditForm, UserForm
from apps.accounts.models import ApiToken, User
from apps.accounts.services import token_issue, token_revoke, user_create, user_delete, user_update
from apps.accounts.two_factor import two_factor_disable, two_factor_enabled
from apps.core.errors import ApplicationError
from apps.core.forms import apply_error


def role_required(*roles: str):
    def decorator(view):
        @login_required
        def wrapped(request, *args, **kwargs):
            if not request.user.has_role(*roles):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapped.__name__ = view.__name__
        wrapped.__doc__ = view.__doc__
        return wrapped

    return decorator


@role_required(Role.TENANT_ADMIN)
def users(request):
    form = UserForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = user_create(
                email=data["email"],
                name=data["name"],
                roles=data["roles"],
                password=data["password"] or None,
                invited_by=request.user,
                base_url=f"{request.scheme}://{request.get_host()}",
            )
        except ApplicationError as error:
            apply_error(form, error)
        else:
            if data["password"]:
                messages.success(request, _("User %(email)s created.") % {"email": user.email})
            else:
                messages.success(request, _("Invitation sent to %(email)s.") % {"email": user.email})
            return redirect("console:users")
    return render(request, "accounts/users.html", {"form": form, "users": User.objects.order_by("email")})


@role_required(Role.TENANT_ADMIN)
def user_edit(request, pk: int):
    user = get_object_or_404(User, pk=pk)
    initial = {"name": user.name, "roles": user.roles, "is_active": user.is_active}
    form = UserEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and "delete" in request.POST:
        try:
            user_delete(user=user, actor=request.user)
        except ApplicationError as error:
            messages.error(request, str(error.message))
            return redirect("console:user_edit", pk=pk)
        messages.success(request, _("User deleted."))
        return redirect("console:users")
    if request.method == "POST" and "reset_two_factor" in request.POST:
        try:
            two_factor_disable(user=user, actor=request.user)
        except ApplicationError as error:
            messages.error(request, str(error.message))
        else:
            messages.success(request, _("Two-factor authentication reset: the user sets it up again if required."))
        return redirect("console:user_edit", pk=pk)
    if request.method == "POST" and form.is_valid():
        try:
            user_update(user=user, actor=request.user, **form.cleaned_data)
        except ApplicationError as error:
            apply_error(form, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("console:users")
    context = {"form": form, "subject": user, "two_factor_on": two_factor_enabled(user)}
    return render(request, "accounts/user_edit.html", context)


@login_required
def tokens(request):
    """Every user's own API tokens (for scripts, wallboard screens, integrations).

    The raw token appears once, on the page that follows its creation, and is not kept.
    Administrators also see every other user's tokens and may revoke them.
    """
    form = ApiTokenForm(request.POST or None)
    issued = None
    if request.method == "POST" and "revoke" in request.POST:
        candidates = ApiToken.objects.all()
        if not request.user.has_role(Role.TENANT_ADMIN):
            candidates = candidates.filter(user=request.user)
        token = get_object_or_404(candidates, pk=request.POST.get("revoke") or 0)
        token_revoke(token=token, actor=request.user)
        messages.success(request, _("Token %(prefix)s… revoked.") % {"prefix": token.prefix})
        return redirect("console:tokens")
    if request.method == "POST" and form.is_valid():
        try:
            days = form.cleaned_data.get("expires_in_days") or 0
            expires_at = timezone.now() + timedelta(days=days) if days else None
            issued = token_issue(user=request.user, name=form.cleaned_data["name"], expires_at=expires_at)
        except ApplicationError as error:
            apply_error(form, error)
        else:
            form = ApiTokenForm()
    mine = ApiToken.objects.filter(user=request.user).order_by("-created_at")
    others = None
    if request.user.has_role(Role.TENANT_ADMIN):
        others = (
            ApiToken.objects.exclude(user=request.user).select_related("user").order_by("user__email", "-created_at")
        )
    return render(request, "accounts/tokens.html", {"form": form, "issued": issued, "mine": mine, "others": others})
