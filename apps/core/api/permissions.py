"""Role-based API permissions. Roles live on the user (a user may hold several)."""

from __future__ import annotations

from rest_framework.permissions import SAFE_METHODS, BasePermission


def has_role(user, *roles: str) -> bool:
    return bool(user and user.is_authenticated and set(roles) & set(getattr(user, "roles", []) or []))


class HasRole(BasePermission):
    """``permission_classes = [HasRole.of("tenant_admin")]``."""

    roles: tuple[str, ...] = ()
    read_roles: tuple[str, ...] = ()

    @classmethod
    def of(cls, *roles: str, read: tuple[str, ...] = ()) -> type[HasRole]:
        return type(f"HasRole_{'_'.join(roles)}", (cls,), {"roles": roles, "read_roles": read})

    def has_permission(self, request, view) -> bool:
        if request.method in SAFE_METHODS and has_role(request.user, *self.read_roles):
            return True
        return has_role(request.user, *self.roles)
