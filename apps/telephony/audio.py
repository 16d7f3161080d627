"""Synthesised call audio for the simulated switch: a real WAV file (8 kHz, mono, 16-bit PCM).

The content is two "voices" (tones of different pitch) taking turns, with pauses and short noise
bursts, chosen by a seeded random generator: the same seed and duration always give the same
bytes. Segments are built by repeating whole waveform periods, so an hour of audio takes
milliseconds rather than a Python loop over 28.8 million samples.
"""

from __future__ import annotations

import io
import math
import random
import sys
import wave
from array import array

SAMPLE_RATE = 8000
SAMPLE_WIDTH = 2  # bytes: 16-bit signed PCM
CHANNELS = 1
# Frequencies whose period is a whole number of samples at 8 kHz (8000 / f is an integer).
_VOICES = (250, 320, 400, 500)
_AMPLITUDE = 9000
_NOISE_AMPLITUDE = 2500


def _period(frequency: int, amplitude: int) -> array:
    length = SAMPLE_RATE // frequency
    return array("h", (int(amplitude * math.sin(2 * math.pi * i / length)) for i in range(length)))


def _repeat(block: array, frames: int) -> array:
    if frames <= 0:
        return array("h")
    whole, rest = divmod(frames, len(block))
    return block * whole + block[:rest]


def synthesize_frames(duration_seconds: float, *, seed: int = 0) -> array:
    """``round(duration × 8000)`` 16-bit samples."""
    total = max(0, round(duration_seconds * SAMPLE_RATE))
    rng = random.Random(seed)  # noqa: S311 - reproducible test audio, not a secret
    first, second = rng.sample(_VOICES, 2)
    voices = (_period(first, _AMPLITUDE), _period(second, _AMPLITUDE * 3 // 4))
    noise = array("h", (rng.randint(-_NOISE_AMPLITUDE, _NOISE_AMPLITUDE) for _ in range(SAMPLE_RATE // 10)))
    samples = array("h")
    speaker = 0
    while len(samples) < total:
        left = total - len(samples)
        roll = rng.random()
        if roll < 0.15:
            segment = _repeat(noise, min(left, rng.randint(400, 1600)))  # a burst of line noise
        elif roll < 0.35:
            segment = array("h", bytes(2 * min(left, rng.randint(800, 4000))))  # a pause
        else:
            segment = _repeat(voices[speaker], min(left, rng.randint(2400, 12000)))
            speaker = 1 - speaker
        samples.extend(segment)
    return samples


def synthesize_wav(duration_seconds: float, *, seed: int = 0) -> bytes:
    """A complete WAV file of ``duration_seconds`` (8 kHz mono 16-bit PCM)."""
    samples = synthesize_frames(duration_seconds, seed=seed)
    if sys.byteorder == "big":  # WAV is little-endian
        samples.byteswap()
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(CHANNELS)
        wav.setsampwidth(SAMPLE_WIDTH)
        wav.setframerate(SAMPLE_RATE)
        wav.writeframes(samples.tobytes())
    return buffer.getvalue()
