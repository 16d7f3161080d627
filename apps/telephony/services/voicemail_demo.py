"""Demo voicemail and inbound callback requests, for ``ensure_demo`` (make run): three messages
with a synthesised voice (one new, one assigned to a supervisor, one heard) and four callback
requests, one per outcome. Idempotent: nothing is added once the demo messages exist. No
notifications are sent for them."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from apps.accounts.choices import Role
from apps.accounts.models import User
from apps.telephony.audio import synthesize_wav
from apps.telephony.choices import CallbackStatus, CallEndReason
from apps.telephony.models import CallbackRequest, Queue, Voicemail
from apps.telephony.services import cdr
from apps.telephony.services.voicemail import voicemail_store_audio

PREFIX = "demo-vm-"


@transaction.atomic
def voicemail_demo_seed() -> int:
    """Add the demo messages and callback requests to the current tenant; returns how many rows."""
    if Voicemail.objects.filter(call__uid__startswith=PREFIX).exists():
        return 0
    queue = Queue.objects.filter(is_scratch=False).order_by("-priority", "pk").first()
    if queue is None:
        return 0
    supervisor = User.objects.filter(is_active=True, roles__contains=[Role.SUPERVISOR]).order_by("pk").first()
    now = timezone.now()
    made = 0
    for index, (caller, seconds, hours_ago) in enumerate(
        (("13812345001", 14.0, 1), ("13812345002", 22.0, 5), ("13812345003", 9.0, 26))
    ):
        arrived = now - timedelta(hours=hours_ago)
        call = cdr.call_open(
            uid=f"{PREFIX}{index + 1}", direction="inbound", caller=caller, callee="4008200000", at=arrived
        )
        cdr.call_event(call, "voicemail", at=arrived + timedelta(seconds=8), queue_id=queue.pk)
        ended = arrived + timedelta(seconds=10 + seconds)
        cdr.call_close(call, at=ended, end_reason=CallEndReason.VOICEMAIL)
        voicemail = Voicemail.objects.create(call=call, queue=queue, caller=caller, created_at=ended)
        voicemail_store_audio(
            voicemail=voicemail, data=synthesize_wav(seconds, seed=index + 1), duration_seconds=seconds
        )
        if index == 1 and supervisor is not None:
            voicemail.assigned_to, voicemail.assigned_at = supervisor, ended + timedelta(minutes=5)
            voicemail.save(update_fields=["assigned_to", "assigned_at"])
        if index == 2 and supervisor is not None:
            voicemail.heard_by, voicemail.heard_at = supervisor, ended + timedelta(hours=1)
            voicemail.save(update_fields=["heard_by", "heard_at"])
        made += 1
    for index, (status, attempts) in enumerate(
        (
            (CallbackStatus.PENDING, 0),
            (CallbackStatus.DIALING, 1),
            (CallbackStatus.DONE, 1),
            (CallbackStatus.FAILED, 3),
        )
    ):
        arrived = now - timedelta(hours=index + 1, minutes=7)
        call = cdr.call_open(
            uid=f"{PREFIX}cb-{index + 1}",
            direction="inbound",
            caller=f"1391234500{index}",
            callee="4008200000",
            at=arrived,
        )
        cdr.call_queued(call, queue=queue, at=arrived + timedelta(seconds=10))
        cdr.call_close(call, at=arrived + timedelta(seconds=75), end_reason=CallEndReason.CALLBACK)
        finished = status in (CallbackStatus.DONE, CallbackStatus.FAILED)
        CallbackRequest.objects.create(
            call=call,
            queue=queue,
            number=call.caller,
            original_queued_at=arrived + timedelta(seconds=10),
            created_at=arrived + timedelta(seconds=75),
            status=status,
            attempts=attempts,
            completed_at=arrived + timedelta(minutes=20) if finished else None,
        )
        made += 1
    return made
