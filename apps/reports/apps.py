from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "apps.reports"
    verbose_name = _("Reports")

    def ready(self) -> None:
        # The standard reports register themselves with the report framework on import; the
        # receivers rebuild KPI rollups when generated history is written (apps/reports/receivers.py).
        from apps.reports import catalog, receivers  # noqa: F401, PLC0415

        receivers.connect()
