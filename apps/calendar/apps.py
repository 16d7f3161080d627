from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CalendarConfig(AppConfig):
    """The one holiday calendar of the platform (public schema; see docs/decisions)."""

    name = "apps.calendar"
    label = "calendar"
    verbose_name = _("Holiday calendar")
