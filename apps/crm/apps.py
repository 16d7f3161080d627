from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CrmConfig(AppConfig):
    name = "apps.crm"
    verbose_name = _("Customers")

    def ready(self) -> None:
        # The desk's "New ticket" beside the call: telephony's seam, filled in here so that
        # telephony never imports crm (apps/telephony/desk_links.py).
        from apps.crm.roles import TICKET_CREATE_ROLES  # noqa: PLC0415 -- app registry must be ready
        from apps.telephony.desk_links import DeskCallLink, register_desk_call_link  # noqa: PLC0415 -- idem

        register_desk_call_link(
            DeskCallLink(label=_("New ticket"), url_name="tickets:new", param="call", roles=TICKET_CREATE_ROLES)
        )
        # The survey and ticket reports register with the report framework (apps/crm/reports).
        from apps.crm import reports  # noqa: F401, PLC0415 -- registers on import; models must be ready
