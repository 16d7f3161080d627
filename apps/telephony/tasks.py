"""Background jobs of the telephony app. Thin: each calls a service. They run in the schema of
the tenant that queued them (tenant-schemas-celery carries it in the task headers)."""

from __future__ import annotations

import logging

from celery import shared_task

from apps.telephony.models import ContactList, DoNotCallImport
from apps.telephony.services.contact_import import contact_list_import, dnc_import_run

logger = logging.getLogger(__name__)


@shared_task
def contact_list_import_task(contact_list_id: int) -> int:
    """Import a contact list; returns the number of contacts it holds afterwards.

    A list deleted before its turn came is not an error worth a traceback (and a retry)."""
    try:
        return contact_list_import(contact_list_id).rows_imported
    except ContactList.DoesNotExist:
        logger.warning("contact list %s is gone; nothing to import", contact_list_id)
        return 0


@shared_task
def dnc_import_task(import_id: int) -> int:
    """Add a file of numbers to a do-not-call list; returns how many were new."""
    try:
        return dnc_import_run(import_id).rows_added
    except DoNotCallImport.DoesNotExist:
        logger.warning("do-not-call import %s is gone; nothing to do", import_id)
        return 0


@shared_task(bind=True, max_retries=10, default_retry_delay=3)
def recording_store_task(self, call_uid: str, path: str) -> int:
    """Link the SIP plane's stereo WAV of a call to its CDR. The engine writes CDRs in its own
    worker, so the row may not be there yet: retry for a while."""
    from apps.telephony.models import Call
    from apps.telephony.services.recordings import recording_store_file

    call = Call.objects.filter(uid=call_uid).first()
    if call is None:
        if self.request.retries >= self.max_retries:
            # No CDR will come (an engine without a database store, e.g. a benchmark): keep the
            # file where it is and say so once, rather than fail loudly.
            logger.warning("recording %s: no call %s to attach it to; left in place", path, call_uid)
            return 0
        raise self.retry()
    return recording_store_file(call=call, path=path).pk
