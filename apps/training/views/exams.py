"""Exam pages (/training/exams/, /training/attempts/, /training/banks/, /training/grading/).

Takers see open exams, start one (POST), answer on the taking page — which carries the questions'
text and options only, never the answers (the same ``attempt_questions`` as the API) and shows the
server's deadline — and read their result with per-question feedback. Trainers and administrators
edit exams and banks and grade short answers. GET never writes.
"""

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
from apps.training.forms.exams import BankForm, DrawForm, ExamForm, GradeForm, QuestionForm
from apps.training.models import Attempt, AttemptAnswer, Exam, QuestionBank
from apps.training.selectors.attempts import (
    AUTHOR_ROLES,
    attempt_for,
    attempt_questions,
    attempt_result,
    attempts_remaining,
    grading_queue,
    is_author,
)
from apps.training.services import attempts as attempt_services
from apps.training.services import exams as exam_services

TAKER_ROLES = tuple(Role.values)


@role_required(*TAKER_ROLES)
def exams(request):
    author = is_author(request.user)
    rows = Exam.objects.all() if author else Exam.objects.filter(is_active=True)
    mine: dict[int, Attempt] = {}
    for attempt in Attempt.objects.filter(user=request.user).order_by("started_at"):
        mine[attempt.exam_id] = attempt  # the latest
    items = [
        {"exam": exam, "last": mine.get(exam.pk), "remaining": attempts_remaining(exam, request.user)}
        for exam in rows.order_by("title", "id")
    ]
    return render(request, "training/exams.html", {"items": items, "author": author, "now": timezone.now()})


@role_required(*AUTHOR_ROLES)
def exam_new(request):
    form = ExamForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            exam = exam_services.exam_create(actor=request.user, data=dict(form.cleaned_data), require_questions=False)
        except ApplicationError as error:
            apply_error(form, error)
        else:
            messages.success(request, _("Exam created: now add its questions."))
            return redirect("training:exam_edit", exam.pk)
    return render(request, "training/exam_new.html", {"form": form})


@role_required(*AUTHOR_ROLES)
def exam_edit(request, pk: int):
    """The editor: the exam's questions (with their answers: authors only) and draw rules."""
    exam = get_object_or_404(Exam, pk=pk)
    question_form = QuestionForm(request.POST if request.POST.get("form") == "question" else None, prefix="q")
    draw_form = DrawForm(request.POST if request.POST.get("form") == "draw" else None, prefix="d")
    if request.method == "POST":
        try:
            if request.POST.get("form") == "question" and question_form.is_valid():
                exam_services.exam_add_new_question(actor=request.user, exam=exam, data=question_form.as_data())
                messages.success(request, _("Question added."))
                return redirect("training:exam_edit", exam.pk)
            if request.POST.get("form") == "draw" and draw_form.is_valid():
                data = draw_form.cleaned_data
                exam_services.exam_add_draw(
                    actor=request.user, exam=exam, bank=data["bank"], tag=data.get("tag") or "", count=data["count"]
                )
                messages.success(request, _("Draw rule added."))
                return redirect("training:exam_edit", exam.pk)
            if request.POST.get("form") == "active":
                exam_services.exam_set_active(actor=request.user, exam=exam, active=request.POST.get("active") == "1")
                return redirect("training:exam_edit", exam.pk)
        except ApplicationError as error:
            target = question_form if request.POST.get("form") == "question" else draw_form
            apply_error(target, error)
            for field, problems in error.fields.items():
                name = field.rsplit(".", 1)[-1]
                if name in target.fields:
                    continue
                for problem in problems:
                    target.add_error(None, problem)
    context = {
        "exam": exam,
        "questions": exam.exam_questions.select_related("question"),
        "draws": exam.draws.select_related("bank"),
        "question_form": question_form,
        "draw_form": draw_form,
    }
    return render(request, "training/exam_edit.html", context)


@require_POST
@role_required(*TAKER_ROLES)
def exam_start(request, pk: int):
    exam = get_object_or_404(Exam, pk=pk)
    try:
        attempt, _created = attempt_services.attempt_start(exam=exam, user=request.user)
    except ApplicationError as error:
        messages.error(request, str(error.message))
        return redirect("training:exams")
    return redirect("training:attempt", attempt.pk)


@role_required(*TAKER_ROLES)
def attempt(request, pk: int):
    """Taking (the owner, in progress) or the result (the owner or an author, afterwards)."""
    row = attempt_for(user=request.user, pk=pk)
    if row is None:
        raise Http404
    if row.status == AttemptStatus.IN_PROGRESS:
        if row.user_id != request.user.pk:
            raise Http404
        remaining = max(0, int((row.deadline - timezone.now()).total_seconds()))
        context = {"attempt": row, "questions": attempt_questions(row), "remaining": remaining}
        return render(request, "training/attempt_take.html", context)
    return render(request, "training/attempt_result.html", {"attempt": row, "result": attempt_result(row)})


def _posted_answers(request, row: Attempt) -> list[dict]:
    answers = []
    for question in attempt_questions(row):
        key = f"q{question['id']}"
        if question["kind"] == "short_answer":
            answers.append({"question": question["id"], "choice": [], "text": request.POST.get(key, "")})
            continue
        try:
            choice = [int(value) for value in request.POST.getlist(key)]
        except ValueError:
            choice = []
        answers.append({"question": question["id"], "choice": choice})
    return answers


@require_POST
@role_required(*TAKER_ROLES)
def attempt_submit(request, pk: int):
    row = Attempt.objects.filter(pk=pk, user=request.user).first()
    if row is None:
        raise Http404
    try:
        attempt_services.attempt_submit(attempt=row, answers=_posted_answers(request, row))
    except ApplicationError as error:
        # Late: the attempt is expired and its page shows so; invalid: the taking page again.
        messages.error(request, str(error.message))
    return redirect("training:attempt", row.pk)


@role_required(*AUTHOR_ROLES)
def banks(request):
    form = BankForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            bank = exam_services.bank_create(actor=request.user, **form.cleaned_data)
        except ApplicationError as error:
            apply_error(form, error)
        else:
            return redirect("training:bank", bank.pk)
    rows = QuestionBank.objects.order_by("name")
    return render(request, "training/banks.html", {"banks": rows, "form": form})


@role_required(*AUTHOR_ROLES)
def bank(request, pk: int):
    row = get_object_or_404(QuestionBank, pk=pk)
    form = QuestionForm(request.POST or None, prefix="q")
    if request.method == "POST" and form.is_valid():
        try:
            exam_services.question_create(actor=request.user, bank=row, data=form.as_data())
        except ApplicationError as error:
            apply_error(form, error)
            for problems in error.fields.values():
                for problem in problems:
                    form.add_error(None, problem)
        else:
            messages.success(request, _("Question added."))
            return redirect("training:bank", row.pk)
    questions = row.questions.order_by("id")
    return render(request, "training/bank.html", {"bank": row, "questions": questions, "form": form})


@role_required(*AUTHOR_ROLES)
def grading(request):
    answers = list(grading_queue()[:200])
    return render(request, "training/grading.html", {"answers": answers, "form": GradeForm()})


@require_POST
@role_required(*AUTHOR_ROLES)
def grade(request, pk: int):
    answer = get_object_or_404(AttemptAnswer.objects.select_related("attempt"), pk=pk)
    form = GradeForm(request.POST)
    if answer.attempt.user_id == request.user.pk:
        messages.error(request, _("Nobody grades their own attempt."))
    elif form.is_valid():
        try:
            attempt_services.answer_grade(
                actor=request.user,
                answer=answer,
                points=form.cleaned_data["points"],
                feedback=form.cleaned_data.get("feedback") or "",
            )
        except ApplicationError as error:
            messages.error(request, str(error.message))
        else:
            messages.success(request, _("Graded."))
    else:
        messages.error(request, _("Give the points as a number."))
    return redirect("training:grading")
