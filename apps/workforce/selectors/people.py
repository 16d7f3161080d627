"""Who may see or decide whose workforce records.

HR and administrators: everyone. A supervisor: the members of the teams they supervise, or
everyone when they supervise no team (a small company without teams). Anyone else: themselves.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model

from apps.accounts.choices import Role
from apps.accounts.models import Team, User

MANAGER_ROLES = (Role.HR, Role.TENANT_ADMIN)
APPROVER_ROLES = (Role.SUPERVISOR, Role.HR, Role.TENANT_ADMIN)


def is_manager(user: User) -> bool:
    return user.has_role(*MANAGER_ROLES)


def scope_user_ids(user: User) -> set[int] | None:
    """The user ids ``user`` may see beyond their own; None means everyone."""
    if is_manager(user):
        return None
    if user.has_role(Role.SUPERVISOR):
        teams = Team.objects.filter(supervisors=user)
        if not teams.exists():
            return None
        ids = set(get_user_model().objects.filter(teams__in=teams).values_list("pk", flat=True))
        return ids | {user.pk}
    return {user.pk}


def may_see(user: User, person_id: int) -> bool:
    ids = scope_user_ids(user)
    return ids is None or person_id in ids


def may_decide(user: User, person_id: int) -> bool:
    """Approve or reject a request of ``person_id``: an approver in scope, never for oneself
    (HR and administrators may, for lack of anyone above them)."""
    if not user.has_role(*APPROVER_ROLES):
        return False
    if person_id == user.pk and not is_manager(user):
        return False
    return may_see(user, person_id)


def supervisors_of(person: User) -> list[User]:
    """Who is told of a request: the supervisors of the person's teams, else every supervisor."""
    users = list(get_user_model().objects.filter(supervised_teams__members=person, is_active=True).distinct())
    if users:
        return users
    return list(get_user_model().objects.filter(roles__contains=[Role.SUPERVISOR], is_active=True))


def hr_people() -> list[User]:
    return list(get_user_model().objects.filter(roles__contains=[Role.HR], is_active=True))
