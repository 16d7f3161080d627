"""Inbound callback requests: a supervisor cancels one that is still waiting.

The row says ``cancelled`` at once; the engine is told (``callback.cancel``) so the request's
callback leaves the queue, or is not retried. A callback already ringing the customer goes on
(if they answer, the request ends ``done``)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.core.errors import ApplicationError, PermissionDeniedError
from apps.core.events import publish_on_commit
from apps.telephony.choices import CallbackStatus
from apps.telephony.models import CallbackRequest
from apps.telephony.selectors.voicemail import is_manager

CANCELLABLE = (CallbackStatus.PENDING, CallbackStatus.DIALING)


@transaction.atomic
def callback_request_cancel(*, request: CallbackRequest, actor) -> CallbackRequest:
    if not is_manager(actor):
        raise PermissionDeniedError("forbidden", _("Only supervisors and administrators cancel callback requests."))
    request = CallbackRequest.objects.select_for_update().select_related("call").get(pk=request.pk)
    if request.status not in CANCELLABLE:
        raise ApplicationError("invalid_state", _("Only a waiting callback request can be cancelled."))
    request.status = CallbackStatus.CANCELLED
    request.completed_at = timezone.now()
    request.save(update_fields=["status", "completed_at"])
    publish_on_commit(
        "engine", {"type": "callback.cancel", "supervisor_user_id": actor.pk, "request_uid": request.call.uid}
    )
    return request
