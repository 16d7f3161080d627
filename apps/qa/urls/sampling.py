"""Pages of the QA sampling concern (see apps/qa/urls/__init__.py): the rules, a rule's editor and
preview, and the assignments board."""

from django.urls import path

from apps.qa.views import sampling

urlpatterns: list = [
    path("sampling/", sampling.rules, name="sampling_rules"),
    path("sampling/new/", sampling.rule_new, name="sampling_rule_new"),
    path("sampling/<int:pk>/", sampling.rule_edit, name="sampling_rule_edit"),
    path("sampling/<int:pk>/preview/", sampling.rule_preview, name="sampling_preview"),
    path("sampling/<int:pk>/run/", sampling.rule_run, name="sampling_run"),
    path("sampling/<int:pk>/delete/", sampling.rule_delete, name="sampling_rule_delete"),
    path("assignments/", sampling.board, name="assignments"),
    path("assignments/<int:pk>/reassign/", sampling.assignment_reassign_view, name="assignment_reassign"),
    path("assignments/<int:pk>/skip/", sampling.assignment_skip_view, name="assignment_skip"),
]
