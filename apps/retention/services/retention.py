"""Retention: the policy, legal holds and the purge (the only way calls, recordings and
campaign contacts leave the database by age).

Rules:
- The days in force for a kind are the tenant's own, or the platform default
  (``RETENTION_DEFAULTS``); a tenant may choose within ``RETENTION_MIN_DAYS`` ..
  ``RETENTION_MAX_DAYS`` so nobody erases yesterday's calls by typing 1.
- Recordings go first (their audio is the most sensitive data, and the default keeps them
  shorter than the CDR): the file is deleted from storage, then the row. A file already
  missing is counted, not an error. Deleting the file before the row means a crash between
  the two leaves a row the next run removes, never an orphaned file nobody can find.
- Call records (the CDR with its timeline, voicemail and callback request) and agent state
  events older than the call retention go next; campaign contacts whose last activity is
  older than the contact retention and that the dialer no longer needs (a final status, or a
  finished campaign) last. Do-not-call entries and consent records are never purged: they
  prove what the customer asked for.
- A call under legal hold is skipped by every step.
- Work is done in batches (``RETENTION_BATCH``), each in its own transaction, so a purge of a
  large tenant never holds long locks and a failure keeps what was already done.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.audit.services import audit_record
from apps.core.errors import ApplicationError
from apps.retention.models import LegalHold, PurgeRun, RetentionPolicy
from apps.telephony.choices import CampaignStatus, ContactStatus
from apps.telephony.models import AgentStateEvent, Call, Contact, Recording, Voicemail

logger = logging.getLogger(__name__)

KINDS = ("recordings", "calls", "contacts")
FINAL_CONTACT_STATUSES = (ContactStatus.DONE, ContactStatus.DNC, ContactStatus.INVALID)


def retention_defaults() -> dict[str, int]:
    return {"recordings": 180, "calls": 1095, "contacts": 365, **getattr(settings, "RETENTION_DEFAULTS", {})}


def retention_bounds() -> tuple[int, int]:
    return int(getattr(settings, "RETENTION_MIN_DAYS", 7)), int(getattr(settings, "RETENTION_MAX_DAYS", 3650))


def retention_policy_get() -> RetentionPolicy:
    policy, _created = RetentionPolicy.objects.get_or_create(pk=1)
    return policy


def retention_days(policy: RetentionPolicy | None = None) -> dict[str, int]:
    """The days in force per kind for the current tenant."""
    policy = policy or retention_policy_get()
    defaults = retention_defaults()
    return {kind: getattr(policy, f"{kind}_days") or defaults[kind] for kind in KINDS}


@transaction.atomic
def retention_policy_update(*, actor, recordings_days: int | None, calls_days: int | None, contacts_days: int | None):
    """Set the tenant's retention (``None`` for a kind: the platform default). Audited."""
    low, high = retention_bounds()
    chosen = {"recordings_days": recordings_days, "calls_days": calls_days, "contacts_days": contacts_days}
    fields = {
        name: [_("Enter a number of days from %(low)d to %(high)d, or leave it empty.") % {"low": low, "high": high}]
        for name, days in chosen.items()
        if days is not None and not (low <= days <= high)
    }
    if fields:
        raise ApplicationError("invalid", _("The request has invalid fields."), fields=fields)
    policy = RetentionPolicy.objects.select_for_update().get(pk=retention_policy_get().pk)
    before = {name: getattr(policy, name) for name in chosen}
    for name, days in chosen.items():
        setattr(policy, name, days)
    policy.updated_at = timezone.now()
    policy.updated_by = getattr(actor, "email", "") or ""
    policy.save()
    if before != chosen:
        _audit("retention.changed", actor=actor, target=policy, before=before, after=chosen)
    return policy


@transaction.atomic
def legal_hold_place(*, call: Call, reason: str, actor) -> LegalHold:
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError("invalid", _("The request has invalid fields."), fields={"reason": [_("Say why.")]})
    if LegalHold.objects.filter(call=call).exists():
        raise ApplicationError("conflict", _("This call is already under legal hold."), status=409)
    hold = LegalHold.objects.create(call=call, reason=reason[:200], placed_by=getattr(actor, "email", "") or "")
    _audit("retention.hold_placed", actor=actor, target=call, after={"reason": hold.reason})
    return hold


@transaction.atomic
def legal_hold_release(*, call: Call, actor) -> None:
    hold = LegalHold.objects.filter(call=call).first()
    if hold is None:
        raise ApplicationError("not_found", _("This call is not under legal hold."), status=404)
    _audit("retention.hold_released", actor=actor, target=call, before={"reason": hold.reason})
    hold.delete()


def _batch() -> int:
    return int(getattr(settings, "RETENTION_BATCH", 500))


def _delete_file(name: str) -> bool:
    """Delete ``name`` from storage; False when it was already gone."""
    if not name:
        return True
    if not default_storage.exists(name):
        return False
    default_storage.delete(name)
    return True


def _held() -> Q:
    return Q(legal_hold__isnull=False)


def _purge_recordings(before: datetime, run: PurgeRun) -> None:
    candidates = Recording.objects.filter(created_at__lt=before).exclude(call__legal_hold__isnull=False)
    while batch := list(candidates.order_by("pk").values_list("pk", "file")[: _batch()]):
        for _pk, name in batch:
            if not _delete_file(name):
                run.files_missing += 1
        with transaction.atomic():
            deleted, _detail = Recording.objects.filter(pk__in=[pk for pk, _name in batch]).delete()
        run.recordings_deleted += len(batch)


def _purge_calls(before: datetime, run: PurgeRun) -> None:
    old = Call.objects.filter(arrived_at__lt=before)
    run.held_skipped = old.filter(_held()).count()
    candidates = old.exclude(_held())
    while batch := list(candidates.order_by("pk").values_list("pk", flat=True)[: _batch()]):
        files = list(Recording.objects.filter(call_id__in=batch).values_list("file", flat=True))
        files += [name for name in Voicemail.objects.filter(call_id__in=batch).values_list("file", flat=True) if name]
        for name in files:
            if not _delete_file(name):
                run.files_missing += 1
        run.recordings_deleted += Recording.objects.filter(call_id__in=batch).count()
        with transaction.atomic():
            Call.objects.filter(pk__in=batch).delete()  # events, recording, voicemail, callback cascade
        run.calls_deleted += len(batch)
    events = AgentStateEvent.objects.filter(at__lt=before)
    while batch := list(events.order_by("pk").values_list("pk", flat=True)[: _batch()]):
        with transaction.atomic():
            AgentStateEvent.objects.filter(pk__in=batch).delete()
        run.agent_events_deleted += len(batch)


def _purge_contacts(before: datetime, run: PurgeRun) -> None:
    candidates = (
        Contact.objects.annotate(last_activity=Coalesce("last_attempt_at", "created_at"))
        .filter(last_activity__lt=before)
        .filter(Q(status__in=FINAL_CONTACT_STATUSES) | Q(campaign__status=CampaignStatus.FINISHED))
    )
    while batch := list(candidates.order_by("pk").values_list("pk", flat=True)[: _batch()]):
        with transaction.atomic():
            Contact.objects.filter(pk__in=batch).delete()  # their dial attempts cascade; calls stay
        run.contacts_deleted += len(batch)


def retention_purge(*, now: datetime | None = None) -> PurgeRun:
    """Purge the current tenant's data past its retention and return the run's report."""
    now = now or timezone.now()
    days = retention_days()
    run = PurgeRun.objects.create(
        started_at=now,
        recordings_before=now - timedelta(days=days["recordings"]),
        calls_before=now - timedelta(days=days["calls"]),
        contacts_before=now - timedelta(days=days["contacts"]),
    )
    try:
        _purge_recordings(run.recordings_before, run)
        _purge_calls(run.calls_before, run)
        _purge_contacts(run.contacts_before, run)
    except Exception as error:  # the report says what went wrong; what was done stays done
        logger.exception("retention purge failed")
        run.error = f"{type(error).__name__}: {error}"[:2000]
    run.finished_at = timezone.now()
    run.save()
    if run.recordings_deleted or run.calls_deleted or run.contacts_deleted or run.agent_events_deleted:
        _audit(
            "retention.purged",
            actor=None,
            target=run,
            after={
                "recordings": run.recordings_deleted,
                "calls": run.calls_deleted,
                "contacts": run.contacts_deleted,
                "agent_state_events": run.agent_events_deleted,
            },
        )
    return run


def _audit(action: str, **kwargs) -> None:
    audit_record(action=action, **kwargs)
