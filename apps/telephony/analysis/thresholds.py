"""The analyser's parameters and the thresholds of its flags.

Defaults below; a deployment overrides any of them with ``CALL_ANALYSIS = {...}`` in its
settings (only the keys it names). The flags are computed when a call is analysed, so a changed
threshold applies to calls analysed afterwards (``analyse_recordings --all`` re-analyses).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    # Voice activity
    "vad_mode": 2,  # webrtcvad aggressiveness, 0 (lenient) … 3 (strict)
    "frame_ms": 30,  # 10, 20 or 30: the frame webrtcvad judges
    "energy_floor_dbfs": -50.0,  # quieter frames are never speech (and webrtcvad is not asked)
    "hangover_ms": 300,  # a pause shorter than this inside speech is still talk
    "min_speech_ms": 120,  # a shorter burst is a click or a breath, not talk
    # Hold music: steady tonal sound
    "min_hold_seconds": 2.0,
    "music_max_flux": 0.45,  # mean spectral change between frames over a second
    "music_max_level_variation": 0.2,  # coefficient of variation of the frame level over a second
    # Overtalk, loudness
    "min_overtalk_seconds": 0.3,
    "loud_dbfs": -12.0,  # a frame this loud (RMS) counts as a loud frame
    # Flags
    "dead_air_seconds": 10.0,  # flag when the longest silence is longer
    "overtalk_count": 5,  # flag when overtalk happens more often than this
    "agent_talk_ratio_high": 0.75,
    "agent_talk_ratio_low": 0.25,
    "min_talk_for_ratio_seconds": 20.0,  # a shorter conversation gets no talk-ratio flag
    "loud_frames": 10,  # flag when either party has more loud frames than this
    "long_hold_seconds": 120.0,  # flag when hold music plays longer than this in total
}


def analysis_settings() -> dict[str, Any]:
    return {**DEFAULTS, **getattr(settings, "CALL_ANALYSIS", {})}
