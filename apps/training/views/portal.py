"""The training portal: my training (every role), a supervisor's team and a trainer's overview,
and one person's training for those who may follow them. GET only.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render

from apps.accounts.choices import Role
from apps.accounts.views import role_required
from apps.training.selectors.courses import AUTHOR_ROLES, is_author
from apps.training.selectors.progress import my_training as my_training_data
from apps.training.selectors.progress import people_progress, people_visible_to

PEOPLE_ROLES = (*AUTHOR_ROLES, Role.SUPERVISOR, Role.HR)


@login_required
def my_training(request):
    context = {
        **my_training_data(request.user),
        "person": request.user,
        "own": True,
        "follows": request.user.has_role(*PEOPLE_ROLES),
        "author": is_author(request.user),
    }
    return render(request, "training/portal/my_training.html", context)


@role_required(*PEOPLE_ROLES)
def people(request):
    """The supervisor's team (their teams' members) or, for trainers, everybody."""
    rows = people_progress(request.user)
    return render(request, "training/portal/people.html", {"rows": rows, "author": is_author(request.user)})


@role_required(*PEOPLE_ROLES)
def person(request, user_id: int):
    someone = people_visible_to(request.user).filter(pk=user_id).first()
    if someone is None:
        raise Http404
    context = {**my_training_data(someone), "person": someone, "own": someone.pk == request.user.pk, "follows": True}
    return render(request, "training/portal/my_training.html", context)
