"""Call recordings: written through Django storage under the tenant's prefix, served only through
short-lived signed links bound to one user and one action, every access written to the audit log.

Who may open a recording: tenant administrators, supervisors and QA analysts (play and download);
the agent who handled the call may play it (not download). The rule is checked when a link is
issued and again when it is used, so a role removed in between takes effect at once.
"""

from __future__ import annotations

import wave
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO

from django.conf import settings
from django.core import signing
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.choices import Role
from apps.audit.choices import AuditAction
from apps.audit.services import audit_record
from apps.core.domain_events import domain_event
from apps.core.errors import ApplicationError, NotFoundError, PermissionDeniedError
from apps.core.tenancy import current_schema
from apps.telephony.audio import synthesize_call_wav
from apps.telephony.models import Call, Recording, RecordingAccess
from apps.telephony.services.analysis import analysis_enqueue

ACTIONS = ("play", "download")
FULL_ACCESS_ROLES = (Role.TENANT_ADMIN, Role.SUPERVISOR, Role.QA, Role.QA_LEAD)
MAX_DURATION_SECONDS = 4 * 3600
_SALT = "telephony.recording-link"


def signed_link_action(token: str, *, salt: str, key: str, object_id: int, user) -> str:
    """The action (``play`` or ``download``) of a short-lived signed link to an audio file, once the
    token is genuine and unexpired, of this tenant (``s``), of this object (``key``) and of this user
    (``u``): the one check that recording and voicemail links share. Refusals are 403s."""
    try:
        payload = signing.TimestampSigner(salt=salt).unsign_object(token or "", max_age=recording_link_seconds())
    except signing.SignatureExpired as error:
        raise PermissionDeniedError("link_expired", _("This link has expired.")) from error
    except signing.BadSignature as error:
        raise PermissionDeniedError("link_invalid", _("This link is not valid.")) from error
    if payload.get("s") != current_schema() or payload.get(key) != object_id:
        raise PermissionDeniedError("link_invalid", _("This link is not valid."))
    if not (user and user.is_authenticated) or payload.get("u") != user.pk:
        raise PermissionDeniedError("link_invalid", _("This link was issued to someone else."))
    return str(payload.get("a"))


def recording_link_seconds() -> int:
    return int(getattr(settings, "RECORDING_LINK_SECONDS", 300))


def call_hold_spans(call: Call) -> list[tuple[float, float]]:
    """The call's hold stretches as seconds from its answer (where a recording starts), from its
    ``held``/``resumed`` events; a hold still open at the end runs to the end of the call."""
    if call.pk is None or call.answered_at is None:
        return []
    spans: list[tuple[float, float]] = []
    started: float | None = None
    events = call.events.filter(kind__in=("held", "resumed")).order_by("at", "id").values_list("kind", "at")
    for kind, at in events:
        offset = (at - call.answered_at).total_seconds()
        if kind == "held" and started is None:
            started = offset
        elif kind == "resumed" and started is not None:
            spans.append((started, offset))
            started = None
    if started is not None and call.ended_at is not None:
        spans.append((started, (call.ended_at - call.answered_at).total_seconds()))
    return spans


@transaction.atomic
def recording_create(*, call: Call, duration_seconds: float, seed: int = 0) -> Recording:
    """Synthesise the stereo recording of ``call`` (caller left, agent right; its hold events
    put hold music where they happened: :mod:`apps.telephony.audio`) of ``duration_seconds``
    and store it; its analysis is queued once the transaction commits.

    Path: ``tenants/<schema>/recordings/YYYY/MM/DD/<call uid>.wav``. If the row cannot be saved,
    the file is removed again."""
    if not 0 < duration_seconds <= MAX_DURATION_SECONDS:
        raise ApplicationError(
            "invalid", _("A recording lasts between 0 and %(n)d seconds.") % {"n": MAX_DURATION_SECONDS}
        )
    if Recording.objects.filter(call=call).exists():
        raise ApplicationError("recording_exists", _("This call already has a recording."), status=409)
    data = synthesize_call_wav(duration_seconds, seed=seed, holds=call_hold_spans(call))
    return _store(call, data, duration_seconds=duration_seconds)


def recording_store_bytes(*, call: Call, data: bytes, duration_seconds: float, analyse: bool = True) -> Recording:
    """Store WAV ``data`` as ``call``'s recording. ``analyse=False``: the caller stores the
    analysis itself (``generate_history`` analyses the audio it has in memory)."""
    if Recording.objects.filter(call=call).exists():
        raise ApplicationError("recording_exists", _("This call already has a recording."), status=409)
    return _store(call, data, duration_seconds=duration_seconds, analyse=analyse)


def _store(call: Call, data: bytes, *, duration_seconds: float, analyse: bool = True) -> Recording:
    recording = Recording(call=call, duration_seconds=duration_seconds, size_bytes=len(data), content_type="audio/wav")
    recording.file.save(f"{call.uid}.wav", ContentFile(data), save=False)
    name = recording.file.name
    try:
        recording.save(force_insert=True)
    except Exception:
        if name:
            default_storage.delete(name)
        raise
    if analyse:
        analysis_enqueue(call.pk)
    domain_event("recording.ready", recording)
    return recording


def recording_store_file(*, call: Call, path) -> Recording:
    """Store a recording the switch produced (the SIP plane's stereo WAV: caller left, agent
    right) as the call's ``Recording``, under the same tenant path and access rules as the
    simulator's; the source file is removed once it is safely stored, and its analysis is
    queued once the transaction commits."""
    source = Path(path)
    if Recording.objects.filter(call=call).exists():
        raise ApplicationError("recording_exists", _("This call already has a recording."), status=409)
    with wave.open(str(source), "rb") as handle:
        duration = handle.getnframes() / float(handle.getframerate() or 1)
    with transaction.atomic():
        recording = _store(call, source.read_bytes(), duration_seconds=round(duration, 3))
    source.unlink(missing_ok=True)
    return recording


def recording_may_access(*, user, recording: Recording, action: str = "play") -> bool:
    if not (user and user.is_authenticated) or action not in ACTIONS:
        return False
    if user.has_role(*FULL_ACCESS_ROLES):
        return True
    if action != "play" or not user.has_role(Role.AGENT):
        return False
    agent = recording.call.agent
    return agent is not None and agent.user_id == user.pk


@dataclass(frozen=True)
class RecordingLink:
    url: str
    expires_at: datetime


def recording_link(*, recording: Recording, user, action: str = "play") -> RecordingLink:
    """A fresh signed link for ``user`` to ``action`` the recording, valid RECORDING_LINK_SECONDS."""
    if action not in ACTIONS:
        raise ApplicationError("invalid", _("Unknown action."), fields={"action": [_("Choose play or download.")]})
    if not recording_may_access(user=user, recording=recording, action=action):
        raise PermissionDeniedError("forbidden", _("You may not open this recording."))
    payload = {"s": current_schema(), "r": recording.pk, "u": user.pk, "a": action}
    token = signing.TimestampSigner(salt=_SALT).sign_object(payload)
    url = reverse("calls:recording_file", args=[recording.pk]) + f"?token={token}"
    return RecordingLink(url=url, expires_at=timezone.now() + timedelta(seconds=recording_link_seconds()))


def recording_signed_url(*, recording: Recording, user, action: str = "play") -> str:
    return recording_link(recording=recording, user=user, action=action).url


@dataclass
class OpenedRecording:
    recording: Recording
    action: str
    file: IO[bytes]

    @property
    def filename(self) -> str:
        return f"{self.recording.call.uid}.wav"


def recording_open(*, recording_id: int, token: str, user, ip_address: str | None = None) -> OpenedRecording:
    """Check a signed link and log the access; return the open file to stream.

    Refusals (nothing is logged): a forged, altered or expired token, a token of another tenant,
    recording or user (403), a recording that no longer exists (404), a user who lost the right
    to open it (403)."""
    action = signed_link_action(token, salt=_SALT, key="r", object_id=recording_id, user=user)
    recording = Recording.objects.select_related("call__agent").filter(pk=recording_id).first()
    if recording is None:
        raise NotFoundError("not_found", _("The recording no longer exists."))
    if not recording_may_access(user=user, recording=recording, action=action):
        raise PermissionDeniedError("forbidden", _("You may not open this recording."))
    if not recording.file.name:
        raise NotFoundError("not_found", _("The recording file is missing."))
    try:
        handle = default_storage.open(recording.file.name, "rb")
    except FileNotFoundError as error:
        raise NotFoundError("not_found", _("The recording file is missing.")) from error
    # Both: the access table stays (per recording, deleted with it); the audit log is where an
    # administrator reviews every play and download, and it outlives the recording.
    with transaction.atomic():
        RecordingAccess.objects.create(recording=recording, user=user, action=action, ip_address=ip_address or None)
        audit_record(
            action=AuditAction.RECORDING_DOWNLOADED if action == "download" else AuditAction.RECORDING_PLAYED,
            actor=user,
            target=recording,
            ip=ip_address or None,
            extra={"call": str(recording.call.uid)},
        )
    return OpenedRecording(recording=recording, action=action, file=handle)
