"""Voicemail: the message's audio, its signed links and access log, the inbox's assignment and
"heard" state, and the e-mail that tells people a message is waiting.

Audio. Over SIP, rtpengine records the call from the end of the greeting (the tone) until the
caller hangs up, presses ``#`` or reaches the maximum length; ``recording_convert_task`` turns
its pcap into the stereo WAV (caller left) as for any call, and :func:`voicemail_store_file`
keeps the caller's channel as a mono WAV on the Voicemail row, in the tenant's recordings
storage (``tenants/<schema>/recordings/YYYY/MM/DD/<call uid>-voicemail.wav``). The simulated
switch's messages get a synthesised voice (apps/telephony/audio.py) when the engine records.

Access is the recordings' rule applied to the inbox: short-lived signed links bound to one
user, one message and one action (``play``, ``download``), checked again when used; every use
is written to :class:`VoicemailAccess` and to the audit log. Administrators and supervisors may
play and download every message; an agent may play the messages they see in the inbox
(:mod:`apps.telephony.selectors.voicemail`). Playing a message marks it heard (first hearer and
time kept); the inbox also has a button for it.
"""

from __future__ import annotations

import io
import logging
import wave
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO

from django.core import signing
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.accounts.choices import Role
from apps.accounts.models import User
from apps.audit.choices import AuditAction
from apps.audit.services import audit_record
from apps.core.errors import ApplicationError, NotFoundError, PermissionDeniedError
from apps.core.tenancy import current_schema
from apps.telephony.models import Call, Voicemail, VoicemailAccess
from apps.telephony.selectors.voicemail import (
    ASSIGNEE_ROLES,
    is_manager,
    queue_supervisors,
    voicemails_visible_to,
)
from apps.telephony.services.recordings import recording_link_seconds, signed_link_action

logger = logging.getLogger(__name__)

ACTIONS = ("play", "download")
EVENT_KIND = "voicemail"  # the call event the IVR writes when the caller is sent to leave a message
_SALT = "telephony.voicemail-link"


# --- audio ----------------------------------------------------------------------------------------


def caller_channel(data: bytes) -> tuple[bytes, float]:
    """A mono 16-bit WAV of the first (caller's) channel of WAV ``data``, and its length in seconds."""
    with wave.open(io.BytesIO(data), "rb") as source:
        channels, width, rate = source.getnchannels(), source.getsampwidth(), source.getframerate()
        frames = source.readframes(source.getnframes())
    if width != 2:
        raise ValueError(f"expected 16-bit audio, got {width * 8}-bit")
    if channels > 1:
        step = 2 * channels
        mono = bytearray(len(frames) // channels)
        mono[0::2], mono[1::2] = frames[0::step], frames[1::step]
        frames = bytes(mono)
    out = io.BytesIO()
    with wave.open(out, "wb") as target:
        target.setnchannels(1)
        target.setsampwidth(2)
        target.setframerate(rate)
        target.writeframes(frames)
    return out.getvalue(), round(len(frames) / 2 / float(rate or 1), 3)


def is_voicemail_call(call: Call) -> bool:
    """Was ``call`` sent to leave a message? (Its recording is then the message.)"""
    return call.events.filter(kind=EVENT_KIND).exists()


def voicemail_store_audio(*, voicemail: Voicemail, data: bytes, duration_seconds: float) -> Voicemail:
    """Keep WAV ``data`` as the (saved) message's audio, replacing any, in the recordings storage."""
    old = voicemail.file.name
    voicemail.file.save(f"{voicemail.call.uid}-voicemail.wav", ContentFile(data), save=False)
    voicemail.duration_seconds = duration_seconds
    voicemail.size_bytes = len(data)
    voicemail.content_type = "audio/wav"
    try:
        voicemail.save(update_fields=["file", "duration_seconds", "size_bytes", "content_type"])
    except Exception:
        if voicemail.file.name:
            default_storage.delete(voicemail.file.name)
        raise
    if old and old != voicemail.file.name:
        transaction.on_commit(lambda: default_storage.delete(old))
    return voicemail


def _row_of(call: Call, **new_fields) -> tuple[Voicemail, bool]:
    """The call's Voicemail locked for update, made with ``new_fields`` if there is none yet
    (True). The engine's writer and the recording task may both get here first: the unique call
    decides, and the loser updates the winner's row."""
    found = Voicemail.objects.select_for_update().select_related("call").filter(call=call).first()
    if found is not None:
        return found, False
    try:
        with transaction.atomic():
            return Voicemail.objects.create(call=call, **new_fields), True
    except IntegrityError:
        return Voicemail.objects.select_for_update().select_related("call").get(call=call), False


def voicemail_store_file(*, call: Call, path) -> int:
    """Store the switch's WAV of a voicemail call (stereo, caller left) as its message's audio and
    remove the file; returns the Voicemail's pk. The audio may come before the engine has written
    the row (its writer is asynchronous): the row is made here then, and the engine's write
    completes it (:func:`voicemail_left`)."""
    source = Path(path)
    data, seconds = caller_channel(source.read_bytes())
    with transaction.atomic():
        voicemail, _created = _row_of(call, queue_id=call.queue_id, caller=call.caller, created_at=timezone.now())
        voicemail_store_audio(voicemail=voicemail, data=data, duration_seconds=seconds)
    source.unlink(missing_ok=True)
    logger.info("voicemail %s of call %s: %.1f s stored", voicemail.pk, call.uid, seconds)
    return voicemail.pk


def voicemail_left(*, call: Call, queue_id: int | None, caller: str, seconds: float, at, audio=None) -> Voicemail:
    """The engine's write of a message (``DbStore``): the row, with ``audio`` (synthesised WAV bytes,
    the simulated switch's) unless the switch's own audio is already stored; then the announcement."""
    with transaction.atomic():
        voicemail, created = _row_of(call, queue_id=queue_id, caller=caller, duration_seconds=seconds, created_at=at)
        if not created:  # the SIP recording came first: keep its audio and length
            voicemail.queue_id, voicemail.caller, voicemail.created_at = queue_id, caller, at
            voicemail.save(update_fields=["queue", "caller", "created_at"])
        elif audio is not None:
            voicemail_store_audio(voicemail=voicemail, data=audio, duration_seconds=seconds)
    try:
        with transaction.atomic():
            # Synthesised audio is the simulated switch's (the demo): the console's bell, no e-mail.
            voicemail_announce(voicemail, email=audio is None)
    except Exception:  # a notification must not hold up the engine's writes
        logger.exception("voicemail %s: the announcement failed", voicemail.pk)
    return voicemail


# --- signed links ---------------------------------------------------------------------------------


def voicemail_may_access(*, user, voicemail: Voicemail, action: str = "play") -> bool:
    if not (user and user.is_authenticated) or action not in ACTIONS:
        return False
    if is_manager(user):
        return True
    if action != "play" or not user.has_role(Role.AGENT):
        return False
    return voicemails_visible_to(user).filter(pk=voicemail.pk).exists()


@dataclass(frozen=True)
class VoicemailLink:
    url: str
    expires_at: datetime


def voicemail_link(*, voicemail: Voicemail, user, action: str = "play") -> VoicemailLink:
    """A fresh signed link for ``user`` to ``action`` the message, valid RECORDING_LINK_SECONDS."""
    if action not in ACTIONS:
        raise ApplicationError("invalid", _("Unknown action."), fields={"action": [_("Choose play or download.")]})
    if not voicemail.file.name:
        raise NotFoundError("not_found", _("This message has no audio."))
    if not voicemail_may_access(user=user, voicemail=voicemail, action=action):
        raise PermissionDeniedError("forbidden", _("You may not open this message."))
    payload = {"s": current_schema(), "v": voicemail.pk, "u": user.pk, "a": action}
    token = signing.TimestampSigner(salt=_SALT).sign_object(payload)
    url = reverse("calls:voicemail_file", args=[voicemail.pk]) + f"?token={token}"
    return VoicemailLink(url=url, expires_at=timezone.now() + timedelta(seconds=recording_link_seconds()))


@dataclass
class OpenedVoicemail:
    voicemail: Voicemail
    action: str
    file: IO[bytes]

    @property
    def filename(self) -> str:
        return f"{self.voicemail.call.uid}-voicemail.wav"


def voicemail_open(*, voicemail_id: int, token: str, user, ip_address: str | None = None) -> OpenedVoicemail:
    """Check a signed link, log the access (and mark the message heard on a play); return the
    open file to stream. Refusals log nothing: a forged, altered or expired token, one of another
    tenant, message or user (403), a message that no longer exists (404), a user who lost the
    right to open it (403)."""
    action = signed_link_action(token, salt=_SALT, key="v", object_id=voicemail_id, user=user)
    voicemail = Voicemail.objects.select_related("call").filter(pk=voicemail_id).first()
    if voicemail is None:
        raise NotFoundError("not_found", _("The message no longer exists."))
    if not voicemail_may_access(user=user, voicemail=voicemail, action=action):
        raise PermissionDeniedError("forbidden", _("You may not open this message."))
    if not voicemail.file.name:
        raise NotFoundError("not_found", _("The message's audio is missing."))
    try:
        handle = default_storage.open(voicemail.file.name, "rb")
    except FileNotFoundError as error:
        raise NotFoundError("not_found", _("The message's audio is missing.")) from error
    with transaction.atomic():
        VoicemailAccess.objects.create(voicemail=voicemail, user=user, action=action, ip_address=ip_address or None)
        audit_record(
            action=AuditAction.RECORDING_DOWNLOADED if action == "download" else AuditAction.RECORDING_PLAYED,
            actor=user,
            target=voicemail,
            ip=ip_address or None,
            extra={"call": str(voicemail.call.uid), "voicemail": voicemail.pk},
        )
        if action == "play" and voicemail.heard_at is None:
            _mark_heard(voicemail, user)
    return OpenedVoicemail(voicemail=voicemail, action=action, file=handle)


# --- the inbox ------------------------------------------------------------------------------------


def _visible(user, voicemail: Voicemail) -> Voicemail:
    """``voicemail`` locked for update if ``user`` sees it in the inbox; otherwise 404."""
    found = voicemails_visible_to(user).select_for_update(of=("self",)).filter(pk=voicemail.pk).first()
    if found is None:
        raise NotFoundError("not_found", _("No such message."))
    return found


def _mark_heard(voicemail: Voicemail, user) -> None:
    voicemail.heard_by, voicemail.heard_at = user, timezone.now()
    voicemail.save(update_fields=["heard_by", "heard_at"])


@transaction.atomic
def voicemail_mark_heard(*, voicemail: Voicemail, user, heard: bool = True) -> Voicemail:
    """Mark a message heard (the first hearer and time are kept) or new again."""
    if not isinstance(heard, bool):
        raise ApplicationError("invalid", _("Say true or false."), fields={"heard": [_("Say true or false.")]})
    voicemail = _visible(user, voicemail)
    if heard and voicemail.heard_at is None:
        _mark_heard(voicemail, user)
    elif not heard and voicemail.heard_at is not None:
        voicemail.heard_by, voicemail.heard_at = None, None
        voicemail.save(update_fields=["heard_by", "heard_at"])
    return voicemail


def _assignee(value) -> User | None:
    if value in (None, ""):
        return None
    message = _("Choose an active agent, supervisor or administrator.")
    try:
        pk = int(value.pk if isinstance(value, User) else value)
    except (TypeError, ValueError):
        raise ApplicationError("invalid", message, fields={"assignee": [message]}) from None
    user = User.objects.filter(pk=pk, is_active=True).first()
    if user is None or not user.has_role(*ASSIGNEE_ROLES):
        raise ApplicationError("invalid", message, fields={"assignee": [message]})
    return user


@transaction.atomic
def voicemail_assign(*, voicemail: Voicemail, actor, assignee) -> Voicemail:
    """Give a message to someone (or to nobody: ``assignee`` None). Managers assign anyone who may
    use the inbox; an agent may only take an unassigned message for themselves or hand back
    their own. The new assignee is told (not when they took it themselves)."""
    voicemail = _visible(actor, voicemail)
    person = _assignee(assignee)
    if not is_manager(actor):
        taking = person is not None and person.pk == actor.pk and voicemail.assigned_to_id in (None, actor.pk)
        returning = person is None and voicemail.assigned_to_id == actor.pk
        if not (taking or returning):
            raise PermissionDeniedError("forbidden", _("Agents may only take a message or hand back their own."))
    if (person.pk if person else None) == voicemail.assigned_to_id:
        return voicemail
    voicemail.assigned_to = person
    voicemail.assigned_at = timezone.now() if person else None
    voicemail.save(update_fields=["assigned_to", "assigned_at"])
    if person is not None and person.pk != actor.pk:
        _notify([person], voicemail, assigned=True)
    return voicemail


def inbox_url(voicemail: Voicemail) -> str:
    return f"{reverse('calls:voicemails')}?voicemail={voicemail.pk}"


def _notify(users: list[User], voicemail: Voicemail, *, assigned: bool, email: bool = True) -> None:
    from apps.notifications.services import notify  # noqa: PLC0415 -- the engine's writer imports this module

    queue = voicemail.queue.name if voicemail.queue_id and voicemail.queue else "—"
    title = (
        gettext_lazy("Voicemail from %(caller)s assigned to you")
        if assigned
        else gettext_lazy("New voicemail from %(caller)s (%(queue)s)")
    )
    body = gettext_lazy("A message of %(seconds)s s left in %(queue)s. Listen to it in the voicemail inbox.")
    notify(
        users=users,
        kind="telephony.voicemail_assigned" if assigned else "telephony.voicemail_new",
        title=title,
        body=body,
        url=inbox_url(voicemail),
        params={"caller": voicemail.caller, "queue": queue, "seconds": round(voicemail.duration_seconds)},
        email=email,
    )


def voicemail_announce(voicemail: Voicemail, *, email: bool = True) -> None:
    """Tell the queue's supervisors (and the assignee, if any) that a message is waiting: in the
    console's bell and by e-mail (apps/notifications; the e-mail leaves after the commit)."""
    people = queue_supervisors(voicemail.queue if voicemail.queue_id else None)
    assignee = voicemail.assigned_to
    if assignee is not None and assignee not in people:
        people.append(assignee)
    _notify(people, voicemail, assigned=False, email=email)
