"""Realtime consumers of the telephony app (message types: docs/realtime.md)."""

from __future__ import annotations

from typing import Any

from apps.accounts.choices import Role
from apps.core.consumers import TenantConsumer
from apps.telephony.models import Seat


class WallboardConsumer(TenantConsumer):
    """Supervisors' live view of the whole contact center."""

    topics = ("wallboard",)
    roles = (Role.SUPERVISOR, Role.TENANT_ADMIN)

    def snapshot_sync(self) -> dict[str, Any]:
        return {"tenant": self.scope["tenant"].slug, "seats": Seat.objects.count()}
