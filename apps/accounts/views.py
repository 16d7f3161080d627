"""The administrator's user pages (console)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from apps.accounts.choices import Role
from apps.accounts.forms import UserEditForm, UserForm
from apps.accounts.models import User
from apps.accounts.services import user_create, user_delete, user_update
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
    if request.method == "POST" and form.is_valid():
        try:
            user_update(user=user, actor=request.user, **form.cleaned_data)
        except ApplicationError as error:
            apply_error(form, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("console:users")
    return render(request, "accounts/user_edit.html", {"form": form, "subject": user})
