"""/api/v1/calendar… on a tenant host."""

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from apps.calendar.api import views

router = SimpleRouter(trailing_slash=False)
router.register("calendar/overrides", views.CalendarOverrideViewSet, basename="calendar-override")

urlpatterns = [
    path("calendar/", views.tenant_year, name="api-calendar"),
    path("", include(router.urls)),
]
