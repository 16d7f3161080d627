"""Shared pieces of the workforce API: roles, scope checks, the user field."""

from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework import serializers

from apps.accounts.choices import Role
from apps.accounts.models import User
from apps.core.errors import NotFoundError, PermissionDeniedError
from apps.workforce.selectors.people import is_manager, may_see, scope_user_ids

# Who uses the workforce API at all (agents see and ask for their own only).
WORKFORCE_ROLES = (Role.AGENT, Role.SUPERVISOR, Role.HR, Role.TENANT_ADMIN)
MANAGE_ROLES = (Role.HR, Role.TENANT_ADMIN)
CORRECT_ROLES = (Role.SUPERVISOR, Role.HR, Role.TENANT_ADMIN)


class UserField(serializers.PrimaryKeyRelatedField):
    def get_queryset(self):
        return User.objects.filter(is_active=True)


def person_for(request, user: User | None) -> User:
    """The person a request is about: oneself by default; another person only for HR and
    administrators (a supervisor acts on others through approvals and corrections)."""
    if user is None or user.pk == request.user.pk:
        return request.user
    if not is_manager(request.user):
        raise PermissionDeniedError("forbidden", _("You may only ask for yourself."))
    return user


def check_visible(request, user_id: int, what: str) -> None:
    if not may_see(request.user, user_id):
        raise NotFoundError("not_found", _("No such %(what)s.") % {"what": what})


def scoped(request, queryset, field: str = "user_id"):
    ids = scope_user_ids(request.user)
    return queryset if ids is None else queryset.filter(**{f"{field}__in": ids})


def person(user: User | None) -> dict | None:
    return None if user is None else {"id": user.pk, "name": user.get_full_name(), "email": user.email}


def moment(value) -> str | None:
    return value.isoformat() if value else None


def body(request) -> dict:
    return request.data if hasattr(request.data, "get") else {}
