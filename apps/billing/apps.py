from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    """The platform operator's billing: metering, rating, monthly invoices (public schema)."""

    name = "apps.billing"
    label = "billing"
    verbose_name = _("Billing")

    def ready(self) -> None:
        # Generated history is metered when written (apps/billing/receivers.py); imported here
        # because receivers import models, which the app registry must have loaded first.
        from apps.billing import receivers  # noqa: PLC0415

        receivers.connect()
