"""Web pages for calls: the CDR list with filters, a call's timeline and recording player, and
the signed-link endpoint that streams recordings (the voicemail inbox: views/voicemail.py)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import render
from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.views.decorators.http import require_GET
from rest_framework.exceptions import AuthenticationFailed

from apps.accounts.authentication import TokenAuthentication
from apps.accounts.views import role_required
from apps.core.clientip import client_ip
from apps.core.errors import NotFoundError, PermissionDeniedError
from apps.core.http import stream_for
from apps.telephony.filtersets import CallFilterSet
from apps.telephony.selectors.analysis import (
    analysis_figures,
    analysis_flag_labels,
    analysis_of,
    analysis_shares,
)
from apps.telephony.selectors.calls import (
    ALL_CALLS_ROLES,
    CALL_ROLES,
    access_call,
    call_timeline_entries,
    calls_visible_to,
    ivr_steps,
    recording_of,
    with_parties,
)
from apps.telephony.selectors.kpis import day_bounds, queue_kpis
from apps.telephony.selectors.voicemail import INBOX_ROLES
from apps.telephony.services.recordings import recording_link, recording_may_access, recording_open

PAGE_SIZE = 50


def _page(request, queryset):
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


def _query_without_page(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@role_required(*CALL_ROLES)
def call_list(request):
    filterset = CallFilterSet(
        request.GET or None, queryset=calls_visible_to(request.user).order_by("-arrived_at", "-id")
    )
    page = _page(request, filterset.qs)
    page.object_list = with_parties(page.object_list)
    context = {
        "filter": filterset,
        "page": page,
        "query": _query_without_page(request),
        "kpis": None,
        "can_see_voicemail": request.user.has_role(*INBOX_ROLES),
    }
    if request.user.has_role(*ALL_CALLS_ROLES):
        since, until = day_bounds()
        context["kpis"] = list(queue_kpis(since=since, until=until).values())
    return render(request, "telephony/calls/list.html", context)


def _call_heading(call) -> dict[str, str]:
    """The call page's title: whom the call was with (name and number), then its direction, when
    and who took it; a call ID means nothing to the people reading the page."""
    number = call.party_number or "—"
    heading = f"{call.party_name} {number}" if call.party_name and call.party_name != number else number
    when = date_format(localtime(call.arrived_at), "Y-m-d H:i")
    parts = [str(call.get_direction_display()), when]
    if call.agent is not None:
        parts.append(call.agent.user.get_full_name() or call.agent.user.email)
    return {"heading": heading, "subheading": " · ".join(parts)}


@role_required(*CALL_ROLES)
def call_detail(request, uid: str):
    try:
        call = access_call(user=request.user, uid=uid)
    except NotFoundError as error:
        raise Http404(str(error.message)) from error
    recording = recording_of(call)
    play = download = None
    if recording is not None:
        if recording_may_access(user=request.user, recording=recording, action="play"):
            play = recording_link(recording=recording, user=request.user, action="play")
        if recording_may_access(user=request.user, recording=recording, action="download"):
            download = recording_link(recording=recording, user=request.user, action="download")
    with_parties([call])
    context = {
        "call": call,
        **_call_heading(call),
        "events": call_timeline_entries(call=call),
        "ivr_steps": ivr_steps(call),
        "recording": recording,
        "play_link": play,
        "download_link": download,
        **_analysis_context(call),
    }
    return render(request, "telephony/calls/detail.html", context)


def _analysis_context(call) -> dict:
    analysis = analysis_of(call)
    if analysis is None or analysis.status != "done":
        return {"analysis": analysis}
    return {
        "analysis": analysis,
        "analysis_figures": analysis_figures(analysis),
        "analysis_flags": analysis_flag_labels(analysis.flags),
        "analysis_shares": analysis_shares(analysis),
    }


def _requesting_user(request):
    """The session user, or the owner of an ``Authorization: Token …`` header (API clients)."""
    if request.user.is_authenticated:
        return request.user
    try:
        found = TokenAuthentication().authenticate(request)
    except AuthenticationFailed:
        return None
    return found[0] if found else None


@require_GET
def recording_file(request, pk: int):
    """Stream a recording for a valid signed link (see apps.telephony.services.recordings)."""
    try:
        opened = recording_open(
            recording_id=pk,
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
        content_type=opened.recording.content_type,
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return stream_for(request, response)
