"""Prompt files and SDP helpers for the sip driver.

Prompts are WAV files rtpengine plays (``play media``). Tenants upload their own prompt audio
(published into ``<prompt directory>/<schema>/``); for everything else the driver writes a few
neutral default files (tones, no speech: TTS is out of scope) with the ``wave`` module into its
prompt directory, never into git.
"""

from __future__ import annotations

import math
import re
import struct
import wave
from collections.abc import Sequence
from pathlib import Path

RATE = 8000
DEFAULT_PROMPT = "default"

# name -> list of (frequency Hz or 0 for silence, seconds)
_DEFAULTS = {
    DEFAULT_PROMPT: [(660, 0.25), (0, 0.25)],
    "hold_music": [(440, 0.4), (0, 0.1), (554, 0.4), (0, 0.1), (659, 0.4), (0, 0.6)],
}


def _samples(pattern: Sequence[tuple[float, float]]) -> bytes:
    frames = bytearray()
    for frequency, seconds in pattern:
        for index in range(int(seconds * RATE)):
            value = int(6000 * math.sin(2 * math.pi * frequency * index / RATE)) if frequency else 0
            frames += struct.pack("<h", value)
    return bytes(frames)


def write_wav(path: Path, pattern: Sequence[tuple[float, float]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    with wave.open(str(temporary), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(_samples(pattern))
    temporary.replace(path)
    return path


def ensure_default_prompts(directory: Path) -> None:
    for name, pattern in _DEFAULTS.items():
        path = directory / f"{name}.wav"
        if not path.exists():
            write_wav(path, pattern)


def wav_seconds(path: Path) -> float:
    with wave.open(str(path), "rb") as source:
        return source.getnframes() / float(source.getframerate() or RATE)


SAFE_NAME = re.compile(r"[^A-Za-z0-9_.-]")


def prompt_path(directory: Path, prompt: str, tenant: str = "") -> Path:
    """The file for a prompt name (``queue.position`` → ``queue.position.wav``): the tenant's own
    upload (``<directory>/<tenant>/<name>.wav``, published by apps/telephony/services/prompts.py),
    else the built-in file, else the tenant's ``default`` upload, else the default tone."""
    name = SAFE_NAME.sub("_", prompt or "")[:100].strip(".")
    schema = SAFE_NAME.sub("_", tenant or "").strip(".")
    candidates = [directory / schema / f"{name}.wav"] if name and schema else []
    if name:
        candidates.append(directory / f"{name}.wav")
    if schema:
        candidates.append(directory / schema / f"{DEFAULT_PROMPT}.wav")
    return next((path for path in candidates if path.is_file()), directory / f"{DEFAULT_PROMPT}.wav")


def sdp_with_address(sdp: str, address: str, port: int) -> str:
    """``sdp`` with its connection address and audio port replaced (a media sink's answer)."""
    sdp = re.sub(r"^c=IN IP4 \S+", f"c=IN IP4 {address}", sdp, flags=re.MULTILINE)
    sdp = re.sub(r"^m=audio \d+", f"m=audio {port}", sdp, flags=re.MULTILINE)
    return re.sub(r"^a=rtcp:.*\r?\n", "", sdp, flags=re.MULTILINE)
