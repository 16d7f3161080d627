"""Automatic analysis of call recordings (plain Python and numpy, no models): voice activity per
party with webrtcvad, then talk, silence, overtalk, hold music, loudness and a speech-rate proxy.
Decision 0024; the figures are defined in docs/calls-and-recordings.md."""

from apps.telephony.analysis.figures import ANALYSER_VERSION, AnalysisResult, analyse_audio, analyse_wav, flags_for
from apps.telephony.analysis.signal import AnalysisError, Audio, read_wav

__all__ = [
    "ANALYSER_VERSION",
    "AnalysisError",
    "AnalysisResult",
    "Audio",
    "analyse_audio",
    "analyse_wav",
    "flags_for",
    "read_wav",
]
