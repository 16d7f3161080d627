"""The voicemail inbox (list with filters, player, assignment, "heard"), the signed-link endpoint
that streams a message, and the page of inbound callback requests with their outcomes.

Who sees what: apps/telephony/selectors/voicemail.py. Writes: apps/telephony/services/voicemail.py.
A refused button (bad input, not allowed) answers 400/403 with the page and the reason, nothing changed.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from apps.accounts.views import role_required
from apps.core.clientip import client_ip
from apps.core.errors import ApplicationError, NotFoundError, PermissionDeniedError
from apps.core.http import stream_for
from apps.telephony.filtersets import CallbackFilterSet, VoicemailFilterSet
from apps.telephony.models import Agent, Voicemail
from apps.telephony.selectors.voicemail import (
    INBOX_ROLES,
    assignable_users,
    callbacks_visible_to,
    is_manager,
    voicemails_visible_to,
)
from apps.telephony.services.callback_requests import callback_request_cancel
from apps.telephony.services.voicemail import (
    voicemail_assign,
    voicemail_link,
    voicemail_mark_heard,
    voicemail_may_access,
    voicemail_open,
)
from apps.telephony.views.calls import _requesting_user

PAGE_SIZE = 50


def _query_without_page(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def _inbox_context(request) -> dict:
    filterset = VoicemailFilterSet(request.GET or None, queryset=voicemails_visible_to(request.user), request=request)
    rows = filterset.qs
    wanted = request.GET.get("voicemail", "")
    if wanted.isdigit():  # the notification's link: that one message
        rows = rows.filter(pk=int(wanted))
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    for voicemail in page.object_list:
        voicemail.play_link = (  # type: ignore[attr-defined]
            voicemail_link(voicemail=voicemail, user=request.user)
            if voicemail.file.name and voicemail_may_access(user=request.user, voicemail=voicemail)
            else None
        )
    manager = is_manager(request.user)
    return {
        "filter": filterset,
        "page": page,
        "query": _query_without_page(request),
        "manager": manager,
        "assignees": list(assignable_users()) if manager else [],
        "can_dial": Agent.objects.filter(user=request.user).exists(),
    }


@role_required(*INBOX_ROLES)
def inbox(request, *, status: int = 200):
    return render(request, "telephony/calls/voicemails.html", _inbox_context(request), status=status)


def _visible_or_404(request, pk: int) -> Voicemail:
    voicemail = voicemails_visible_to(request.user).filter(pk=pk).first()
    if voicemail is None:
        raise Http404(_("No such message."))
    return voicemail


def _act(request, action) -> object:
    """Run a button's service call: back to the inbox (same filters) when it worked; otherwise the
    inbox again with the reason and the error's status (400 bad input, 403 refused)."""
    try:
        action()
    except NotFoundError as error:
        raise Http404(str(error.message)) from error
    except ApplicationError as error:
        reasons = [str(message) for messages_ in error.fields.values() for message in messages_]
        messages.error(request, " ".join(reasons) or str(error.message))
        return inbox(request, status=error.status)
    return redirect(request.POST.get("next") or "calls:voicemails")


@require_POST
@role_required(*INBOX_ROLES)
def voicemail_heard(request, pk: int):
    voicemail = _visible_or_404(request, pk)
    value = request.POST.get("heard", "")
    if value not in ("0", "1"):
        message = _("Say whether the message was heard (1) or is new again (0).")
        messages.error(request, message)
        return inbox(request, status=400)
    return _act(request, lambda: voicemail_mark_heard(voicemail=voicemail, user=request.user, heard=value == "1"))


@require_POST
@role_required(*INBOX_ROLES)
def voicemail_assign_view(request, pk: int):
    voicemail = _visible_or_404(request, pk)
    assignee = request.POST.get("assignee", "")
    return _act(request, lambda: voicemail_assign(voicemail=voicemail, actor=request.user, assignee=assignee or None))


@require_GET
def voicemail_file(request, pk: int):
    """Stream a message for a valid signed link (apps/telephony/services/voicemail.py)."""
    try:
        opened = voicemail_open(
            voicemail_id=pk,
            token=request.GET.get("token", ""),
            user=_requesting_user(request),
            ip_address=client_ip(request) or None,
        )
    except NotFoundError as error:
        raise Http404(str(error.message)) from error
    except PermissionDeniedError as error:
        raise PermissionDenied(str(error.message)) from error
    response = FileResponse(
        opened.file,
        as_attachment=opened.action == "download",
        filename=opened.filename,
        content_type=opened.voicemail.content_type,
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return stream_for(request, response)


@role_required(*INBOX_ROLES)
def callbacks(request):
    """Inbound callback requests (a caller asked to be called back) and what became of them."""
    filterset = CallbackFilterSet(request.GET or None, queryset=callbacks_visible_to(request.user))
    status = 200 if filterset.is_bound is False or filterset.is_valid() else 400
    page = Paginator(filterset.qs if status == 200 else filterset.queryset.none(), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {
        "filter": filterset,
        "page": page,
        "query": _query_without_page(request),
        "manager": is_manager(request.user),
        "cancellable": ("pending", "dialing"),
    }
    return render(request, "telephony/calls/callbacks.html", context, status=status)


@require_POST
@role_required(*INBOX_ROLES)
def callback_cancel(request, pk: int):
    callback = callbacks_visible_to(request.user).filter(pk=pk).first()
    if callback is None:
        raise Http404(_("No such callback request."))
    try:
        callback_request_cancel(request=callback, actor=request.user)
    except PermissionDeniedError as error:
        raise PermissionDenied(str(error.message)) from error
    except ApplicationError as error:
        messages.error(request, str(error.message))
        return redirect("calls:callbacks")
    messages.success(request, _("Callback request cancelled."))
    return redirect("calls:callbacks")
