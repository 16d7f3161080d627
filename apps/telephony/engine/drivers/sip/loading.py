"""What the runner loads for the ``sip`` driver: its stack from settings, a tenant's seats and
trunk addresses from the database (run the loaders in a worker thread).

The rest of the package never touches Django, so the driver also runs in the SIP load bench
and the unit tests without a configured project; the Django imports below are deferred to the
calls for that reason.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from apps.telephony.engine.drivers.sip.stack import SipStack

if TYPE_CHECKING:
    from apps.tenants.models import Tenant


def stack_from_settings() -> SipStack:
    from django.conf import settings  # noqa: PLC0415 -- settings only once Django is set up

    return SipStack(
        address=settings.SIP_ENGINE_ADDRESS,
        port=settings.SIP_ENGINE_PORT,
        proxy=(settings.SIP_ADDRESS, settings.SIP_PORT),
        ng=("127.0.0.1", settings.SIP_RTPENGINE_NG_PORT),
        platform_domain=settings.PLATFORM_DOMAIN,
        prompts_dir=Path(settings.SIP_RUNTIME_DIR) / "prompts",
        recording_dir=Path(settings.SIP_RUNTIME_DIR) / "recordings",
    )


def load_seats(tenant: Tenant) -> dict[int, str]:
    """Agent id → seat extension of a tenant (database; run it in a worker thread)."""
    from django_tenants.utils import tenant_context  # noqa: PLC0415 -- Django only once it is set up

    from apps.telephony.models import Agent  # noqa: PLC0415 -- models need Django set up

    with tenant_context(tenant):
        return dict(Agent.objects.filter(seat__isnull=False).values_list("pk", "seat__extension"))


def load_gateways(tenant: Tenant) -> dict[int, tuple[str, int]]:
    """Trunk id → outbound carrier address of a tenant (public schema; run it in a worker thread)."""
    from apps.sip.services import trunk_gateways  # noqa: PLC0415 -- services need Django set up

    return trunk_gateways(tenant)
