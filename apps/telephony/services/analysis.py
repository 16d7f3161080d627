"""Writes of the automatic call analysis: analyse a call's recording, apply a transcript.

Idempotent by construction: the call's one ``CallAnalysis`` row is replaced on every run. A
recording that cannot be read (missing file, not a WAV, a format webrtcvad does not take)
leaves a ``failed`` row with the reason — the task does not retry it, and the call page says
why there are no figures. ``analyse_recordings`` re-runs failed and stale rows on demand.
"""

from __future__ import annotations

import logging
from dataclasses import fields as dataclass_fields
from typing import Any

from django.core.files.storage import default_storage
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.core.errors import ApplicationError
from apps.telephony.analysis import ANALYSER_VERSION, AnalysisError, AnalysisResult, analyse_wav, flags_for
from apps.telephony.analysis.thresholds import analysis_settings
from apps.telephony.analysis.transcript import TranscriptError, parse_segments, transcript_figures
from apps.telephony.choices import CallAnalysisStatus
from apps.telephony.models import Call, CallAnalysis, Recording, Transcript

logger = logging.getLogger(__name__)

_FIGURES = [field.name for field in dataclass_fields(AnalysisResult) if field.name != "version"]
_TRANSCRIPT_FIGURES = ("agent_words_per_minute", "caller_words_per_minute", "transcript_longest_gap_seconds")


def _result_fields(result: AnalysisResult) -> dict[str, Any]:
    values = {name: getattr(result, name) for name in _FIGURES}
    values["version"] = result.version
    return values


def _empty_fields() -> dict[str, Any]:
    """A failed row's figures: the model's defaults, so stale numbers never survive a failure."""
    values: dict[str, Any] = {}
    for name in (*_FIGURES, *_TRANSCRIPT_FIGURES):
        field = CallAnalysis._meta.get_field(name)
        values[name] = field.get_default() if isinstance(field, models.Field) else None
    return values


def _recording(call: Call) -> Recording | None:
    return Recording.objects.filter(call=call).first()


def call_analyse(*, call: Call) -> CallAnalysis:
    """Analyse ``call``'s recording and store the result (replacing any earlier one). Failures
    are stored, not raised: see the module docstring."""
    recording = _recording(call)
    try:
        if recording is None or not recording.file.name:
            raise AnalysisError("missing", "The call has no recording.")
        try:
            handle = default_storage.open(recording.file.name, "rb")
        except (FileNotFoundError, OSError) as error:
            raise AnalysisError("missing", "The recording file is missing.") from error
        with handle:
            result = analyse_wav(handle.read())
    except AnalysisError as error:
        logger.warning("call %s: recording not analysed (%s): %s", call.uid, error.code, error.message)
        return _store(
            call,
            status=CallAnalysisStatus.FAILED,
            error=f"{error.code}: {error.message}"[:300],
            version=ANALYSER_VERSION,
            **_empty_fields(),
        )
    analysis = _store(call, status=CallAnalysisStatus.DONE, error="", **_result_fields(result))
    transcript = Transcript.objects.filter(call=call).first()
    if transcript is not None:
        analysis = _apply_transcript(analysis, parse_segments(transcript.segments))
    return analysis


@transaction.atomic
def _store(call: Call, **values: Any) -> CallAnalysis:
    values["analysed_at"] = timezone.now()
    analysis, _created = CallAnalysis.objects.update_or_create(call=call, defaults=values)
    return analysis


def call_analyse_result(*, call: Call, result: AnalysisResult) -> CallAnalysis:
    """Store a result computed elsewhere (``generate_history`` analyses the audio it has just
    synthesised instead of reading it back from storage)."""
    return _store(call, status=CallAnalysisStatus.DONE, error="", **_result_fields(result))


def analysis_enqueue(call_id: int) -> None:
    """Queue the analysis of a call once the transaction that stored its recording commits."""
    from apps.telephony.tasks import call_analyse_task  # noqa: PLC0415 -- import cycle: tasks imports services

    # robust: a broker that is down must not break the engine's write batch; analyse_recordings
    # catches up later.
    transaction.on_commit(lambda: call_analyse_task.delay(call_id), robust=True)


# --- the transcript seam -------------------------------------------------------------------------


def analysis_apply_transcript(*, call: Call, segments: Any, source: str, language: str = "") -> CallAnalysis:
    """Store a transcript of ``call`` (segments per channel, see
    :class:`~apps.telephony.models.Transcript`) and feed it to the analysis: words per minute
    per party (instead of the syllable proxy) and the longest gap between segments. A call
    analysed from audio keeps its audio figures; a call without one gets its talk, overtalk and
    silence figures from the transcript's timings alone. Bad segments → 400 with the field."""
    try:
        parsed = parse_segments(segments)
    except TranscriptError as error:
        raise ApplicationError(
            "invalid", _("The transcript is not valid."), fields={"segments": [str(error)]}
        ) from error
    if not (source or "").strip():
        raise ApplicationError(
            "invalid", _("Say where the transcript comes from."), fields={"source": [_("Required.")]}
        )
    with transaction.atomic():
        Transcript.objects.update_or_create(
            call=call,
            defaults={
                "source": source.strip()[:64],
                "language": (language or "")[:16],
                "segments": [segment.as_dict() for segment in parsed],
                "received_at": timezone.now(),
            },
        )
        analysis = CallAnalysis.objects.select_for_update().filter(call=call).first()
        if analysis is None or analysis.status != CallAnalysisStatus.DONE:
            analysis = _store(
                call,
                status=CallAnalysisStatus.DONE,
                error="",
                version=f"{ANALYSER_VERSION}+transcript",
                **_empty_fields(),
            )
        return _apply_transcript(analysis, parsed, audio=analysis.version == ANALYSER_VERSION)


def _apply_transcript(analysis: CallAnalysis, parsed, *, audio: bool = True) -> CallAnalysis:
    params = analysis_settings()
    hold = (analysis.segments or {}).get("hold", [])
    figures = transcript_figures(parsed, duration=analysis.duration_seconds or None, hold=hold, params=params)
    analysis.agent_words_per_minute = figures["agent_words_per_minute"]
    analysis.caller_words_per_minute = figures["caller_words_per_minute"]
    analysis.transcript_longest_gap_seconds = figures["longest_gap_seconds"]
    if not audio:
        for name in (
            "duration_seconds",
            "talk_seconds",
            "agent_talk_seconds",
            "caller_talk_seconds",
            "agent_talk_ratio",
            "overtalk_count",
            "overtalk_seconds",
            "silence_seconds",
        ):
            setattr(analysis, name, figures[name])
        analysis.longest_silence_seconds = figures["longest_gap_seconds"]
        analysis.segments = figures["segments"]
    analysis.flags = flags_for(analysis, params)
    analysis.analysed_at = timezone.now()
    analysis.save()
    return analysis
