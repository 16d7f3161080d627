"""Teams (班组): a name, the supervisors who lead it and its members. Departments read them to
decide what a supervisor may see (their teams' evaluations, coaching, later rosters) and to
report by team; administrators keep them on the Teams page (apps/accounts/views/teams.py).

A supervisor of a team holds the supervisor role; a member the agent role (a person may be in
several teams). Changes are audited (``team.created`` / ``team.changed`` / ``team.deleted``).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.db.models import Count, QuerySet
from django.utils.translation import gettext as _

from apps.accounts.choices import Role
from apps.accounts.models import Team, User
from apps.audit.choices import AuditAction
from apps.audit.services import audit_record
from apps.core.errors import ApplicationError

NAME_MAX = 100


def teams_list() -> QuerySet[Team]:
    return (
        Team.objects.annotate(
            supervisor_count=Count("supervisors", distinct=True), member_count=Count("members", distinct=True)
        )
        .prefetch_related("supervisors")
        .order_by("name")
    )


def team_candidates(role: str) -> QuerySet[User]:
    """Who may be put in a team as a supervisor (``supervisor``) or a member (``agent``)."""
    return User.objects.filter(roles__contains=[role], is_active=True).order_by("name", "email")


def _snapshot(team: Team) -> dict:
    return {
        "name": team.name,
        "supervisors": sorted(team.supervisors.values_list("email", flat=True)),
        "members": sorted(team.members.values_list("email", flat=True)),
    }


def _check(name: str, supervisors: list[User], members: list[User], *, team: Team | None) -> str:
    fields: dict[str, list[str]] = {}
    name = (name or "").strip()
    if not name:
        fields["name"] = [_("This field is required.")]
    elif "\x00" in name:  # PostgreSQL text cannot hold it
        fields["name"] = [_("Remove the NUL character.")]
    elif len(name) > NAME_MAX:
        fields["name"] = [_("At most %(n)d characters.") % {"n": NAME_MAX}]
    elif Team.objects.filter(name__iexact=name).exclude(pk=team.pk if team else 0).exists():
        fields["name"] = [_("A team with this name exists.")]
    if any(not u.has_role(Role.SUPERVISOR) for u in supervisors):
        fields["supervisors"] = [_("A team's supervisors hold the supervisor role.")]
    if any(not u.has_role(Role.AGENT) for u in members):
        fields["members"] = [_("A team's members hold the agent role.")]
    if fields:
        raise ApplicationError("invalid", next(iter(fields.values()))[0], fields=fields)
    return name


@transaction.atomic
def team_save(
    *, actor, name: str, supervisors: Iterable[User], members: Iterable[User], team: Team | None = None
) -> Team:
    """Create (``team=None``) or change a team: its name, supervisors and members as given."""
    supervisor_list, member_list = list(supervisors), list(members)
    clean_name = _check(name, supervisor_list, member_list, team=team)
    before = None
    if team is None:
        team = Team.objects.create(name=clean_name)
    else:
        team = Team.objects.select_for_update().get(pk=team.pk)
        before = _snapshot(team)
        if team.name != clean_name:
            team.name = clean_name
            team.save(update_fields=["name"])
    team.supervisors.set(supervisor_list)
    team.members.set(member_list)
    after = _snapshot(team)
    if before is None:
        audit_record(action=AuditAction.TEAM_CREATED, actor=actor, target=team, after=after)
    elif after != before:
        audit_record(action=AuditAction.TEAM_CHANGED, actor=actor, target=team, before=before, after=after)
    return team


@transaction.atomic
def team_delete(*, actor, team: Team) -> None:
    """Remove a team (its people stay; supervisors lose sight of its members' records)."""
    team = Team.objects.select_for_update().get(pk=team.pk)
    audit_record(action=AuditAction.TEAM_DELETED, actor=actor, target=team, before=_snapshot(team))
    team.delete()
