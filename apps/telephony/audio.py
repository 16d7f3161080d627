"""Synthesised call audio for the simulated switch: real WAV files, 8 kHz 16-bit PCM.

A call recording is **stereo**, as the SIP plane records it: the caller on the left channel, the
agent on the right. It follows a *script* (:class:`CallScript`): turns of speech that alternate
between the parties with pauses, some overtalk (the next speaker starts before the other stops),
some dead air, and hold stretches — where the call's own timeline put them — with hold music on
the caller's channel while the agent is silent. :func:`plan_call` draws the script from a seed;
the same seed, duration and holds always give the same bytes.

"Speech" has to be something a real voice-activity detector takes for speech (webrtcvad rejects
steady sine tones about as often as it accepts them). Each syllable is a voiced sound: the
harmonics of a glottal pulse train (100–250 Hz, with a slow pitch drift) shaped by three vowel
formants, under a 4–6 Hz syllable envelope, with a short noise burst for the consonant.
Hold music is tonal and steady: chords of pure tones that change every half second, no
syllable envelope — :mod:`apps.telephony.analysis` tells the two apart by how much of a
frame's energy sits in its few strongest frequency bins and by how steady the loudness is.

Speed: a few dozen one-second "vowel grains" per call are computed once; a syllable is a slice
of one times an envelope, so an hour of stereo audio takes a fraction of a second.
"""

from __future__ import annotations

import io
import random
import wave
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

SAMPLE_RATE = 8000
SAMPLE_WIDTH = 2  # bytes: 16-bit signed PCM
CALLER, AGENT, HOLD = "caller", "agent", "hold"
CHANNEL_OF = {CALLER: 0, AGENT: 1, HOLD: 0}  # hold music is what the caller's leg hears and records

# (F1, F2, F3) in Hz of a few vowels (adult male averages); a voice scales them.
_VOWELS = (
    (730, 1090, 2440),
    (270, 2290, 3010),
    (300, 870, 2240),
    (530, 1840, 2480),
    (570, 840, 2410),
    (490, 1350, 1690),
)
_BANDWIDTHS = (90, 110, 170)
_GRAIN_SECONDS = 1.0
_SPEECH_RMS = 0.09  # of full scale: about -21 dBFS, a normal telephone level
_LOUD_GAIN = 3.6  # a shouted phrase: about -10 dBFS RMS, peaks near full scale
_MUSIC_RMS = 0.06
_NOISE_RMS = 0.0015  # line noise, about -56 dBFS: never silence made of zeros
_SCALE = (262, 294, 330, 392, 440, 523, 587, 659, 784)  # a pentatonic-ish scale for hold music


@dataclass(frozen=True)
class Segment:
    """``kind`` is ``caller`` or ``agent`` (speech: a phrase) or ``hold`` (music), in seconds."""

    start: float
    end: float
    kind: str
    loud: bool = False

    @property
    def seconds(self) -> float:
        return self.end - self.start


@dataclass
class CallScript:
    duration: float
    segments: list[Segment] = field(default_factory=list)

    def of(self, kind: str) -> list[Segment]:
        return [segment for segment in self.segments if segment.kind == kind]


# --- the script ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Style:
    """How a call goes: most are smooth; some hesitate (dead air), some are heated (overtalk,
    shouting). ``agent_share`` stretches the agent's turns against the caller's."""

    overtalk: float
    dead_air: float
    loud: float
    agent_share: float


def _style(rng: random.Random) -> _Style:
    roll = rng.random()
    share = rng.choice((0.45, 0.7, 1.0, 1.0, 1.0, 1.4, 2.2))
    if roll < 0.12:
        return _Style(overtalk=0.35, dead_air=0.01, loud=0.15, agent_share=share)  # heated
    if roll < 0.27:
        return _Style(overtalk=0.04, dead_air=0.12, loud=0.0, agent_share=share)  # hesitant
    return _Style(overtalk=0.06, dead_air=0.015, loud=0.005, agent_share=share)


def _free(duration: float, holds: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """``[0, duration]`` less the hold stretches."""
    spans, at = [], 0.0
    for start, end in holds:
        if start > at:
            spans.append((at, start))
        at = max(at, end)
    if at < duration:
        spans.append((at, duration))
    return spans


def _clean_holds(duration: float, holds) -> list[tuple[float, float]]:
    cleaned: list[tuple[float, float]] = []
    for start, end in sorted((max(0.0, float(s)), min(duration, float(e))) for s, e in holds):
        if end - start < 0.5:
            continue
        if cleaned and start <= cleaned[-1][1]:
            cleaned[-1] = (cleaned[-1][0], max(cleaned[-1][1], end))
        else:
            cleaned.append((start, end))
    return cleaned


def plan_call(duration_seconds: float, *, seed: int = 0, holds=()) -> CallScript:
    """The script of a call of ``duration_seconds``: hold music over ``holds`` (``(start, end)``
    seconds from the start of the recording) and turns of speech everywhere else."""
    duration = max(0.0, float(duration_seconds))
    rng = random.Random(seed)  # noqa: S311 - reproducible audio, not a secret
    style = _style(rng)
    hold_spans = _clean_holds(duration, holds)
    segments = [Segment(start, end, HOLD) for start, end in hold_spans]
    for begin, finish in _free(duration, hold_spans):
        segments.extend(_talk(rng, style, begin, finish))
    segments.sort(key=lambda segment: (segment.start, segment.kind))
    return CallScript(duration=duration, segments=segments)


def _talk(rng: random.Random, style: _Style, begin: float, finish: float) -> list[Segment]:
    """Turns between ``begin`` and ``finish``: the agent speaks first (a greeting, or "thank you
    for holding"), then the parties alternate."""
    out: list[Segment] = []
    speaker = AGENT
    t = begin + rng.uniform(0.2, 0.8)
    while t < finish - 0.3:
        share = style.agent_share if speaker == AGENT else 1.0 / style.agent_share
        turn_end = t + rng.uniform(1.5, 7.0) * share
        last_start = t
        while t < min(turn_end, finish - 0.3):
            end = min(t + rng.uniform(0.7, 2.8), finish)
            out.append(Segment(round(t, 3), round(end, 3), speaker, loud=rng.random() < style.loud))
            last_start = t
            t = end + rng.uniform(0.15, 0.45)
        end = out[-1].end if out else t
        roll = rng.random()
        if roll < style.overtalk and end - last_start > 1.2:
            t = end - rng.uniform(0.5, min(1.5, end - last_start - 0.5))  # the other cuts in
        elif roll < style.overtalk + style.dead_air:
            t = end + rng.uniform(4.0, 16.0)  # nobody says anything
        else:
            t = end + rng.uniform(0.3, 1.2)
        speaker = CALLER if speaker == AGENT else AGENT
    return out


# --- the sounds ------------------------------------------------------------------------------------


@lru_cache(maxsize=64)
def _grain(f0: float, formant_scale: float, vowel: int) -> np.ndarray:
    """One second of a sustained vowel, RMS 1: harmonics of ``f0`` (with a little drift and
    vibrato) under a -12 dB/octave glottal slope, shaped by the vowel's three formants."""
    n = int(SAMPLE_RATE * _GRAIN_SECONDS)
    t = np.arange(n) / SAMPLE_RATE
    drift = 1.0 + 0.06 * np.sin(2 * np.pi * 0.9 * t) + 0.015 * np.sin(2 * np.pi * 5.3 * t)
    phase = 2 * np.pi * np.cumsum(f0 * drift) / SAMPLE_RATE
    harmonics = np.arange(1, int(3600 // f0) + 1)
    frequencies = harmonics * f0
    gain = 1.0 / harmonics
    for formant, bandwidth in zip(_VOWELS[vowel], _BANDWIDTHS, strict=True):
        centre = formant * formant_scale
        gain = gain / np.sqrt((1 - (frequencies / centre) ** 2) ** 2 + (frequencies * bandwidth / centre**2) ** 2)
    signal = (gain[:, None] * np.sin(np.outer(harmonics, phase))).sum(axis=0)
    return (signal / np.sqrt(np.mean(signal**2))).astype(np.float32)


@dataclass(frozen=True)
class _Voice:
    f0: float
    formant_scale: float


def _voices(rng: random.Random) -> dict[str, _Voice]:
    low, high = _Voice(rng.choice((105.0, 118.0, 130.0)), 1.0), _Voice(rng.choice((195.0, 210.0, 232.0)), 1.17)
    caller, agent = (low, high) if rng.random() < 0.5 else (high, low)
    return {CALLER: caller, AGENT: agent}


def _noise(rng: np.random.Generator) -> np.ndarray:
    return rng.standard_normal(int(SAMPLE_RATE * 1.37)).astype(np.float32)


@lru_cache(maxsize=512)
def _envelope(length: int) -> np.ndarray:
    """A syllable's rise and fall (cached: lengths come in steps of 8 samples)."""
    return np.abs(np.sin(np.linspace(0.0, np.pi, length, dtype=np.float32))) ** np.float32(0.8)


def _speak(out: np.ndarray, start: int, stop: int, voice: _Voice, loud: bool, rng: random.Random, noise) -> int:
    """Syllables from ``start`` to ``stop`` (sample indexes) added into ``out``; their count."""
    gain = _SPEECH_RMS * (_LOUD_GAIN if loud else 1.0) * 1.5  # the envelope's mean square is ~0.45
    at, count = start, 0
    while at < stop - int(0.06 * SAMPLE_RATE):
        length = min(int(rng.uniform(0.14, 0.26) * SAMPLE_RATE) // 8 * 8, stop - at)
        grain = _grain(voice.f0, voice.formant_scale, rng.randrange(len(_VOWELS)))
        offset = rng.randrange(len(grain) - length)
        envelope = _envelope(length) * (gain * rng.uniform(0.75, 1.15))
        out[at : at + length] += envelope * grain[offset : offset + length]
        burst = min(length, int(rng.uniform(0.015, 0.04) * SAMPLE_RATE))  # the consonant
        noise_at = rng.randrange(len(noise) - burst)
        out[at : at + burst] += gain * 0.35 * noise[noise_at : noise_at + burst]
        at += length
        count += 1
    return count


def _music(out: np.ndarray, start: int, stop: int, rng: random.Random) -> None:
    """Chords of two or three pure tones, a new one every 0.35–0.7 s, at a steady level."""
    at = start
    while at < stop:
        length = min(int(rng.uniform(0.35, 0.7) * SAMPLE_RATE), stop - at)
        t = np.arange(length, dtype=np.float32) / SAMPLE_RATE
        root = rng.randrange(len(_SCALE) - 4)
        notes = [_SCALE[root], _SCALE[root + 2], _SCALE[root + 4]][: rng.choice((2, 3))]
        chord = sum(np.sin(2 * np.pi * note * t) for note in notes) / np.sqrt(len(notes) / 2)
        ramp = np.minimum(1.0, np.minimum(t, t[::-1]) / 0.01)  # 10 ms fades: no clicks
        out[at : at + length] += _MUSIC_RMS * ramp * chord
        at += length


def render(script: CallScript, *, seed: int = 0, channels: int = 2, syllables: dict | None = None) -> np.ndarray:
    """The script as int16 samples, shape ``(n, channels)`` (``channels=1``: everything mixed).
    ``syllables``, when given, receives how many syllables each party spoke."""
    rng = random.Random(seed ^ 0x5EED)  # noqa: S311 - reproducible audio
    noise = _noise(np.random.default_rng(seed))
    voices = _voices(rng)
    n = max(0, round(script.duration * SAMPLE_RATE))
    # Start from the line noise, a block repeated (each channel its own), then add the sounds.
    block = len(noise)
    blocks = max(1, -(-n // block))
    floor = np.empty((2, blocks, block), dtype=np.float32)
    floor[0] = noise * _NOISE_RMS
    floor[1] = np.roll(noise, block // 3) * _NOISE_RMS
    lanes = (floor[0].reshape(-1)[:n], floor[1].reshape(-1)[:n])
    for segment in script.segments:
        start, stop = round(segment.start * SAMPLE_RATE), min(n, round(segment.end * SAMPLE_RATE))
        if stop <= start:
            continue
        lane = lanes[CHANNEL_OF[segment.kind]]
        if segment.kind == HOLD:
            _music(lane, start, stop, rng)
        else:
            spoken = _speak(lane, start, stop, voices[segment.kind], segment.loud, rng, noise)
            if syllables is not None:
                syllables[segment.kind] = syllables.get(segment.kind, 0) + spoken
    mixed = [lanes[0] + lanes[1]] if channels == 1 else list(lanes)
    pcm = np.empty((n, len(mixed)), dtype="<i2")
    for index, lane in enumerate(mixed):
        np.clip(lane, -1.0, 32767 / 32768, out=lane)
        lane *= 32768
        pcm[:, index] = lane
    return pcm


def wav_bytes(samples: np.ndarray) -> bytes:
    """A WAV file of int16 ``samples`` shaped ``(n, channels)``."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(samples.shape[1] if samples.ndim == 2 else 1)
        wav.setsampwidth(SAMPLE_WIDTH)
        wav.setframerate(SAMPLE_RATE)
        wav.writeframes(np.ascontiguousarray(samples, dtype="<i2").tobytes())
    return buffer.getvalue()


def synthesize_call_wav(duration_seconds: float, *, seed: int = 0, holds=()) -> bytes:
    """A call recording: stereo 8 kHz 16-bit, caller left, agent right (see the module)."""
    script = plan_call(duration_seconds, seed=seed, holds=holds)
    return wav_bytes(render(script, seed=seed))


def synthesize_wav(duration_seconds: float, *, seed: int = 0) -> bytes:
    """One voice (a voicemail): 8 kHz mono 16-bit, the caller speaking with pauses."""
    duration = max(0.0, float(duration_seconds))
    rng = random.Random(seed)  # noqa: S311 - reproducible audio
    segments, t = [], rng.uniform(0.2, 0.6)
    while t < duration - 0.3:
        end = min(t + rng.uniform(0.8, 3.0), duration)
        segments.append(Segment(round(t, 3), round(end, 3), CALLER))
        t = end + rng.uniform(0.3, 1.0)
    script = CallScript(duration=duration, segments=segments)
    return wav_bytes(render(script, seed=seed)[:, :1])
