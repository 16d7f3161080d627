"""The agent's own schedule and its iCal feed (see apps/workforce/urls/__init__.py)."""

from django.urls import path

from apps.workforce.views import ical, schedule

urlpatterns: list = [
    path("schedule/", schedule.my_schedule, name="schedule"),
    path("schedule/feed/<str:token>.ics", ical.schedule_feed, name="schedule_feed"),
]
