"""Reading coaching sessions.

QA analysts, QA leads and administrators read every session; a supervisor the sessions of the
members of the teams they supervise (and those they coach); an agent their own (and, like
everyone, those they coach).
"""

from __future__ import annotations

from datetime import date

from django.db.models import Q, QuerySet

from apps.accounts.choices import Role
from apps.accounts.models import Team, User
from apps.qa.models import CoachingSession

ALL_COACHING_ROLES = (Role.QA, Role.QA_LEAD, Role.TENANT_ADMIN)
COACHING_READ_ROLES = (*ALL_COACHING_ROLES, Role.SUPERVISOR, Role.AGENT)


def coaching_visible_to(user) -> QuerySet[CoachingSession]:
    sessions = CoachingSession.objects.select_related("agent", "coach", "evaluation__call")
    if not (user and user.is_authenticated):
        return sessions.none()
    if user.has_role(*ALL_COACHING_ROLES):
        return sessions
    visible = Q(coach=user)
    if user.has_role(Role.SUPERVISOR):
        visible |= Q(agent__in=Team.objects.filter(supervisors=user).values("members"))
    if user.has_role(Role.AGENT):
        visible |= Q(agent=user)
    return sessions.filter(visible)


def coaching_list(
    *,
    user,
    status: str | None = None,
    agent: int | None = None,
    coach: int | None = None,
    due_before: date | None = None,
) -> QuerySet[CoachingSession]:
    sessions = coaching_visible_to(user)
    if status:
        sessions = sessions.filter(status=status)
    if agent is not None:
        sessions = sessions.filter(agent_id=agent)
    if coach is not None:
        sessions = sessions.filter(coach_id=coach)
    if due_before is not None:
        sessions = sessions.filter(follow_up_on__lte=due_before)
    return sessions.order_by("-created_at", "-id")


def coaching_for(*, user, pk: int) -> CoachingSession | None:
    return coaching_visible_to(user).filter(pk=pk).first()


def coachable_agents(user) -> QuerySet[User]:
    """The agents ``user`` may plan a coaching session with: every active agent for QA and
    administrators, the members of their teams for a supervisor; never themselves."""
    agents = User.objects.filter(roles__contains=[Role.AGENT], is_active=True).order_by("name", "email")
    if not (user and user.is_authenticated):
        return agents.none()
    if user.has_role(*ALL_COACHING_ROLES):
        return agents.exclude(pk=user.pk)
    if user.has_role(Role.SUPERVISOR):
        return agents.filter(pk__in=Team.objects.filter(supervisors=user).values("members")).exclude(pk=user.pk)
    return agents.none()
