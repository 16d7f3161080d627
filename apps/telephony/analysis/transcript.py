"""The transcript seam: a transcript that arrives later feeds the same figures.

No speech recogniser runs here (none is available to us, and none is faked). A transcript from
elsewhere — a speech service, a person — is a list of segments per channel with times; its
timings are turned into the same per-frame activity the voice-activity detector produces, and
:func:`~apps.telephony.analysis.figures.activity_figures` computes talk, overtalk and silence
from it exactly as it does from audio. What only a transcript can give is words per minute;
it replaces the syllable proxy where present.

Words: a run of letters or digits counts as one word; each Chinese, Japanese or Korean character
counts as one (the usual 字/分钟 measure for Chinese speech rate).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from apps.telephony.analysis.figures import activity_figures

CHANNELS = ("agent", "caller")
STEP_SECONDS = 0.01  # the frame of a transcript's activity
MAX_SECONDS = 4 * 3600
MAX_SEGMENTS = 20000
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")
_WORD = re.compile(r"[^\W_]+", re.UNICODE)


class TranscriptError(ValueError):
    """A transcript that cannot be used; the message names the segment."""


@dataclass(frozen=True)
class TranscriptSegment:
    channel: str
    start: float
    end: float
    text: str

    def as_dict(self) -> dict[str, Any]:
        return {"channel": self.channel, "start": self.start, "end": self.end, "text": self.text}


def count_words(text: str) -> int:
    cjk = len(_CJK.findall(text))
    return cjk + len(_WORD.findall(_CJK.sub(" ", text)))


def parse_segments(raw: Any) -> list[TranscriptSegment]:
    """Validate ``[{"channel", "start", "end", "text"}, …]``; sorted by start."""
    if not isinstance(raw, list):
        raise TranscriptError("Segments must be a list.")
    if len(raw) > MAX_SEGMENTS:
        raise TranscriptError(f"At most {MAX_SEGMENTS} segments.")
    parsed = []
    for index, item in enumerate(raw):
        if not isinstance(item, dict):
            raise TranscriptError(f"Segment {index}: must be an object.")
        channel = item.get("channel")
        if channel not in CHANNELS:
            raise TranscriptError(f"Segment {index}: channel must be agent or caller.")
        try:
            start, end = float(item["start"]), float(item["end"])
        except (KeyError, TypeError, ValueError) as error:
            raise TranscriptError(f"Segment {index}: start and end must be numbers of seconds.") from error
        if not (math.isfinite(start) and math.isfinite(end)) or not 0 <= start < end <= MAX_SECONDS:
            raise TranscriptError(f"Segment {index}: needs 0 <= start < end <= {MAX_SECONDS}.")
        text = item.get("text", "")
        if not isinstance(text, str):
            raise TranscriptError(f"Segment {index}: text must be a string.")
        parsed.append(TranscriptSegment(channel, round(start, 3), round(end, 3), text))
    return sorted(parsed, key=lambda segment: (segment.start, segment.channel))


def _mask(spans, length: int) -> np.ndarray:
    mask = np.zeros(length, dtype=bool)
    for start, end in spans:
        mask[round(start / STEP_SECONDS) : round(end / STEP_SECONDS)] = True
    return mask


def transcript_figures(
    segments: list[TranscriptSegment], *, duration: float | None, hold, params: dict[str, Any]
) -> dict[str, Any]:
    """Words per minute per party, the longest gap where no segment runs (hold left out), and
    the talk/overtalk/silence figures of the transcript's timings. ``duration``: the recording's
    length (None: up to the last segment's end); ``hold``: ``[[start, end], …]`` hold stretches
    the audio analysis found."""
    end = max([duration or 0.0, *(segment.end for segment in segments)])
    length = max(1, round(end / STEP_SECONDS))
    by_channel = {channel: [s for s in segments if s.channel == channel] for channel in CHANNELS}
    activity = {channel: _mask(((s.start, s.end) for s in rows), length) for channel, rows in by_channel.items()}
    hold_mask = _mask(((float(start), float(stop)) for start, stop in hold or ()), length)
    figures = activity_figures(activity["agent"], activity["caller"], hold_mask, STEP_SECONDS, params)
    out = {**figures, "duration_seconds": round(end, 3), "longest_gap_seconds": figures["longest_silence_seconds"]}
    for channel in CHANNELS:
        spoken = float(activity[channel].sum()) * STEP_SECONDS
        words = sum(count_words(segment.text) for segment in by_channel[channel])
        out[f"{channel}_words_per_minute"] = round(words / (spoken / 60), 1) if spoken >= 1 else None
    return out
