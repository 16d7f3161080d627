"""Pages of the QA coaching concern (see apps/qa/urls/__init__.py)."""

from django.urls import path

from apps.qa.views import coaching

urlpatterns: list = [
    path("coaching/", coaching.coaching, name="coaching"),
    path("coaching/new/", coaching.coaching_new, name="coaching_new"),
    path("coaching/<int:pk>/", coaching.coaching_detail, name="coaching_detail"),
    path("coaching/<int:pk>/acknowledge/", coaching.coaching_acknowledge_view, name="coaching_acknowledge"),
    path("coaching/<int:pk>/delete/", coaching.coaching_delete_view, name="coaching_delete"),
]
