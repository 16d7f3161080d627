from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "apps.reports"
    verbose_name = _("Reports")

    def ready(self) -> None:
        # The standard reports register themselves with the report framework on import.
        from apps.reports import catalog  # noqa: F401, PLC0415
