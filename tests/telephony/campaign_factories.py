"""Builders for the campaign tests (call inside ``tenant_context``)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from apps.telephony.choices import CampaignStatus
from apps.telephony.models import Campaign, Contact, Queue
from apps.telephony.services.campaigns.lifecycle import campaign_create
from apps.telephony.services.campaigns.source import DbContactSource

# Monday 2 March 2026, 02:00 UTC = 10:00 in Shanghai, 08:00 in Urumqi, 21:00 (Sunday) in New York.
T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
_serial = itertools.count(1)


def clock_at(origin: datetime = T0):
    """``to_datetime`` for a source whose engine clock starts at ``origin``."""
    return lambda seconds: origin + timedelta(seconds=seconds)


def source(origin: datetime = T0) -> DbContactSource:
    return DbContactSource(clock_at(origin))


def make_campaign(*, running: bool = True, **fields) -> Campaign:
    fields.setdefault("name", f"Campaign {next(_serial)}")
    fields.setdefault("queue", Queue.objects.order_by("id").first().pk)
    fields.setdefault("abandon_message", "This is Acme calling; call us back on 4001234567.")
    campaign = campaign_create(**fields)
    if running:
        Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.RUNNING)
        campaign.refresh_from_db()
    return campaign


def make_contact(campaign: Campaign, phone: str | None = None, **fields) -> Contact:
    fields.setdefault("time_zone", "Asia/Shanghai")
    fields.setdefault("next_attempt_at", T0 - timedelta(hours=1))
    phone = phone or f"+86138{next(_serial):08d}"
    return Contact.objects.create(campaign=campaign, phone=phone, **fields)
