"""Who sees which voicemail and inbound callback request, and who hears of a new message.

Administrators and supervisors see every message and request of the company. An agent sees the
messages assigned to them and those left in the queues they serve (their skills meet every
required skill's minimum level, as the ACD matches them; a queue without required skills is
everyone's), and the callback requests of those queues. Other roles see none. Rows of another
company are never reachable: each company's rows live in its own schema.
"""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Q, QuerySet

from apps.accounts.choices import Role
from apps.accounts.models import Team, User
from apps.telephony.models import AgentSkill, CallbackRequest, Queue, QueueSkill, Voicemail

MANAGER_ROLES = (Role.TENANT_ADMIN, Role.SUPERVISOR)
INBOX_ROLES = (*MANAGER_ROLES, Role.AGENT)
ASSIGNEE_ROLES = INBOX_ROLES


def _authenticated(user) -> bool:
    return bool(user and user.is_authenticated)


def is_manager(user) -> bool:
    return _authenticated(user) and user.has_role(*MANAGER_ROLES)


def _qualified(levels: dict[int, int], needs: list[tuple[int, int]]) -> bool:
    return all(levels.get(skill, 0) >= minimum for skill, minimum in needs)


def queue_ids_of_user(user) -> set[int]:
    """The queues an agent serves: their skills meet every required skill of the queue."""
    if not _authenticated(user):
        return set()
    levels = dict(AgentSkill.objects.filter(agent__user=user).values_list("skill_id", "level"))
    needs: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for queue_id, skill_id, minimum in QueueSkill.objects.values_list("queue_id", "skill_id", "min_level"):
        needs[queue_id].append((skill_id, minimum))
    return {pk for pk in Queue.objects.values_list("pk", flat=True) if _qualified(levels, needs.get(pk, []))}


def queue_user_ids(queue: Queue) -> set[int]:
    """The users of the agents who serve ``queue``."""
    needs = list(QueueSkill.objects.filter(queue=queue).values_list("skill_id", "min_level"))
    levels: dict[int, dict[int, int]] = defaultdict(dict)
    for user_id, skill_id, level in AgentSkill.objects.values_list("agent__user_id", "skill_id", "level"):
        levels[user_id][skill_id] = level
    if not needs:
        from apps.telephony.models import Agent  # noqa: PLC0415 -- only for a queue without skills

        return set(Agent.objects.values_list("user_id", flat=True))
    return {user_id for user_id, have in levels.items() if _qualified(have, needs)}


def voicemails_visible_to(user) -> QuerySet[Voicemail]:
    rows = Voicemail.objects.select_related("call", "queue", "heard_by", "assigned_to").order_by("-created_at", "-id")
    if not _authenticated(user):
        return rows.none()
    if user.has_role(*MANAGER_ROLES):
        return rows
    if user.has_role(Role.AGENT):
        return rows.filter(Q(assigned_to=user) | Q(queue_id__in=queue_ids_of_user(user)))
    return rows.none()


def callbacks_visible_to(user) -> QuerySet[CallbackRequest]:
    rows = CallbackRequest.objects.select_related("call", "queue", "callback_call").order_by("-created_at", "-id")
    if not _authenticated(user):
        return rows.none()
    if user.has_role(*MANAGER_ROLES):
        return rows
    if user.has_role(Role.AGENT):
        return rows.filter(queue_id__in=queue_ids_of_user(user))
    return rows.none()


def _active(users) -> list[User]:
    return [user for user in users if user.is_active]


def queue_supervisors(queue: Queue | None) -> list[User]:
    """Who hears of a new message in ``queue``: the supervisors of the teams its agents belong to;
    without any, the company's supervisors; without any, its administrators."""
    if queue is not None:
        members = queue_user_ids(queue)
        if members:
            people = _active(
                User.objects.filter(supervised_teams__in=Team.objects.filter(members__in=members))
                .distinct()
                .order_by("pk")
            )
            if people:
                return people
    people = list(User.objects.filter(is_active=True, roles__contains=[Role.SUPERVISOR]).order_by("pk"))
    return people or list(User.objects.filter(is_active=True, roles__contains=[Role.TENANT_ADMIN]).order_by("pk"))


def assignable_users() -> QuerySet[User]:
    """The people a message may be assigned to: active agents, supervisors and administrators."""
    return User.objects.filter(is_active=True, roles__overlap=list(ASSIGNEE_ROLES)).order_by("name", "email").distinct()
