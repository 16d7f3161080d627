"""Golden-call lessons play their call through a signed link, like QA's player (decision 0022).

Why training signs its own link: telephony lets only managers, QA staff and the call's own agent
play a recording, but a golden call is played by every trainee of its course. The link names the
lesson, and opening it checks that the person may read the lesson (assigned the course, or an
author) — the recording itself is reachable only through a lesson that names it. Like
telephony's, the link is bound to the tenant, the user and the object, expires after
``RECORDING_LINK_SECONDS``, and each opening is logged in the recording's access table and the
audit log (``recording.played``, with the lesson).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import IO

from django.core import signing
from django.core.files.storage import default_storage
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.models import User
from apps.audit.choices import AuditAction
from apps.audit.services import audit_record
from apps.core.errors import NotFoundError, PermissionDeniedError
from apps.core.tenancy import current_schema
from apps.telephony.models import Call, Recording, RecordingAccess
from apps.telephony.selectors.calls import recording_of
from apps.telephony.services.recordings import RecordingLink, recording_link_seconds
from apps.training.choices import LessonKind
from apps.training.models import Lesson
from apps.training.selectors.courses import lesson_for

_SALT = "training.golden-call"


def lesson_recording(lesson: Lesson) -> Recording | None:
    """The golden call's recording, or None (not a golden call, or the call/recording is gone)."""
    if lesson.kind != LessonKind.GOLDEN_CALL or not lesson.call_uid:
        return None
    call = Call.objects.filter(uid=lesson.call_uid).first()
    return recording_of(call) if call is not None else None


def recent_recorded_calls(limit: int = 20) -> list[Recording]:
    """The latest recorded calls, for a trainer choosing a golden call (trainers cannot browse the
    call list: it is for managers and QA staff)."""
    return list(Recording.objects.select_related("call__agent__user", "call__queue").order_by("-created_at")[:limit])


def lesson_recording_link(*, lesson: Lesson, user: User) -> RecordingLink:
    payload = {"s": current_schema(), "l": lesson.pk, "u": user.pk}
    token = signing.TimestampSigner(salt=_SALT).sign_object(payload)
    url = reverse("training:lesson_audio", args=[lesson.pk]) + f"?token={token}"
    return RecordingLink(url=url, expires_at=timezone.now() + timedelta(seconds=recording_link_seconds()))


@dataclass
class OpenedClip:
    recording: Recording
    file: IO[bytes]


def lesson_recording_open(*, lesson_id: int, token: str, user: User, ip_address: str | None = None) -> OpenedClip:
    try:
        payload = signing.TimestampSigner(salt=_SALT).unsign_object(token or "", max_age=recording_link_seconds())
    except signing.SignatureExpired as error:
        raise PermissionDeniedError("link_expired", _("This link has expired.")) from error
    except signing.BadSignature as error:
        raise PermissionDeniedError("link_invalid", _("This link is not valid.")) from error
    if payload.get("s") != current_schema() or payload.get("l") != lesson_id:
        raise PermissionDeniedError("link_invalid", _("This link is not valid."))
    if not (user and user.is_authenticated) or payload.get("u") != user.pk:
        raise PermissionDeniedError("link_invalid", _("This link was issued to someone else."))
    lesson = lesson_for(user, lesson_id)
    if lesson is None:
        raise PermissionDeniedError("forbidden", _("You may not open this lesson."))
    recording = lesson_recording(lesson)
    if recording is None or not recording.file.name:
        raise NotFoundError("not_found", _("The recording no longer exists."))
    try:
        handle = default_storage.open(recording.file.name, "rb")
    except FileNotFoundError as error:
        raise NotFoundError("not_found", _("The recording file is missing.")) from error
    with transaction.atomic():
        RecordingAccess.objects.create(recording=recording, user=user, action="play", ip_address=ip_address or None)
        audit_record(
            action=AuditAction.RECORDING_PLAYED,
            actor=user,
            target=recording,
            ip=ip_address or None,
            extra={"call": lesson.call_uid, "lesson": lesson.pk},
        )
    return OpenedClip(recording=recording, file=handle)
