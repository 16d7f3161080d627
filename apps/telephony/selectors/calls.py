"""Reads of CDRs with the visibility rule: administrators, supervisors and QA see every call; an
agent sees only the calls they answered; other roles see none."""

from __future__ import annotations

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from apps.accounts.choices import Role
from apps.core.errors import NotFoundError
from apps.telephony.models import Call, CallbackRequest, Recording, Voicemail

ALL_CALLS_ROLES = (Role.TENANT_ADMIN, Role.SUPERVISOR, Role.QA)
CALL_ROLES = (*ALL_CALLS_ROLES, Role.AGENT)
VOICEMAIL_ROLES = (Role.TENANT_ADMIN, Role.SUPERVISOR)


def calls_visible_to(user) -> QuerySet[Call]:
    calls = Call.objects.select_related("queue", "agent__user", "customer", "disposition", "recording")
    if not (user and user.is_authenticated):
        return calls.none()
    if user.has_role(*ALL_CALLS_ROLES):
        return calls
    if user.has_role(Role.AGENT):
        return calls.filter(agent__user=user)
    return calls.none()


def call_list(*, user, filters: dict | None = None) -> QuerySet[Call]:
    """Visible calls, newest first, narrowed by :class:`apps.telephony.filtersets.CallFilterSet`."""
    from apps.telephony.filtersets import CallFilterSet

    calls = calls_visible_to(user).order_by("-arrived_at", "-id")
    if filters:
        calls = CallFilterSet(filters, queryset=calls).qs
    return calls


def access_call(*, user, uid: str) -> Call:
    """The call ``uid`` if ``user`` may see it; otherwise 404 (never reveal that it exists)."""
    call = calls_visible_to(user).filter(uid=uid).first()
    if call is None:
        raise NotFoundError("not_found", _("No such call."))
    return call


def recording_of(call: Call) -> Recording | None:
    """The call's recording, or None (a missing reverse one-to-one raises otherwise)."""
    try:
        return call.recording
    except ObjectDoesNotExist:
        return None


def call_timeline(*, call: Call) -> QuerySet:
    return call.events.select_related("agent__user").order_by("at", "id")


def voicemail_list() -> QuerySet[Voicemail]:
    return Voicemail.objects.select_related("call", "queue", "heard_by").order_by("-created_at", "-id")


def callback_list() -> QuerySet[CallbackRequest]:
    return CallbackRequest.objects.select_related("call", "queue").order_by("original_queued_at", "id")
