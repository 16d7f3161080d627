"""The administrator's Teams page (console): create teams, name their supervisors and members."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from apps.accounts.choices import Role
from apps.accounts.forms.teams import TeamForm
from apps.accounts.models import Team
from apps.accounts.teams import team_delete, team_save, teams_list
from apps.accounts.views import role_required
from apps.core.errors import ApplicationError
from apps.core.forms import apply_error


@role_required(Role.TENANT_ADMIN)
def teams(request):
    form = TeamForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            team = team_save(
                actor=request.user, name=data["name"], supervisors=data["supervisors"], members=data["members"]
            )
        except ApplicationError as error:
            apply_error(form, error)
        else:
            messages.success(request, _("Team %(name)s created.") % {"name": team.name})
            return redirect("console:teams")
    status = 400 if form.errors else 200
    return render(request, "accounts/teams.html", {"form": form, "teams": teams_list()}, status=status)


@role_required(Role.TENANT_ADMIN)
def team_edit(request, pk: int):
    team = get_object_or_404(Team, pk=pk)
    if request.method == "POST" and "delete" in request.POST:
        team_delete(actor=request.user, team=team)
        messages.success(request, _("Team deleted."))
        return redirect("console:teams")
    initial = {"name": team.name, "supervisors": team.supervisors.all(), "members": team.members.all()}
    form = TeamForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            team_save(
                actor=request.user,
                team=team,
                name=data["name"],
                supervisors=data["supervisors"],
                members=data["members"],
            )
        except ApplicationError as error:
            apply_error(form, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("console:teams")
    status = 400 if form.errors else 200
    return render(request, "accounts/team_edit.html", {"form": form, "team": team}, status=status)
