"""Survey pages: the responses list with its filters (follow-ups and callback visits from there),
the visit tasks list, and the ticket's "call back through a campaign" step (回访 as a campaign task).

GET never writes; a POST that a service refuses shows the page again with the reason and the
service's HTTP status, and nothing changed."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.accounts.views import role_required
from apps.core.errors import ApplicationError
from apps.crm.filtersets.surveys import SurveyResponseFilterSet
from apps.crm.forms.surveys import FollowUpDoneForm, VisitCampaignForm
from apps.crm.paging import EstimatedCountPaginator
from apps.crm.roles import SURVEY_MANAGER_ROLES, SURVEY_READ_ROLES, TICKET_READ_ROLES
from apps.crm.selectors.surveys import access_survey_response, survey_response_list, visit_tasks_visible_to
from apps.crm.selectors.tickets import access_ticket
from apps.crm.services.surveys import survey_follow_up_done
from apps.crm.services.visits import visit_task_for_response, visit_task_for_ticket
from apps.crm.surveys.choices import FollowUpStatus

PAGE_SIZE = 50


def _list_page(request, *, status: int = 200):
    filterset = SurveyResponseFilterSet(
        request.GET or None, queryset=survey_response_list(user=request.user), request=request
    )
    page = EstimatedCountPaginator(filterset.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    manager = request.user.has_role(*SURVEY_MANAGER_ROLES)
    visit_form = VisitCampaignForm(prefix="visit") if manager else None
    context = {
        "filter": filterset,
        "page": page,
        "query": query.urlencode(),
        "manager": manager,
        "follow_up_form": FollowUpDoneForm(prefix="follow_up") if manager else None,
        "visit_form": visit_form,
        "open_status": FollowUpStatus.OPEN,
        "pending_status": FollowUpStatus.PENDING,
    }
    return render(request, "crm/surveys/list.html", context, status=status)


@role_required(*SURVEY_READ_ROLES)
def survey_list_view(request):
    return _list_page(request)


def _back(request, fallback: str):
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return redirect(target)
    return redirect(fallback)


@require_POST
@role_required(*SURVEY_MANAGER_ROLES)
def survey_follow_up_view(request, pk: int):
    response = access_survey_response(user=request.user, pk=pk)
    form = FollowUpDoneForm(request.POST, prefix="follow_up")
    if not form.is_valid():
        messages.error(request, _("Write at most 2000 characters."))
        return _list_page(request, status=400)
    try:
        survey_follow_up_done(response=response, actor=request.user, note=form.cleaned_data["note"])
    except ApplicationError as error:
        messages.error(request, str(error.message))
        return _list_page(request, status=error.status)
    messages.success(request, _("Follow-up closed."))
    return _back(request, "surveys:list")


@require_POST
@role_required(*SURVEY_MANAGER_ROLES)
def survey_visit_view(request, pk: int):
    response = access_survey_response(user=request.user, pk=pk)
    form = VisitCampaignForm(request.POST, prefix="visit")
    if not form.is_valid():
        messages.error(request, _("Choose a callback-visit or survey campaign that has not finished."))
        return _list_page(request, status=400)
    try:
        visit_task_for_response(response=response, actor=request.user, campaign=form.cleaned_data["campaign"])
    except ApplicationError as error:
        messages.error(request, str(error.message))
        return _list_page(request, status=error.status)
    messages.success(request, _("The customer will be called back by the campaign."))
    return _back(request, "surveys:visits")


@require_POST
@role_required(*TICKET_READ_ROLES)
def ticket_visit_task_view(request, pk: int):
    """The ticket's 回访 step as a campaign task (the button on the ticket page)."""
    ticket = access_ticket(user=request.user, pk=pk)
    form = VisitCampaignForm(request.POST, prefix="visit")
    if form.is_valid():
        try:
            visit_task_for_ticket(ticket=ticket, actor=request.user, campaign=form.cleaned_data["campaign"])
        except ApplicationError as error:
            messages.error(request, str(error.message))
        else:
            messages.success(request, _("The customer will be called back by the campaign."))
    else:
        messages.error(request, _("Choose a callback-visit or survey campaign that has not finished."))
    return redirect("tickets:detail", pk=ticket.pk)


@role_required(*TICKET_READ_ROLES)
def visit_task_list_view(request):
    tasks = visit_tasks_visible_to(request.user).select_related("ticket", "campaign", "disposition", "created_by")
    page = EstimatedCountPaginator(tasks, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "crm/surveys/visits.html", {"page": page, "query": ""})
