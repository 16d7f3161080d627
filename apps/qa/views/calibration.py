"""Calibration pages (/qa/calibration/): the sessions list, a new session, one session (who has
scored, the close button, and once closed the results: evaluator × question alignment with
colours and a chart). Thin: apps/qa/services/calibration.py writes, apps/qa/selectors/calibration.py
reads, apps/qa/calibration.py computes; the API twin is apps/qa/api/calibration.py."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.accounts.views import role_required
from apps.core.errors import ApplicationError, NotFoundError
from apps.core.forms import apply_error
from apps.qa import calibration as figures
from apps.qa import scoring
from apps.qa.choices import BenchmarkMode, CalibrationStatus, QuestionKind
from apps.qa.forms.calibration import CalibrationCloseForm, CalibrationFilterForm, CalibrationForm
from apps.qa.models import CalibrationSession, Evaluation, Question
from apps.qa.selectors.calibration import (
    MANAGE_ROLES,
    PROGRESS_SUBMITTED,
    VIEW_ROLES,
    CalibrationResults,
    calibration_for,
    calibration_progress,
    calibration_results,
    calibration_scoring_error,
    calibrations_visible_to,
    can_manage,
    workspace_url,
)
from apps.qa.services.calibration import calibration_close, calibration_create
from apps.reports.catalog.common import chart_spec

PAGE_SIZE = 50
# Alignment colours on the results table (the page's legend says them): at least GOOD is green,
# at least FAIR amber, below it red.
GOOD, FAIR = Decimal(90), Decimal(70)


def level(alignment_percent: Decimal | None) -> str:
    if alignment_percent is None:
        return "neutral"
    if alignment_percent >= GOOD:
        return "good"
    return "warn" if alignment_percent >= FAIR else "bad"


def answer_text(question: Question, value: Decimal | None) -> str:
    """An answer as people say it: Yes / No for a yes-no question, else the points."""
    if value is None:
        return _("N/A")
    if question.kind == QuestionKind.YES_NO and value in (0, question.points):
        return _("Yes") if value == question.points else _("No")
    return f"{Decimal(value).normalize():f}"


@role_required(*VIEW_ROLES)
def calibration_list(request):
    form = CalibrationFilterForm(request.GET or None)
    sessions = calibrations_visible_to(request.user).prefetch_related("participants")
    status = form.cleaned_data.get("status") if form.is_valid() else ""
    if status:
        sessions = sessions.filter(status=status)
    page = Paginator(sessions, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = []
    for session in page:
        progress = calibration_progress(session)
        results = calibration_results(session) if session.status == CalibrationStatus.CLOSED else None
        rows.append(
            {
                "session": session,
                "submitted": sum(1 for row in progress if row["state"] == PROGRESS_SUBMITTED),
                "participants": len(progress),
                "alignment": figures.percent(results.alignment) if results else None,
                "mine": any(row["user"].pk == request.user.pk for row in progress),
            }
        )
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "filter_form": form,
        "page": page,
        "rows": rows,
        "can_create": can_manage(request.user),
        "query": query.urlencode(),
    }
    return render(request, "qa/calibration_list.html", context)


@role_required(*MANAGE_ROLES)
def calibration_new(request):
    initial = {"call": request.GET.get("call", "")}
    form = CalibrationForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            session = calibration_create(
                actor=request.user,
                title=data["title"],
                call=data["call"],
                scorecard=data["scorecard"].pk,
                participants=[user.pk for user in data["participants"]],
                benchmark_mode=data["benchmark_mode"],
                due_at=data.get("due_at"),
            )
        except ApplicationError as error:
            apply_error(form, error)
        else:
            messages.success(request, _("Calibration session opened; the evaluators find it under Calibration."))
            return redirect("qa:calibration_detail", pk=session.pk)
    return render(request, "qa/calibration_new.html", {"form": form}, status=400 if form.errors else 200)


def _results_table(results: CalibrationResults) -> dict[str, Any]:
    """Rows per question, a column per evaluator: alignment percentages with their colour."""
    evaluators = results.evaluators
    rows = []
    for row in results.questions:
        question = row.question
        cells = []
        for evaluator in evaluators:
            value = figures.percent(evaluator.questions.get(question.pk))
            answer = {a.question_id: a for a in evaluator.evaluation.answers.all()}.get(question.pk)
            given = None if answer is None or answer.na else answer.earned
            cells.append({"percent": value, "level": level(value), "answer": answer_text(question, given)})
        mean = figures.percent(row.alignment)
        rows.append(
            {
                "question": question,
                "benchmark": answer_text(question, row.benchmark),
                "cells": cells,
                "mean": mean,
                "level": level(mean),
            }
        )
    overall = [figures.percent(evaluator.alignment) for evaluator in evaluators]
    return {
        "evaluators": evaluators,
        "rows": rows,
        "overall": [{"percent": value, "level": level(value)} for value in overall],
        "scores": [scoring.display(evaluator.score) for evaluator in evaluators],
        "alignment": figures.percent(results.alignment),
        "alignment_text": f"{figures.percent(results.alignment)}%" if results.alignment is not None else "—",
        "benchmark_score": scoring.display(results.benchmark_score),
        "chart": chart_spec(
            _("Alignment per evaluator"),
            [evaluator.user.get_full_name() or evaluator.user.email for evaluator in evaluators],
            [(_("Alignment"), [float(value) if value is not None else None for value in overall])],
            "percent",
        ),
    }


def _close_form(session: CalibrationSession, data=None) -> CalibrationCloseForm:
    evaluations = None
    if session.benchmark_mode == BenchmarkMode.LEAD:
        evaluations = (
            Evaluation.objects.filter(calibration=session)
            .exclude(status="draft")
            .select_related("evaluator")
            .order_by("evaluator__name")
        )
    return CalibrationCloseForm(data, evaluations=evaluations)


def _session(request, pk: int) -> CalibrationSession:
    try:
        return calibration_for(user=request.user, pk=pk)
    except NotFoundError as error:
        raise Http404(str(error.message)) from error


@role_required(*VIEW_ROLES)
def calibration_detail(request, pk: int):
    return _detail_page(request, _session(request, pk))


def _detail_page(
    request, session: CalibrationSession, close_form: CalibrationCloseForm | None = None, status: int = 200
):
    manager = can_manage(request.user)
    is_open = session.status == CalibrationStatus.OPEN
    mine = (
        Evaluation.objects.filter(calibration=session, evaluator=request.user).order_by("-id").first()
        if request.user.is_authenticated
        else None
    )
    results = calibration_results(session) if not is_open else None
    may_score = calibration_scoring_error(actor=request.user, session=session) is None
    context = {
        "session": session,
        "progress": calibration_progress(session),
        "manager": manager,
        "is_open": is_open,
        "score_url": workspace_url(session) if is_open and may_score else None,
        "mine": mine,
        "close_form": close_form or (_close_form(session) if manager and is_open else None),
        "table": _results_table(results) if results is not None else None,
        "good": GOOD,
        "fair": FAIR,
    }
    return render(request, "qa/calibration_detail.html", context, status=status)


@role_required(*MANAGE_ROLES)
@require_POST
def calibration_close_view(request, pk: int):
    session = _session(request, pk)
    form = _close_form(session, request.POST)
    if form.is_valid():
        chosen = form.cleaned_data.get("benchmark_evaluation")
        try:
            calibration_close(actor=request.user, session=session, benchmark_evaluation=chosen.pk if chosen else None)
        except ApplicationError as error:
            apply_error(form, error)
            for field, problems in error.fields.items():
                if field not in form.fields:
                    for problem in problems:
                        form.add_error(None, problem)
        else:
            messages.success(request, _("Calibration session closed: the results are below."))
            return redirect("qa:calibration_detail", pk=pk)
    return _detail_page(request, session, close_form=form, status=400)
