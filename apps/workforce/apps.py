from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkforceConfig(AppConfig):
    name = "apps.workforce"
    verbose_name = _("Workforce")

    def ready(self) -> None:
        # Reports join the framework (apps/reports/registry.py) once the models are loaded; the
        # desk's login/logout clocks in/out through a signal (apps/workforce/signals.py).
        from apps.workforce import signals  # noqa: PLC0415 -- needs the loaded models
        from apps.workforce.reports import attendance, staffing  # noqa: F401, PLC0415 -- register on import

        signals.connect()
