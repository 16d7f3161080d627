"""Reads of campaigns that the dialer source, the API and (later) the monitor share.

Visibility: administrators and supervisors see every campaign and its contacts; an agent sees
only what their desk needs — the contacts they spoke to and the callbacks they own.
"""

from __future__ import annotations

import datetime

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from apps.accounts.choices import Role
from apps.telephony.choices import CampaignStatus, ContactStatus, DialOutcome, ScheduledCallbackStatus
from apps.telephony.dialer.contract import CampaignSettings
from apps.telephony.models import (
    Campaign,
    Consent,
    Contact,
    DialAttempt,
    DoNotCall,
    ScheduledCallback,
    Trunk,
)
from apps.telephony.models.campaigns import OPEN_CONTACT_STATUSES
from apps.telephony.services.campaigns.dnc import consent_active_q

STAFF_ROLES = (Role.TENANT_ADMIN, Role.SUPERVISOR)
LIVE_OUTCOMES = (DialOutcome.ANSWERED, DialOutcome.ABANDONED)
#: Every outcome of a dial that happened and has ended. Not ``""`` (still open: it may be a
#: prefetched contact that will be handed back) and not ``returned`` (handed back undialled): so
#: every figure built on it only ever grows, as rows are never deleted and outcomes never reopen.
DIALLED_OUTCOMES = (
    DialOutcome.ANSWERED,
    DialOutcome.ABANDONED,
    DialOutcome.BUSY,
    DialOutcome.NO_ANSWER,
    DialOutcome.MACHINE,
    DialOutcome.FAILED,
)


def dialled_q(prefix: str = "") -> Q:
    """An attempt that was dialled and has ended (:data:`DIALLED_OUTCOMES`); ``prefix`` reaches it
    through a relation (``"dial_attempts__"``)."""
    return Q(**{f"{prefix}outcome__in": DIALLED_OUTCOMES})


def contact_dialled() -> Exists:
    """The contact has at least one dialled, ended attempt (the *attempted* figure)."""
    return Exists(DialAttempt.objects.filter(dialled_q(), contact=OuterRef("pk")))


def due_contacts(
    campaign: Campaign, now: datetime.datetime, *, zones: list[str], requires_consent: bool
) -> QuerySet[Contact]:
    """Contacts of ``campaign`` that may be dialled at ``now``, in hand-out order: callbacks first,
    then by due time. ``zones`` are the time zones whose calling window is open now
    (dialer/windows.py open_time_zones); do-not-call (tenant and campaign) and, when required,
    marketing consent are checked here, at hand-out time, whatever the contact's status says."""
    # Two anti-joins rather than one with "campaign IS NULL OR campaign = X": each then probes
    # its own unique index (tenant list by number; campaign list by number and campaign).
    contacts = (
        Contact.objects.filter(
            campaign=campaign, status__in=OPEN_CONTACT_STATUSES, next_attempt_at__lte=now, time_zone__in=zones
        )
        .filter(~Exists(DoNotCall.objects.filter(campaign__isnull=True, number=OuterRef("phone"))))
        .filter(~Exists(DoNotCall.objects.filter(campaign=campaign, number=OuterRef("phone"))))
    )
    if requires_consent:
        contacts = contacts.filter(Exists(Consent.objects.filter(consent_active_q(now), number=OuterRef("phone"))))
    return contacts.order_by("-priority", "next_attempt_at", "id")


def contact_counts(campaign_id: int) -> dict[str, int]:
    """``remaining`` (not finished), ``attempted`` (dialled at least once: an ended, dialled
    attempt — not the contact's attempt counter, which a prefetch raises and a hand-back lowers),
    ``finished`` (closed)."""
    return Contact.objects.filter(campaign_id=campaign_id).aggregate(
        remaining=Count("id", filter=Q(status__in=(*OPEN_CONTACT_STATUSES, ContactStatus.DIALING))),
        attempted=Count("id", filter=contact_dialled()),
        finished=Count("id", filter=Q(status__in=(ContactStatus.DONE, ContactStatus.DNC, ContactStatus.INVALID))),
    )


def abandon_history(campaign: Campaign, now: datetime.datetime | None = None) -> tuple[int, int]:
    """Live answers and abandons within the campaign's abandon window, up to ``now``."""
    now = now or timezone.now()
    since = now - datetime.timedelta(days=campaign.abandon_window_days)
    row = DialAttempt.objects.filter(campaign=campaign, started_at__gte=since, started_at__lte=now).aggregate(
        live=Count("id", filter=Q(outcome__in=LIVE_OUTCOMES)),
        abandoned=Count("id", filter=Q(outcome=DialOutcome.ABANDONED)),
    )
    return row["live"], row["abandoned"]


def campaign_settings(campaign: Campaign, now: datetime.datetime | None = None) -> CampaignSettings:
    """The engine's view of a campaign (apps/telephony/dialer/contract.py)."""
    trunk = campaign.trunk or Trunk.objects.filter(is_default=True).order_by("id").first()
    live, abandoned = abandon_history(campaign, now)
    return CampaignSettings(
        campaign_id=campaign.pk,
        name=campaign.name,
        mode=campaign.dial_mode,
        ratio=float(campaign.power_ratio),
        queue_id=campaign.queue_id,
        trunk_id=trunk.pk if trunk else None,
        caller_id=campaign.caller_id or (trunk.caller_id if trunk else ""),
        max_abandon_rate=float(campaign.max_abandon_rate),
        abandon_window_days=campaign.abandon_window_days,
        ring_timeout_seconds=float(campaign.ring_timeout_seconds),
        amd_enabled=campaign.amd_enabled,
        wrapup_seconds=float(campaign.queue.wrapup_seconds),
        record=campaign.record_calls,
        history_live_answers=live,
        history_abandoned=abandoned,
        script=campaign.script,
        abandon_message=campaign.abandon_message,
    )


def running_campaign_settings(now: datetime.datetime | None = None) -> list[CampaignSettings]:
    """Every running campaign of the current tenant, for the engine's configuration load."""
    campaigns = Campaign.objects.filter(status=CampaignStatus.RUNNING).select_related("queue", "trunk").order_by("id")
    return [campaign_settings(campaign, now) for campaign in campaigns]


# --- visibility -------------------------------------------------------------------------------------


def _is_staff(user) -> bool:
    return bool(user and user.is_authenticated and user.has_role(*STAFF_ROLES))


def contacts_visible_to(user) -> QuerySet[Contact]:
    contacts = Contact.objects.select_related("campaign", "last_disposition", "owner_agent__user")
    if _is_staff(user):
        return contacts
    if user and user.is_authenticated and user.has_role(Role.AGENT):
        spoke = DialAttempt.objects.filter(contact=OuterRef("pk"), agent__user=user)
        owned = ScheduledCallback.objects.filter(
            contact=OuterRef("pk"), status=ScheduledCallbackStatus.PENDING, agent__user=user
        )
        return contacts.filter(Exists(spoke) | Exists(owned))
    return contacts.none()


def callbacks_visible_to(user) -> QuerySet[ScheduledCallback]:
    callbacks = ScheduledCallback.objects.select_related("contact", "campaign", "agent__user")
    if _is_staff(user):
        return callbacks
    if user and user.is_authenticated and user.has_role(Role.AGENT):
        # Their own; callbacks for anyone reach an agent through the dialer, like any contact.
        return callbacks.filter(agent__user=user)
    return callbacks.none()
