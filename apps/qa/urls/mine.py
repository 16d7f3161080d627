"""Pages of the agent's own evaluations (see apps/qa/urls/__init__.py)."""

from django.urls import path

from apps.qa.views import mine

urlpatterns: list = [
    path("mine/", mine.mine, name="mine"),
    path("mine/<int:pk>/", mine.my_evaluation_detail, name="my_evaluation"),
    path("mine/<int:pk>/acknowledge/", mine.my_evaluation_acknowledge, name="my_evaluation_acknowledge"),
    path("mine/<int:pk>/dispute/", mine.my_evaluation_dispute, name="my_evaluation_dispute"),
]
