"""API routes of survey responses and callback-visit tasks under /api/v1/ (config/api_tenant.py)."""

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from apps.crm.api import surveys

router = SimpleRouter(trailing_slash=False)
router.register("survey-responses", surveys.SurveyResponseViewSet, basename="survey-response")
router.register("visit-tasks", surveys.VisitTaskViewSet, basename="visit-task")

urlpatterns = [path("", include(router.urls))]
