"""Typing-test pages (/training/typing/): the list (trainers add tests), taking one — the passage,
a box to type in and the server's deadline — and the result (characters per minute, accuracy).
Everything that counts is measured on the server (apps/training/services/typing.py)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.accounts.choices import Role
from apps.accounts.views import role_required
from apps.core.errors import ApplicationError
from apps.core.forms import apply_error
from apps.training.choices import AttemptStatus
from apps.training.forms.typing import TypingTestForm
from apps.training.models import TypingAttempt, TypingTest
from apps.training.selectors.attempts import is_author
from apps.training.services import typing as services

TAKER_ROLES = tuple(Role.values)


@role_required(*TAKER_ROLES)
def typing_tests(request):
    author = is_author(request.user)
    form = TypingTestForm(request.POST or None) if author else None
    if request.method == "POST":
        if form is None:
            raise Http404
        if form.is_valid():
            try:
                services.typing_test_create(actor=request.user, data=dict(form.cleaned_data))
            except ApplicationError as error:
                apply_error(form, error)
            else:
                messages.success(request, _("Typing test created."))
                return redirect("training:typing_tests")
    context = {
        "tests": TypingTest.objects.filter(is_active=True).order_by("title"),
        "mine": TypingAttempt.objects.filter(user=request.user).select_related("test")[:20],
        "form": form,
    }
    return render(request, "training/typing_tests.html", context)


@require_POST
@role_required(*TAKER_ROLES)
def typing_start(request, pk: int):
    test = get_object_or_404(TypingTest, pk=pk)
    try:
        attempt = services.typing_start(test=test, user=request.user)
    except ApplicationError as error:
        messages.error(request, str(error.message))
        return redirect("training:typing_tests")
    return redirect("training:typing_attempt", attempt.pk)


@role_required(*TAKER_ROLES)
def typing_attempt(request, pk: int):
    attempt = TypingAttempt.objects.select_related("test").filter(pk=pk, user=request.user).first()
    if attempt is None:
        raise Http404
    remaining = max(0, int((attempt.deadline - timezone.now()).total_seconds()))
    return render(
        request,
        "training/typing_attempt.html",
        {"attempt": attempt, "remaining": remaining, "open": attempt.status == AttemptStatus.IN_PROGRESS},
    )


@require_POST
@role_required(*TAKER_ROLES)
def typing_submit(request, pk: int):
    attempt = TypingAttempt.objects.filter(pk=pk, user=request.user).first()
    if attempt is None:
        raise Http404
    try:
        services.typing_submit(attempt=attempt, typed=request.POST.get("typed", ""))
    except ApplicationError as error:
        messages.error(request, str(error.message))
    return redirect("training:typing_attempt", attempt.pk)
