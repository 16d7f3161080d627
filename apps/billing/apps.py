from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    """The platform operator's billing: metering, rating, monthly invoices (public schema)."""

    name = "apps.billing"
    label = "billing"
    verbose_name = _("Billing")
