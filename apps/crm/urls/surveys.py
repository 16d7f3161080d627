"""Survey pages under /surveys/ (config/urls_tenant.py), namespace ``surveys``."""

from django.urls import path

from apps.crm.views import surveys

app_name = "surveys"

urlpatterns = [
    path("", surveys.survey_list_view, name="list"),
    path("<int:pk>/follow-up/", surveys.survey_follow_up_view, name="follow_up"),
    path("<int:pk>/visit/", surveys.survey_visit_view, name="visit"),
    path("visits/", surveys.visit_task_list_view, name="visits"),
    path("visits/ticket/<int:pk>/", surveys.ticket_visit_task_view, name="ticket_visit"),
]
