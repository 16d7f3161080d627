"""Seat credentials follow the people who may use them.

``apps.accounts`` sits below telephony and does not import it, so the telephony side listens
for the user changes that end someone's right to take calls — deactivation, the agent role
removed, the user deleted — and hands them to one service, which takes the seat's credential
away (apps.telephony.services.seat_credentials). The receivers only decide whether to call it.
"""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save
from django.dispatch import Signal
from django_tenants.utils import get_public_schema_name

from apps.accounts.choices import Role
from apps.accounts.models import User
from apps.core.tenancy import current_schema
from apps.telephony.models import Agent, Seat
from apps.telephony.services.agent_state import agent_access_revoke
from apps.telephony.services.seat_credentials import seat_credential_revoke

_ACCESS_FIELDS = {"is_active", "roles"}

# Sent by ``generate_history`` (apps/telephony/services/history.py) after it committed a
# tenant's generated past, inside that tenant's schema: ``sender`` is ``Call``, with ``since`` and
# ``until`` (aware datetimes, the half-open range written) and ``tenant``. The reports app
# connects a receiver that rebuilds its rollups for the period (docs/simulation.md).
history_written = Signal()


def _in_tenant_schema() -> bool:
    # Users also live in the public schema (platform staff), which has no agents.
    return current_schema() != get_public_schema_name()


def _user_saved(sender, instance: User, created: bool, update_fields=None, **kwargs) -> None:
    if created or not _in_tenant_schema():
        return
    if update_fields is not None and not _ACCESS_FIELDS & set(update_fields):
        return
    if not instance.is_active or not instance.has_role(Role.AGENT):
        agent_access_revoke(user=instance)


def _agent_deleted(sender, instance: Agent, **kwargs) -> None:
    if instance.seat_id is None:
        return
    seat = Seat.objects.filter(pk=instance.seat_id).first()
    if seat is not None:
        seat_credential_revoke(seat=seat)


def connect() -> None:
    post_save.connect(_user_saved, sender=User, dispatch_uid="telephony-seat-credentials-user")
    post_delete.connect(_agent_deleted, sender=Agent, dispatch_uid="telephony-seat-credentials-agent")
