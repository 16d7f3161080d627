"""Prompt audio: upload (WAV or MP3), replace, rename, delete, and publish to the SIP plane.

The web request only checks an upload's size and, from its first bytes, that it is WAV or MP3;
it keeps the file as the prompt's pending upload (status ``converting``) and a Celery worker
decodes it (:func:`prompt_convert_pending`), so a hostile file never costs the web process
memory or time. The worker refuses what would make the decoder expand (more than 8 channels, a
rate outside 4–384 kHz, more than 10 minutes: at most 10 min × 8 kHz × 2 bytes of samples).
A replaced prompt keeps its current audio until the new one is converted; a refused upload
leaves the reason in ``error_message`` (and ``failed`` when the prompt has no audio yet).

An upload is decoded, downmixed and resampled with miniaudio into 8 kHz mono 16-bit PCM WAV —
what rtpengine's ``play media`` plays without transcoding surprises — and stored through Django
storage under ``tenants/<schema>/prompts/`` like recordings. A rejected upload (not audio, a
format other than WAV/MP3, empty, too big, too long) raises ``ApplicationError`` with the
problem under ``fields["file"]`` and changes nothing.

The SIP driver reads plain files, so after the transaction commits the converted WAV is copied
to ``<SIP_RUNTIME_DIR>/prompts/<schema>/<name>.wav`` (written to a temporary file and renamed,
so rtpengine never opens half a file); a delete or rename removes the old file.
:func:`publish_all_prompts` rewrites every tenant's files from storage when the engine starts
(and through ``manage.py publish_prompts``), which also repairs a missed on-commit copy.
"""

from __future__ import annotations

import io
import logging
import os
import re
import sys
import tempfile
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import miniaudio
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tenants.utils import schema_context, tenant_context

from apps.core.errors import ApplicationError, NotFoundError
from apps.telephony.choices import IvrFlowStatus, PromptStatus
from apps.telephony.ivr.schema import audio_names
from apps.telephony.models import IvrFlowVersion, Prompt
from apps.tenants.models import Tenant

logger = logging.getLogger(__name__)

RATE = 8000
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
MAX_DURATION_SECONDS = 10 * 60
# What a decoder is asked to expand: a header claiming 64 channels or a 1 Hz rate is refused
# before decoding; the decoded samples are capped by the duration (at most 10 min × 8 kHz × 2 B).
MAX_CHANNELS = 8
SAMPLE_RATES = (4000, 384_000)
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
# Prompt names the engine plays by itself; a tenant prompt of that name replaces the built-in tone.
SYSTEM_PROMPTS = (
    "default",
    "hold_music",
    "queue.position",
    "queue.callback_offer",
    "voicemail.greeting",
    "campaign.abandon",
)


def _schema() -> str:
    return connection.schema_name  # type: ignore[attr-defined]  # set by django-tenants


# --- conversion ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConvertedAudio:
    wav: bytes
    duration_seconds: float


def _file_error(code: str, message: str) -> ApplicationError:
    return ApplicationError(code, message, fields={"file": [message]})


def _sniff(data: bytes) -> str:
    """``"wav"``, ``"mp3"``, ``"other_audio"`` (a format we do not take) or ``""`` (not audio)."""
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        return "wav"
    if data[:3] == b"ID3" or (len(data) > 1 and data[0] == 0xFF and data[1] & 0xE0 == 0xE0):
        return "mp3"
    if data[:4] in (b"fLaC", b"OggS", b"FORM", b"caff") or data[4:8] == b"ftyp" or data[:4] == b"\x30\x26\xb2\x75":
        return "other_audio"
    return ""


def prompt_convert(data: bytes) -> ConvertedAudio:
    """Decode WAV or MP3 ``data`` into 8 kHz mono 16-bit PCM WAV, or raise ``ApplicationError``."""
    if not data:
        raise _file_error("empty_file", _("The file is empty."))
    if len(data) > MAX_UPLOAD_BYTES:
        raise _file_error(
            "file_too_large", _("The file is larger than %(n)d MB.") % {"n": MAX_UPLOAD_BYTES // (1024 * 1024)}
        )
    kind = _sniff(data)
    if kind == "other_audio":
        raise _file_error("unsupported_format", _("Only WAV and MP3 files are accepted."))
    if not kind:
        raise _file_error("not_audio", _("This is not an audio file; upload a WAV or MP3 file."))
    data = bytes(data)
    try:
        info = miniaudio.wav_get_info(data) if kind == "wav" else miniaudio.mp3_get_info(data)
    except miniaudio.MiniaudioError as error:
        raise _file_error("not_audio", _("The audio could not be read; upload a valid WAV or MP3 file.")) from error
    if info.num_frames <= 0 or info.duration <= 0:
        raise _file_error("empty_file", _("The file contains no audio."))
    if info.nchannels > MAX_CHANNELS or not SAMPLE_RATES[0] <= info.sample_rate <= SAMPLE_RATES[1]:
        raise _file_error(
            "unsupported_format",
            _("A prompt has at most %(c)d channels at 4–384 kHz; this file has %(n)d at %(r)d Hz.")
            % {"c": MAX_CHANNELS, "n": info.nchannels, "r": info.sample_rate},
        )
    if info.duration > MAX_DURATION_SECONDS:
        raise _file_error("too_long", _("A prompt lasts at most %(n)d minutes.") % {"n": MAX_DURATION_SECONDS // 60})
    try:
        decoded = miniaudio.decode(data, output_format=miniaudio.SampleFormat.SIGNED16, nchannels=1, sample_rate=RATE)
    except miniaudio.MiniaudioError as error:
        raise _file_error("not_audio", _("The audio could not be read; upload a valid WAV or MP3 file.")) from error
    samples = decoded.samples
    if not len(samples):
        raise _file_error("empty_file", _("The file contains no audio."))
    if len(samples) > (MAX_DURATION_SECONDS + 1) * RATE:  # the header understated the length
        raise _file_error("too_long", _("A prompt lasts at most %(n)d minutes.") % {"n": MAX_DURATION_SECONDS // 60})
    if sys.byteorder == "big":  # WAV is little-endian
        samples.byteswap()
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(samples.tobytes())
    return ConvertedAudio(wav=buffer.getvalue(), duration_seconds=round(len(samples) / RATE, 3))


# --- names ---------------------------------------------------------------------------------------


def prompt_name_problem(name) -> str | None:
    """Why ``name`` cannot name a prompt, or ``None`` (the IVR validator uses it too)."""
    if not isinstance(name, str) or not name:
        return _("Enter a prompt name.")
    if not NAME_RE.match(name):
        return _("A prompt name is 1–100 letters, digits, “.”, “_” or “-”, starting with a letter or digit.")
    return None


def _check_name(name: str, *, exclude: int | None = None) -> str:
    name = (name or "").strip()
    problem = prompt_name_problem(name)
    if problem is not None:
        raise ApplicationError("invalid", problem, fields={"name": [problem]})
    taken = Prompt.objects.filter(name__iexact=name)
    if exclude is not None:
        taken = taken.exclude(pk=exclude)
    if taken.exists():
        message = _("A prompt with this name exists.")
        raise ApplicationError("duplicate", message, fields={"name": [message]})
    return name


def _check_description(description: str) -> str:
    description = (description or "").strip()
    if len(description) > 200:
        message = _("At most 200 characters.")
        raise ApplicationError("invalid", message, fields={"description": [message]})
    return description


def flows_playing(name: str) -> list[str]:
    """Names of the IVR flows whose published version plays the prompt ``name``."""
    published = IvrFlowVersion.objects.filter(status=IvrFlowStatus.PUBLISHED).select_related("flow")
    return sorted({version.flow.name for version in published if name in audio_names(version.graph)})


def _check_not_in_use(name: str) -> None:
    flows = flows_playing(name)
    if flows:
        raise ApplicationError(
            "prompt_in_use",
            _("Published IVR flows play this prompt (%(flows)s); change them first.") % {"flows": ", ".join(flows)},
            status=409,
        )


# --- writes --------------------------------------------------------------------------------------


def _store(prompt: Prompt, audio: ConvertedAudio) -> str:
    """Save the converted audio into storage for ``prompt``; return the new storage name."""
    prompt.file.save(f"{prompt.name}.wav", ContentFile(audio.wav), save=False)
    prompt.duration_seconds = audio.duration_seconds
    prompt.size_bytes = len(audio.wav)
    return str(prompt.file.name)


def _original_name(upload, filename: str | None) -> str:
    name = filename or getattr(upload, "name", "") or ""
    return os.path.basename(str(name))[:255]


def _check_upload(upload) -> ContentFile | Any:
    """What the web request checks of an upload: its size and, from its first bytes, that it is
    WAV or MP3 audio. Decoding (the expensive, attacker-shaped part) is the worker's."""
    data = upload if isinstance(upload, bytes | bytearray) else None
    if data is None:
        size = getattr(upload, "size", None)
        if size is not None and size > MAX_UPLOAD_BYTES:
            raise _file_error(
                "file_too_large", _("The file is larger than %(n)d MB.") % {"n": MAX_UPLOAD_BYTES // (1024 * 1024)}
            )
        if hasattr(upload, "seek"):
            upload.seek(0)
        head = upload.read(16)
        upload.seek(0)
    else:
        if len(data) > MAX_UPLOAD_BYTES:
            raise _file_error(
                "file_too_large", _("The file is larger than %(n)d MB.") % {"n": MAX_UPLOAD_BYTES // (1024 * 1024)}
            )
        head = bytes(data[:16])
    if not head:
        raise _file_error("empty_file", _("The file is empty."))
    kind = _sniff(head)
    if kind == "other_audio":
        raise _file_error("unsupported_format", _("Only WAV and MP3 files are accepted."))
    if not kind:
        raise _file_error("not_audio", _("This is not an audio file; upload a WAV or MP3 file."))
    return ContentFile(bytes(data)) if data is not None else upload


def _keep_upload(prompt: Prompt, upload) -> None:
    """Keep the upload as the prompt's pending file, for the worker to convert."""
    prompt.pending_file.save(f"{prompt.name}.upload", upload, save=False)
    prompt.status = PromptStatus.CONVERTING
    prompt.error_message = ""
    prompt.attempts = 0


def _convert_after_commit(prompt: Prompt) -> None:
    from apps.telephony.tasks import prompt_convert_task  # noqa: PLC0415 -- import cycle: tasks imports this module

    pk = prompt.pk
    transaction.on_commit(lambda: prompt_convert_task.delay(pk))


@transaction.atomic
def prompt_create(*, name: str, upload, filename: str | None = None, description: str = "", user=None) -> Prompt:
    """Store an uploaded WAV/MP3 as the prompt ``name``; a worker converts it (``converting``)."""
    name = _check_name(name)
    description = _check_description(description)
    checked = _check_upload(upload)
    prompt = Prompt(
        name=name,
        description=description,
        original_filename=_original_name(upload, filename),
        uploaded_by=user if user is not None and user.is_authenticated else None,
    )
    _keep_upload(prompt, checked)
    try:
        prompt.save(force_insert=True)
    except Exception:
        default_storage.delete(str(prompt.pending_file.name))
        raise
    _convert_after_commit(prompt)
    return prompt


@transaction.atomic
def prompt_update(
    *,
    prompt: Prompt,
    name: str | None = None,
    description: str | None = None,
    upload=None,
    filename: str | None = None,
    user=None,
) -> Prompt:
    """Rename, describe, or replace the audio of a prompt (any of them). A new audio is converted
    by a worker; the current one keeps playing until then."""
    prompt = Prompt.objects.select_for_update().get(pk=prompt.pk)
    old_name = prompt.name
    fields = ["updated_at"]
    if name is not None and name != prompt.name:
        new_name = _check_name(name, exclude=prompt.pk)
        _check_not_in_use(prompt.name)
        prompt.name = new_name
        fields.append("name")
    if description is not None:
        prompt.description = _check_description(description)
        fields.append("description")
    if upload is not None:
        checked = _check_upload(upload)
        if prompt.pending_file:
            stale = str(prompt.pending_file.name)
            transaction.on_commit(lambda: default_storage.delete(stale))
        _keep_upload(prompt, checked)
        prompt.original_filename = _original_name(upload, filename)
        if user is not None and user.is_authenticated:
            prompt.uploaded_by = user
        fields += ["pending_file", "status", "error_message", "attempts", "original_filename", "uploaded_by"]
    prompt.updated_at = timezone.now()
    prompt.save(update_fields=fields)
    if upload is not None:
        _convert_after_commit(prompt)
    if prompt.name != old_name and prompt.file:
        schema = _schema()
        _unpublish_on_commit(schema, old_name)
        _publish_on_commit(schema, prompt.name, None, file_name=str(prompt.file.name))
    return prompt


MAX_CONVERSION_ATTEMPTS = 3


def prompt_convert_pending(*, prompt_id: int) -> Prompt | None:
    """The conversion task's body: decode the pending upload with the limits of
    :func:`prompt_convert`, store the WAV and publish it. Idempotent (the task is acknowledged
    late and may run twice): a prompt without a pending upload is left alone; an upload whose
    decoding killed its worker ``MAX_CONVERSION_ATTEMPTS`` times is refused."""
    with transaction.atomic():
        prompt = Prompt.objects.select_for_update().filter(pk=prompt_id).first()
        if prompt is None or not prompt.pending_file:
            return prompt
        prompt.attempts += 1
        prompt.save(update_fields=["attempts"])
    with transaction.atomic():
        prompt = Prompt.objects.select_for_update().get(pk=prompt_id)
        if not prompt.pending_file:
            return prompt
        pending = str(prompt.pending_file.name)
        try:
            if prompt.attempts > MAX_CONVERSION_ATTEMPTS:
                raise _file_error("not_audio", _("The audio could not be read; upload a valid WAV or MP3 file."))
            with default_storage.open(pending, "rb") as handle:
                audio = prompt_convert(handle.read(MAX_UPLOAD_BYTES + 1))
        except ApplicationError as error:
            prompt.error_message = str(error.message)[:300]
            prompt.status = PromptStatus.READY if prompt.file else PromptStatus.FAILED
        else:
            old_file = str(prompt.file.name) if prompt.file else ""
            _store(prompt, audio)
            prompt.status = PromptStatus.READY
            prompt.error_message = ""
            if old_file:
                transaction.on_commit(lambda: default_storage.delete(old_file))
            _publish_on_commit(_schema(), prompt.name, audio.wav)
        prompt.pending_file = ""
        prompt.updated_at = timezone.now()
        prompt.save()
        transaction.on_commit(lambda: default_storage.delete(pending))
        return prompt


@transaction.atomic
def prompt_delete(*, prompt: Prompt) -> None:
    """Delete the prompt, its stored audio and its published file (after commit). A prompt that a
    published IVR flow plays is refused (409 ``prompt_in_use``)."""
    name, stored = prompt.name, str(prompt.file.name)
    _check_not_in_use(name)
    prompt.delete()
    schema = _schema()
    transaction.on_commit(lambda: default_storage.delete(stored))
    _unpublish_on_commit(schema, name)


# --- reads ---------------------------------------------------------------------------------------


def prompt_names() -> list[str]:
    """The current tenant's prompt names, sorted."""
    return list(Prompt.objects.exclude(status=PromptStatus.FAILED).order_by("name").values_list("name", flat=True))


def prompt_open(*, prompt: Prompt):
    """The stored WAV of a prompt, open for reading (``ApplicationError`` 404 if it is gone or
    not converted yet)."""
    if not prompt.file:
        raise NotFoundError("not_found", _("The prompt's audio is still being converted."))
    try:
        return default_storage.open(str(prompt.file.name), "rb")
    except FileNotFoundError as error:
        raise NotFoundError("not_found", _("The prompt's audio file is missing.")) from error


# --- publishing to the SIP plane -----------------------------------------------------------------


def prompts_directory() -> Path:
    return Path(settings.SIP_RUNTIME_DIR) / "prompts"


def runtime_path(schema: str, name: str, directory: Path | None = None) -> Path:
    """Where the sip driver looks for a tenant's prompt (see ``drivers.sip.media.prompt_path``)."""
    return (directory or prompts_directory()) / schema / f"{name}.wav"


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def prompt_publish_file(*, schema: str, name: str, data: bytes, directory: Path | None = None) -> Path:
    path = runtime_path(schema, name, directory)
    _write_atomically(path, data)
    return path


def prompt_unpublish_file(*, schema: str, name: str, directory: Path | None = None) -> None:
    runtime_path(schema, name, directory).unlink(missing_ok=True)


def _publish_on_commit(schema: str, name: str, data: bytes | None, *, file_name: str = "") -> None:
    def publish() -> None:
        payload = data
        try:
            if payload is None:
                with default_storage.open(file_name, "rb") as handle:
                    payload = handle.read()
            prompt_publish_file(schema=schema, name=name, data=payload)
        except OSError:
            logger.exception("prompts %s: could not publish %s (the engine republishes at start)", schema, name)

    transaction.on_commit(publish)


def _unpublish_on_commit(schema: str, name: str) -> None:
    def unpublish() -> None:
        try:
            prompt_unpublish_file(schema=schema, name=name)
        except OSError:
            logger.exception("prompts %s: could not remove %s", schema, name)

    transaction.on_commit(unpublish)


def prompts_publish_tenant(*, directory: Path | None = None) -> int:
    """Rewrite the current tenant's published files from storage; remove files of deleted
    prompts. Returns how many files were written."""
    schema = _schema()
    target = (directory or prompts_directory()) / schema
    written: set[str] = set()
    for prompt in Prompt.objects.exclude(file="").order_by("name"):
        try:
            with default_storage.open(str(prompt.file.name), "rb") as handle:
                data = handle.read()
        except FileNotFoundError:
            logger.warning("prompts %s: the audio of %s is missing from storage", schema, prompt.name)
            continue
        prompt_publish_file(schema=schema, name=prompt.name, data=data, directory=directory)
        written.add(f"{prompt.name}.wav")
    if target.is_dir():
        for stale in target.glob("*.wav"):
            if stale.name not in written:
                stale.unlink(missing_ok=True)
    return len(written)


def publish_all_prompts(*, directory: Path | None = None) -> int:
    """Rewrite every tenant's prompt files from storage (the sip engine calls it at start).
    A tenant that fails is logged and skipped. Returns the number of files written."""
    with schema_context("public"):
        tenants = list(Tenant.objects.exclude(schema_name="public"))
    total = 0
    for tenant in tenants:
        try:
            with tenant_context(tenant):
                total += prompts_publish_tenant(directory=directory)
        except Exception:  # one tenant's broken storage must not keep the engine from starting
            logger.exception("prompts %s: publishing failed", tenant.schema_name)
    return total
