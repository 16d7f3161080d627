"""Signal processing of the call analysis: read the WAV, voice activity, hold music, syllables.

Everything is per *frame* (``frame_ms``, 30 ms by default) on one channel, in numpy, except
webrtcvad itself, which is asked once per frame loud enough to be anything at all.
"""

from __future__ import annotations

import io
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np
import webrtcvad

VAD_RATES = (8000, 16000, 32000, 48000)  # what webrtcvad takes
FULL_SCALE = 32768.0


class AnalysisError(Exception):
    """The recording cannot be analysed; ``code`` is stable, the message is for people."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class Audio:
    rate: int
    channels: np.ndarray  # int16, shape (channels, samples), each row contiguous

    @property
    def seconds(self) -> float:
        return self.channels.shape[1] / self.rate


def read_wav(source: bytes | str | Path | IO[bytes]) -> Audio:
    """A 16-bit PCM WAV (mono or stereo, a rate webrtcvad takes) as int16 channel rows."""
    try:
        opened = (
            io.BytesIO(source) if isinstance(source, bytes) else str(source) if isinstance(source, Path) else source
        )
        handle = wave.open(opened, "rb")  # noqa: SIM115
    except FileNotFoundError as error:
        raise AnalysisError("missing", "The recording file is missing.") from error
    except (wave.Error, EOFError, OSError) as error:
        raise AnalysisError("corrupt", f"Not a readable WAV file ({error}).") from error
    with handle:
        rate, width, count = handle.getframerate(), handle.getsampwidth(), handle.getnchannels()
        if handle.getcomptype() != "NONE" or width != 2:
            raise AnalysisError("format", "Only 16-bit PCM WAV recordings can be analysed.")
        if rate not in VAD_RATES:
            raise AnalysisError("format", f"Sample rate {rate} Hz is not one of {', '.join(map(str, VAD_RATES))}.")
        if count not in (1, 2):
            raise AnalysisError("format", f"{count} channels: only mono and stereo can be analysed.")
        try:
            raw = handle.readframes(handle.getnframes())
        except (wave.Error, EOFError, OSError) as error:
            raise AnalysisError("corrupt", f"The WAV data cannot be read ({error}).") from error
    usable = len(raw) // (2 * count) * 2 * count
    samples = np.frombuffer(raw[:usable], dtype="<i2").reshape(-1, count)
    return Audio(rate=rate, channels=np.ascontiguousarray(samples.T))


# --- runs of a boolean mask --------------------------------------------------------------------


def runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and end (exclusive) indexes of the runs of True."""
    edges = np.diff(np.concatenate(([0], mask.astype(np.int8), [0])))
    return np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)


def smooth(mask: np.ndarray, *, fill: int, drop: int) -> np.ndarray:
    """Close gaps of fewer than ``fill`` frames between runs, then drop runs shorter than ``drop``."""
    out = mask.copy()
    starts, ends = runs(out)
    if fill > 0 and len(starts) > 1:
        for gap_start, gap_end in zip(ends[:-1], starts[1:], strict=True):
            if gap_end - gap_start < fill:
                out[gap_start:gap_end] = True
    if drop > 1:
        starts, ends = runs(out)
        for start, end in zip(starts, ends, strict=True):
            if end - start < drop:
                out[start:end] = False
    return out


def _moving_mean(values: np.ndarray, width: int) -> np.ndarray:
    """Centred moving average (shorter at the edges)."""
    width = max(1, width)
    padded = np.concatenate(([0.0], np.cumsum(values, dtype=np.float64)))
    index = np.arange(len(values))
    low = np.maximum(index - width // 2, 0)
    high = np.minimum(index + width - width // 2, len(values))
    return (padded[high] - padded[low]) / np.maximum(high - low, 1)


# --- one channel ---------------------------------------------------------------------------------


@dataclass
class Channel:
    """Per-frame results of one channel."""

    level_dbfs: np.ndarray  # RMS level of each frame
    speech: np.ndarray  # voice activity after smoothing, hold music removed
    music: np.ndarray  # steady tonal sound (hold music)
    peak_dbfs: float | None


def _frames(pcm: np.ndarray, size: int) -> np.ndarray:
    count = len(pcm) // size
    return pcm[: count * size].reshape(count, size)


def analyse_channel(pcm: np.ndarray, rate: int, params: dict[str, Any]) -> Channel:
    size = rate * int(params["frame_ms"]) // 1000
    frames = _frames(pcm, size)
    per_second = 1000 / int(params["frame_ms"])
    as_float = frames.astype(np.float32) / np.float32(FULL_SCALE)
    power = np.einsum("ij,ij->i", as_float, as_float) / size
    level = 10 * np.log10(np.maximum(power, 1e-12))
    active = level >= float(params["energy_floor_dbfs"])

    vad = webrtcvad.Vad(int(params["vad_mode"]))
    data = memoryview(np.ascontiguousarray(frames).tobytes())
    width = size * 2
    raw = np.zeros(len(frames), dtype=bool)
    for index in np.flatnonzero(active).tolist():
        raw[index] = vad.is_speech(data[index * width : (index + 1) * width], rate)

    music = _music(as_float, active, level, per_second, params)
    speech = smooth(
        raw & ~music,
        fill=round(int(params["hangover_ms"]) / int(params["frame_ms"])),
        drop=round(int(params["min_speech_ms"]) / int(params["frame_ms"])),
    )
    speech &= ~music
    peak = int(np.abs(pcm.astype(np.int32)).max()) if len(pcm) else 0
    return Channel(
        level_dbfs=level,
        speech=speech,
        music=music,
        peak_dbfs=round(20 * np.log10(peak / FULL_SCALE), 2) if peak else None,
    )


def _music(frames: np.ndarray, active: np.ndarray, level: np.ndarray, per_second: float, params) -> np.ndarray:
    """Steady tonal sound: over about a second, the spectrum barely changes from frame to frame
    (speech moves from syllable to syllable; noise changes completely every frame) and the level
    barely moves (speech rises and falls 4–6 times a second)."""
    if not active.any():
        return np.zeros(len(frames), dtype=bool)
    # The spectrum of the first 128 samples of each loud frame is enough to see whether it moves
    # (a 240-point FFT of every frame took most of the analysis time).
    width = min(128, frames.shape[1])
    window = np.hanning(width).astype(np.float32)
    loud = np.flatnonzero(active)
    spectrum = np.abs(np.fft.rfft(frames[loud, :width] * window, axis=1)) ** 2
    spectrum /= spectrum.sum(axis=1, keepdims=True) + np.float32(1e-12)
    flux = np.full(len(frames), 2.0, dtype=np.float32)  # silence: "changes completely"
    following = np.flatnonzero(np.diff(loud) == 1)  # loud frames whose predecessor is loud too
    flux[loud[following + 1]] = np.abs(spectrum[following + 1] - spectrum[following]).sum(axis=1)
    second = round(per_second)
    mean_flux = _moving_mean(flux, second)
    amplitude = np.power(10.0, level / 20)
    mean_amp = _moving_mean(amplitude, second)
    spread = np.sqrt(np.maximum(_moving_mean(amplitude**2, second) - mean_amp**2, 0.0))
    variation = spread / np.maximum(mean_amp, 1e-9)
    steady = (
        active
        & (mean_flux < float(params["music_max_flux"]))
        & (variation < float(params["music_max_level_variation"]))
    )
    music = smooth(steady, fill=second, drop=round(float(params["min_hold_seconds"]) * per_second))
    # The one-second windows blur the edges by half a window: give those frames back to the music
    # where the sound goes on.
    grown = music.copy()
    for shift in range(1, second // 2 + 1):
        grown[shift:] |= music[:-shift]
        grown[:-shift] |= music[shift:]
    return grown & active


def syllable_peaks(pcm: np.ndarray, rate: int, within: np.ndarray, frame_ms: int) -> int:
    """Syllable-like peaks of the loudness envelope inside the frames of ``within``: the envelope
    is the RMS of 10 ms steps smoothed over 50 ms; a peak is the highest point within 80 ms either
    side and stands at least 1.6x above the lowest point of the 150 ms before it. A proxy for the
    speaking rate (syllable nuclei), not a word count."""
    step = rate // 100
    envelope = np.sqrt(_moving_mean(np.square(_frames(pcm, step).astype(np.float64)).mean(axis=1), 5))
    if len(envelope) < 3:
        return 0
    reach, before = 8, 15
    padded = np.concatenate((np.full(reach, -1.0), envelope, np.full(reach, -1.0)))
    highest = envelope.copy()
    for shift in range(1, reach + 1):
        highest = np.maximum(
            highest,
            np.maximum(
                padded[reach - shift : reach - shift + len(envelope)],
                padded[reach + shift : reach + shift + len(envelope)],
            ),
        )
    valley = envelope.copy()
    for back in range(1, before + 1):
        valley[back:] = np.minimum(valley[back:], envelope[:-back])
    peak = (envelope >= highest) & (envelope >= 1.6 * np.maximum(valley, 1.0))
    # A flat top would count twice: keep the first step of a run of equal maxima.
    peak[1:] &= ~peak[:-1]
    index = np.flatnonzero(peak)
    frame = index * 10 // frame_ms
    inside = frame < len(within)
    return int(within[frame[inside]].sum())
