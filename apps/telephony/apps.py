from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TelephonyConfig(AppConfig):
    name = "apps.telephony"
    verbose_name = _("Telephony")

    def ready(self) -> None:
        from apps.telephony import signals  # noqa: PLC0415 -- signals import models: the app registry is ready only here

        signals.connect()
