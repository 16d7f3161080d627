"""Background jobs of the telephony app. Thin: each calls a service. They run in the schema of
the tenant that queued them (tenant-schemas-celery carries it in the task headers).

Tasks are acknowledged late and requeued when their worker dies (settings ``CELERY_TASK_ACKS_LATE``,
``CELERY_TASK_REJECT_ON_WORKER_LOST``): each must be safe to run twice. The import tasks are
(:mod:`apps.telephony.services.campaigns.import_jobs`: a lease, and a checkpoint committed with each batch)."""

from __future__ import annotations

import logging
import struct
import time
from pathlib import Path

from celery import shared_task
from celery.exceptions import Retry
from django_tenants.utils import schema_context, tenant_context

from apps.telephony.engine.drivers.sip import recording
from apps.telephony.models import Call, ContactList, DoNotCallImport
from apps.telephony.services.analysis import call_analyse
from apps.telephony.services.campaigns.contact_import import contact_list_import
from apps.telephony.services.campaigns.dnc_import import dnc_import_run
from apps.telephony.services.campaigns.import_jobs import import_jobs_mark_stalled
from apps.telephony.services.prompts import prompt_convert_pending
from apps.telephony.services.recordings import recording_store_file
from apps.telephony.services.voicemail import is_voicemail_call, voicemail_store_file
from apps.tenants.choices import TenantStatus
from apps.tenants.models import Tenant

logger = logging.getLogger(__name__)


@shared_task(name="apps.telephony.tasks.contact_list_import_task")
def contact_list_import_task(contact_list_id: int) -> int:
    """Import a contact list; returns the number of contacts it holds afterwards.

    A list deleted before its turn came is not an error worth a traceback (and a retry)."""
    try:
        return contact_list_import(contact_list_id).rows_imported
    except ContactList.DoesNotExist:
        logger.warning("contact list %s is gone; nothing to import", contact_list_id)
        return 0


@shared_task(name="apps.telephony.tasks.dnc_import_task")
def dnc_import_task(import_id: int) -> int:
    """Add a file of numbers to a do-not-call list; returns how many were new."""
    try:
        return dnc_import_run(import_id).rows_added
    except DoNotCallImport.DoesNotExist:
        logger.warning("do-not-call import %s is gone; nothing to do", import_id)
        return 0


@shared_task(name="apps.telephony.tasks.prompt_convert_task")
def prompt_convert_task(prompt_id: int) -> str:
    """Decode an uploaded prompt into the WAV the SIP plane plays; returns the prompt's status."""
    prompt = prompt_convert_pending(prompt_id=prompt_id)
    return prompt.status if prompt is not None else "gone"


@shared_task(name="apps.telephony.tasks.import_jobs_mark_stalled_task")
def import_jobs_mark_stalled_task() -> int:
    """Beat, every minute, from the public schema: in every active tenant, mark the imports whose
    worker stopped sending heartbeats as stalled (they then offer Retry and Cancel)."""
    count = 0
    for tenant in Tenant.objects.exclude(schema_name="public").filter(status=TenantStatus.ACTIVE):
        with tenant_context(tenant):
            count += import_jobs_mark_stalled()
    if count:
        logger.warning("%d import(s) marked stalled: their worker stopped", count)
    return count


@shared_task(name="apps.telephony.tasks.recording_store_task", bind=True, max_retries=10, default_retry_delay=3)
def recording_store_task(self, call_uid: str, path: str) -> int:
    """Link the SIP plane's stereo WAV of a call to its CDR. The engine writes CDRs in its own
    worker, so the row may not be there yet: retry for a while."""
    stored = _recording_store(call_uid, path)
    if stored is None:
        if self.request.retries >= self.max_retries:
            # No CDR will come (an engine without a database store, e.g. a benchmark): keep the
            # file where it is and say so once, rather than fail loudly.
            logger.warning("recording %s: no call %s to attach it to; left in place", path, call_uid)
            return 0
        raise self.retry()
    return stored


def _recording_store(call_uid: str, path: str) -> int | None:
    """The Recording's pk once the WAV is stored with the call's CDR; None while there is no CDR."""
    call = Call.objects.filter(uid=call_uid).first()
    if call is None:
        return None
    if is_voicemail_call(call):
        # The caller's message (recorded from the greeting's tone on): the Voicemail row's audio.
        return voicemail_store_file(call=call, path=path)
    return recording_store_file(call=call, path=path).pk


@shared_task(name="apps.telephony.tasks.call_analyse_task")
def call_analyse_task(call_id: int) -> str:
    """Analyse a call's recording (queued when the recording is stored). Safe to run again: it
    replaces the call's analysis. An unreadable recording is stored as a failed analysis, not
    retried; a call deleted in the meantime is nothing to do."""
    call = Call.objects.filter(pk=call_id).first()
    if call is None:
        logger.info("call %s is gone; nothing to analyse", call_id)
        return "gone"
    return call_analyse(call=call).status


RECORDING_WAIT_SECONDS = 2.0  # rtpengine closes a pcap just after answering the engine's delete


@shared_task(name="apps.telephony.tasks.recording_convert_task", bind=True, max_retries=5, default_retry_delay=2)
def recording_convert_task(
    self, call_uid: str, schema: str, recording_dir: str, call_id: str, caller: list, agents: list[list]
) -> str:
    """Turn the pcap rtpengine recorded for a SIP call into the stereo WAV (caller left, agents
    right) and store it as the call's Recording (as :func:`recording_store_task` does, which
    takes over when the CDR is not written yet).

    Sent by the engine's ``sip`` driver after rtpengine's ``delete``, so the conversion's CPU is
    spent here and not in the engine, next to call setup. The worker must see rtpengine's
    ``recording-dir`` (same host or shared volume). Returns the WAV's path ("" when there is none).

    Sent from the public schema with the tenant's ``schema`` as an argument: the conversion needs
    no database, so the worker does not look the tenant up (nor open a connection) for it; the
    store task it queues runs in ``schema``."""
    directory = Path(recording_dir)
    out = directory / "wav" / f"{call_uid}.wav"
    source = (str(caller[0]), int(caller[1]))
    parties = [(str(address), int(port)) for address, port in agents]
    deadline = time.monotonic() + RECORDING_WAIT_SECONDS
    try:
        while (
            done := recording.call_recording_convert(
                recording_dir=directory, call_id=call_id, out=out, caller=source, agents=parties
            )
        ) is None and time.monotonic() < deadline:
            time.sleep(0.05)
    except FileNotFoundError:
        logger.warning("recording of %s: rtpengine left no pcap for %s", call_uid, call_id)
        return ""
    except (OSError, ValueError, struct.error):
        logger.exception("recording of %s: converting %s failed; its pcap is kept", call_uid, call_id)
        return ""
    if done is None:
        if self.request.retries >= self.max_retries:
            logger.warning("recording of %s: rtpengine never closed the pcap of %s", call_uid, call_id)
            return ""
        raise self.retry()
    try:
        with schema_context(schema):
            # Usually the CDR is written by now: store at once, in this task. Otherwise the store
            # task waits for it (and gives up quietly if none comes).
            if _recording_store(call_uid, str(done)) is None:
                recording_store_task.delay(call_uid, str(done))
    except Retry:
        # Only when tasks run inline (task_always_eager with eager_propagates: tests): the store
        # task's first retry surfaces here. The WAV stays where it is, as after its last retry.
        logger.info("recording of %s: no call row yet; %s left in place", call_uid, done)
    return str(done)
