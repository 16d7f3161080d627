from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QaConfig(AppConfig):
    name = "apps.qa"
    verbose_name = _("Quality")

    def ready(self) -> None:
        # The QA reports and their team / scorecard filters join the report framework (apps/reports/registry.py).
        from apps.qa.reports import common  # noqa: PLC0415 -- reports import models: the registry is ready only here

        common.register_filters()
