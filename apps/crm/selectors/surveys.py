"""Reads of survey responses and visit tasks that the API and the pages share, with who may see
what (apps/crm/roles.py): managers and QA see every response, an agent the ones about their calls."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from apps.accounts.choices import Role
from apps.accounts.models import User
from apps.core.errors import NotFoundError
from apps.crm.models import SurveyResponse, Ticket, VisitTask
from apps.crm.roles import SURVEY_ALL_READ_ROLES, SURVEY_MANAGER_ROLES
from apps.crm.selectors.tickets import tickets_visible_to


def _authenticated(user) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False))


def responses_visible_to(user) -> QuerySet[SurveyResponse]:
    responses = SurveyResponse.objects.all()
    if not _authenticated(user):
        return responses.none()
    if user.has_role(*SURVEY_ALL_READ_ROLES):
        return responses
    if user.has_role(Role.AGENT):
        return responses.filter(agent__user=user)
    return responses.none()


def survey_response_list(*, user) -> QuerySet[SurveyResponse]:
    """Visible responses, newest first, with what a list row shows."""
    return responses_visible_to(user).select_related("agent__user", "queue", "follow_up_owner", "ticket")


def access_survey_response(*, user, pk: int, for_update: bool = False) -> SurveyResponse:
    """The response ``pk`` if ``user`` may see it; otherwise 404 (never reveal that it exists)."""
    responses = responses_visible_to(user)
    if for_update:
        responses = responses.select_for_update(of=("self",))
    response = responses.filter(pk=pk).first()
    if response is None:
        raise NotFoundError("not_found", _("No such survey response."))
    return response


def may_manage_surveys(user) -> bool:
    return _authenticated(user) and user.has_role(*SURVEY_MANAGER_ROLES)


def follow_up_owner(agent_user_id: int | None) -> User | None:
    """Who follows a low score up: the first supervisor of the agent's teams (by team name), else
    nobody in particular (every supervisor is told)."""
    if agent_user_id is None:
        return None
    return (
        User.objects.filter(is_active=True, supervised_teams__members__pk=agent_user_id)
        .order_by("supervised_teams__name", "pk")
        .first()
    )


def supervisors() -> list[User]:
    """The company's supervisors, else its administrators: who hears of a low score nobody owns."""
    people = list(User.objects.filter(is_active=True, roles__contains=[Role.SUPERVISOR]).order_by("pk"))
    return people or list(User.objects.filter(is_active=True, roles__contains=[Role.TENANT_ADMIN]).order_by("pk"))


def visit_tasks_visible_to(user) -> QuerySet[VisitTask]:
    """Managers see every visit task; others those of the tickets they may see."""
    tasks = VisitTask.objects.select_related("ticket", "campaign", "disposition", "survey_response")
    if not _authenticated(user):
        return tasks.none()
    if may_manage_surveys(user):
        return tasks
    return tasks.filter(ticket__in=tickets_visible_to(user))


def visit_tasks_of(ticket: Ticket) -> QuerySet[VisitTask]:
    return VisitTask.objects.filter(ticket=ticket).select_related("campaign", "disposition").order_by("-created_at")
