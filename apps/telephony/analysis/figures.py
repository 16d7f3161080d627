"""From per-frame activity to the figures and flags of a call (see docs/calls-and-recordings.md,
"Automatic call analysis"). Channel 0 is the caller, channel 1 the agent, as the switch records."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from apps.telephony.analysis.signal import Audio, Channel, analyse_channel, read_wav, runs, syllable_peaks
from apps.telephony.analysis.thresholds import analysis_settings

ANALYSER_VERSION = "1.0"
MAX_SEGMENTS = 2000  # per kind stored on the row: plenty for a long call's talk bar


@dataclass
class AnalysisResult:
    """What :func:`analyse_audio` finds; party figures are None for a mono recording."""

    channels: int
    duration_seconds: float
    talk_seconds: float
    agent_talk_seconds: float | None
    caller_talk_seconds: float | None
    agent_talk_ratio: float | None
    longest_silence_seconds: float
    silence_seconds: float
    overtalk_count: int | None
    overtalk_seconds: float | None
    agent_speech_rate_proxy: float | None
    hold_music_seconds: float
    agent_peak_dbfs: float | None
    caller_peak_dbfs: float | None
    agent_loud_frames: int
    caller_loud_frames: int
    flags: list[str] = field(default_factory=list)
    segments: dict[str, list[list[float]]] = field(default_factory=dict)
    version: str = ANALYSER_VERSION

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _spans(mask: np.ndarray, frame_seconds: float) -> list[list[float]]:
    starts, ends = runs(mask)
    return [
        [round(float(start) * frame_seconds, 2), round(float(end) * frame_seconds, 2)]
        for start, end in zip(starts[:MAX_SEGMENTS], ends[:MAX_SEGMENTS], strict=True)
    ]


def _longest(mask: np.ndarray) -> int:
    starts, ends = runs(mask)
    return int((ends - starts).max()) if len(starts) else 0


def activity_figures(
    agent: np.ndarray, caller: np.ndarray, hold: np.ndarray, frame_seconds: float, params: dict[str, Any]
) -> dict[str, Any]:
    """Talk, overtalk and silence figures from per-frame activity of each party and of hold
    music: the one place they are computed, whether the activity came from the voice-activity
    detector or from a transcript's segment timings."""
    anyone = agent | caller
    silence = ~anyone & ~hold
    agent_talk, caller_talk = float(agent.sum()) * frame_seconds, float(caller.sum()) * frame_seconds
    starts, ends = runs(agent & caller)
    long_enough = (ends - starts) * frame_seconds >= float(params["min_overtalk_seconds"])
    total = agent_talk + caller_talk
    return {
        "talk_seconds": round(float(anyone.sum()) * frame_seconds, 2),
        "longest_silence_seconds": round(_longest(silence) * frame_seconds, 2),
        "silence_seconds": round(float(silence.sum()) * frame_seconds, 2),
        "agent_talk_seconds": round(agent_talk, 2),
        "caller_talk_seconds": round(caller_talk, 2),
        "agent_talk_ratio": round(agent_talk / total, 3) if total else None,
        "overtalk_count": int(long_enough.sum()),
        "overtalk_seconds": round(float((ends - starts)[long_enough].sum()) * frame_seconds, 2),
        "segments": {
            "caller": _spans(caller, frame_seconds),
            "agent": _spans(agent, frame_seconds),
            "hold": _spans(hold, frame_seconds),
            "overtalk": [
                [round(float(start) * frame_seconds, 2), round(float(end) * frame_seconds, 2)]
                for start, end in zip(starts[long_enough][:MAX_SEGMENTS], ends[long_enough][:MAX_SEGMENTS], strict=True)
            ],
        },
    }


def analyse_audio(audio: Audio, *, params: dict[str, Any] | None = None) -> AnalysisResult:
    params = params or analysis_settings()
    frame_ms = int(params["frame_ms"])
    if frame_ms not in (10, 20, 30):
        raise ValueError("frame_ms must be 10, 20 or 30")
    seconds = frame_ms / 1000
    analysed = [analyse_channel(pcm, audio.rate, params) for pcm in audio.channels]
    count = min(len(channel.speech) for channel in analysed)
    loud = float(params["loud_dbfs"])

    def trim(channel: Channel) -> Channel:
        return Channel(
            level_dbfs=channel.level_dbfs[:count],
            speech=channel.speech[:count],
            music=channel.music[:count],
            peak_dbfs=channel.peak_dbfs,
        )

    parts = [trim(channel) for channel in analysed]
    hold = np.logical_or.reduce([part.music for part in parts])
    result: dict[str, Any] = {
        "channels": len(parts),
        "duration_seconds": round(audio.seconds, 3),
        "hold_music_seconds": round(float(hold.sum()) * seconds, 2),
    }
    if len(parts) == 2:
        caller, agent = parts
        result |= activity_figures(agent.speech, caller.speech, hold, seconds, params)
        syllables = syllable_peaks(audio.channels[1], audio.rate, agent.speech, frame_ms)
        agent_talk = result["agent_talk_seconds"]
        result |= {
            "agent_speech_rate_proxy": round(syllables / (agent_talk / 60), 1) if agent_talk >= 1 else None,
            "agent_peak_dbfs": agent.peak_dbfs,
            "caller_peak_dbfs": caller.peak_dbfs,
            "agent_loud_frames": int((agent.level_dbfs >= loud).sum()),
            "caller_loud_frames": int((caller.level_dbfs >= loud).sum()),
        }
    else:
        # One mixed channel: who speaks cannot be told, so the party figures stay empty.
        (only,) = parts
        silence = ~only.speech & ~hold
        result |= {
            "talk_seconds": round(float(only.speech.sum()) * seconds, 2),
            "longest_silence_seconds": round(_longest(silence) * seconds, 2),
            "silence_seconds": round(float(silence.sum()) * seconds, 2),
            "agent_talk_seconds": None,
            "caller_talk_seconds": None,
            "agent_talk_ratio": None,
            "overtalk_count": None,
            "overtalk_seconds": None,
            "agent_speech_rate_proxy": None,
            "agent_peak_dbfs": None,
            "caller_peak_dbfs": only.peak_dbfs,
            "agent_loud_frames": 0,
            "caller_loud_frames": int((only.level_dbfs >= loud).sum()),
            "segments": {"speech": _spans(only.speech, seconds), "hold": _spans(hold, seconds)},
        }
    analysis = AnalysisResult(**result)
    analysis.flags = flags_for(analysis, params)
    return analysis


def flags_for(result: Any, params: dict[str, Any] | None = None) -> list[str]:
    """The flags the figures earn, in a fixed order (the choices' order). ``result``: an
    :class:`AnalysisResult` or a ``CallAnalysis`` row (same attribute names)."""
    params = params or analysis_settings()
    flags = []
    if result.longest_silence_seconds > float(params["dead_air_seconds"]):
        flags.append("dead_air")
    if result.overtalk_count is not None and result.overtalk_count > int(params["overtalk_count"]):
        flags.append("overtalk")
    talk = (result.agent_talk_seconds or 0) + (result.caller_talk_seconds or 0)
    if result.agent_talk_ratio is not None and talk >= float(params["min_talk_for_ratio_seconds"]):
        if result.agent_talk_ratio > float(params["agent_talk_ratio_high"]):
            flags.append("agent_talk_high")
        elif result.agent_talk_ratio < float(params["agent_talk_ratio_low"]):
            flags.append("agent_talk_low")
    if max(result.agent_loud_frames, result.caller_loud_frames) > int(params["loud_frames"]):
        flags.append("loud")
    if result.hold_music_seconds > float(params["long_hold_seconds"]):
        flags.append("long_hold_music")
    return flags


def analyse_wav(source, *, params: dict[str, Any] | None = None) -> AnalysisResult:
    """Analyse a WAV (bytes, a path or an open binary file). Raises
    :class:`~apps.telephony.analysis.signal.AnalysisError` for a file that cannot be read."""
    return analyse_audio(read_wav(source), params=params)
