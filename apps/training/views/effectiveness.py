"""From QA to training, seen by trainers (/training/effectiveness/, /training/qa-rules/): each
course's effect on its trainees' QA scores, each exam's item analysis, and the QA rules that
assign courses. GET never writes; the rules' form posts to the service.
"""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from apps.accounts.views import role_required
from apps.core.errors import ApplicationError
from apps.core.forms import apply_error
from apps.training.forms.courses import QaRuleForm
from apps.training.models import Exam, QaTrainingRule
from apps.training.selectors.courses import AUTHOR_ROLES
from apps.training.selectors.effectiveness import DEFAULT_N, course_effectiveness
from apps.training.selectors.item_analysis import exam_item_analysis
from apps.training.services.qa_link import qa_rule_save


@role_required(*AUTHOR_ROLES)
def effectiveness(request):
    exams = list(Exam.objects.order_by("title"))
    chosen = None
    raw = request.GET.get("exam", "")
    if raw.isdigit():
        chosen = next((exam for exam in exams if exam.pk == int(raw)), None)
    context = {
        "courses": course_effectiveness(n=DEFAULT_N),
        "n": DEFAULT_N,
        "exams": exams,
        "exam": chosen,
        "items": exam_item_analysis(chosen) if chosen else [],
    }
    return render(request, "training/courses/effectiveness.html", context)


@role_required(*AUTHOR_ROLES)
def qa_rules(request):
    form = QaRuleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            qa_rule_save(actor=request.user, data=form.as_data())
        except ApplicationError as error:
            apply_error(form, error)
        else:
            messages.success(request, _("Rule saved: it runs every hour for the current month."))
            return redirect("training:qa_rules")
    rules = QaTrainingRule.objects.select_related("course").order_by("name")
    return render(
        request, "training/courses/qa_rules.html", {"form": form, "rules": rules}, status=400 if form.errors else 200
    )


@role_required(*AUTHOR_ROLES)
def qa_rule_toggle(request, pk: int):
    rule = get_object_or_404(QaTrainingRule, pk=pk)
    if request.method == "POST":
        qa_rule_save(actor=request.user, data={"is_active": not rule.is_active}, rule=rule)
    return redirect("training:qa_rules")
