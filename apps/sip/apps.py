from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SipConfig(AppConfig):
    name = "apps.sip"
    verbose_name = _("SIP plane")

    def ready(self) -> None:
        from apps.sip import signals  # noqa: PLC0415 -- signals import models: the app registry is ready only here

        signals.connect()
