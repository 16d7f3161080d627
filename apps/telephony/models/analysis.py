"""What the automatic analysis found in a call's recording, and the transcript seam.

The analysis is a property of the recording, so it lives in the call core: a recording is
stored, a Celery task analyses it (:mod:`apps.telephony.analysis`), and departments (QA sampling,
reports) read the figures through :mod:`apps.telephony.selectors.analysis`.
"""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.telephony.choices import CallAnalysisStatus


class CallAnalysis(models.Model):
    """One row per analysed call; re-analysing replaces it. ``failed`` rows keep the reason and
    no figures, so a missing or corrupt file is visible rather than retried for ever."""

    call = models.OneToOneField(
        "telephony.Call", verbose_name=_("call"), on_delete=models.CASCADE, related_name="analysis"
    )
    status = models.CharField(
        _("status"), max_length=16, choices=CallAnalysisStatus.choices, default=CallAnalysisStatus.DONE
    )
    error = models.CharField(_("error"), max_length=300, blank=True)
    version = models.CharField(_("analyser version"), max_length=16)
    analysed_at = models.DateTimeField(_("analysed"), default=timezone.now, db_index=True)
    channels = models.PositiveSmallIntegerField(_("channels"), default=2)
    duration_seconds = models.FloatField(_("duration (s)"), default=0)

    talk_seconds = models.FloatField(_("talk (s)"), default=0, help_text=_("Someone speaks."))
    agent_talk_seconds = models.FloatField(_("agent talk (s)"), null=True, blank=True)
    caller_talk_seconds = models.FloatField(_("caller talk (s)"), null=True, blank=True)
    agent_talk_ratio = models.FloatField(_("agent share of talk"), null=True, blank=True)
    longest_silence_seconds = models.FloatField(_("longest silence (s)"), default=0)
    silence_seconds = models.FloatField(_("silence (s)"), default=0)
    overtalk_count = models.PositiveIntegerField(_("overtalk count"), null=True, blank=True)
    overtalk_seconds = models.FloatField(_("overtalk (s)"), null=True, blank=True)
    agent_speech_rate_proxy = models.FloatField(
        _("agent speech-rate proxy"),
        null=True,
        blank=True,
        help_text=_("Syllable-like loudness peaks per minute of agent talk; not words."),
    )
    hold_music_seconds = models.FloatField(_("hold music (s)"), default=0)
    agent_peak_dbfs = models.FloatField(_("agent peak (dBFS)"), null=True, blank=True)
    caller_peak_dbfs = models.FloatField(_("caller peak (dBFS)"), null=True, blank=True)
    agent_loud_frames = models.PositiveIntegerField(_("agent loud frames"), default=0)
    caller_loud_frames = models.PositiveIntegerField(_("caller loud frames"), default=0)
    flags = ArrayField(models.CharField(max_length=32), verbose_name=_("flags"), default=list, blank=True)
    # Speech, overtalk and hold stretches ({"agent": [[start, end], …], "caller": …, "hold": …,
    # "overtalk": …}) for the talk bar and the QA player; bounded by MAX_SEGMENTS per kind.
    segments = models.JSONField(_("segments"), default=dict, blank=True)

    # Filled by analysis_apply_transcript when a transcript arrives; null until then.
    agent_words_per_minute = models.FloatField(_("agent words per minute"), null=True, blank=True)
    caller_words_per_minute = models.FloatField(_("caller words per minute"), null=True, blank=True)
    transcript_longest_gap_seconds = models.FloatField(_("longest gap in the transcript (s)"), null=True, blank=True)

    class Meta:
        verbose_name = _("call analysis")
        verbose_name_plural = _("call analyses")
        indexes = [
            GinIndex(fields=["flags"], name="callanalysis_flags_gin"),
            models.Index(fields=["longest_silence_seconds"], name="callanalysis_silence_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.call_id} {self.status}"


class Transcript(models.Model):
    """A transcript delivered later (by a speech service or a person). No speech recogniser runs
    here: this is where one plugs in. ``segments``: ``[{"channel": "agent"|"caller", "start": s,
    "end": s, "text": "…"}]``, times in seconds from the start of the recording."""

    call = models.OneToOneField(
        "telephony.Call", verbose_name=_("call"), on_delete=models.CASCADE, related_name="transcript"
    )
    source = models.CharField(_("source"), max_length=64, help_text=_("Who produced it, e.g. the service's name."))
    language = models.CharField(_("language"), max_length=16, blank=True)
    segments = models.JSONField(_("segments"), default=list)
    received_at = models.DateTimeField(_("received"), default=timezone.now)

    class Meta:
        verbose_name = _("transcript")
        verbose_name_plural = _("transcripts")

    def __str__(self) -> str:
        return f"{self.call_id} {self.source}"
