"""Writes the word prompts (:data:`~apps.telephony.speech.words.WORDS`) as 8 kHz mono 16-bit WAV
files with espeak-ng, into the sip driver's prompt directory (``<SIP_RUNTIME_DIR>/prompts/``,
next to the built-in tones). A tenant's uploaded prompt with the same name
(``<prompts>/<schema>/say.en.one.wav``) is found first by the driver, so recorded words replace
the synthetic ones one by one.

Run by ``manage.py generate_speech_prompts`` and by the sip engine when it starts (only missing
files are written, so a restart costs nothing).
"""

from __future__ import annotations

import array
import logging
import shutil
import subprocess  # noqa: S404 -- a fixed program (espeak-ng) with fixed arguments, no shell
import wave
from pathlib import Path

import miniaudio

from apps.telephony.speech.words import WORDS

logger = logging.getLogger(__name__)

RATE = 8000
VOICES = {"en": "en-us", "zh": "cmn"}
SPEED = 165  # words per minute: a little brisker than espeak's default, as telephone prompts are
SILENCE_THRESHOLD = 300  # |sample| below this at the edges is trimmed
EDGE_KEEP = int(0.03 * RATE)  # 30 ms of lead-in and tail kept, so words do not click together


class SpeechUnavailable(RuntimeError):
    """espeak-ng is not installed (scripts/system-packages.txt lists it)."""


def espeak_binary() -> str:
    found = shutil.which("espeak-ng")
    if not found:
        raise SpeechUnavailable("espeak-ng is not installed: run scripts/install-system-deps.sh")
    return found


def synthesize(text: str, lang: str) -> bytes:
    """``text`` spoken by espeak-ng as 8 kHz mono signed 16-bit PCM frames, edges trimmed."""
    completed = subprocess.run(  # noqa: S603
        [espeak_binary(), "-v", VOICES[lang], "-s", str(SPEED), "--stdout", text],
        capture_output=True,
        check=True,
        timeout=30,
    )
    decoded = miniaudio.decode(
        completed.stdout, output_format=miniaudio.SampleFormat.SIGNED16, nchannels=1, sample_rate=RATE
    )
    samples = array.array("h", decoded.samples)
    loud = [index for index, value in enumerate(samples) if abs(value) > SILENCE_THRESHOLD]
    if loud:
        samples = samples[max(0, loud[0] - EDGE_KEEP) : loud[-1] + EDGE_KEEP]
    return samples.tobytes()


def write_pcm(path: Path, frames: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    with wave.open(str(temporary), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(frames)
    temporary.replace(path)


def generate_speech_prompts(directory: Path, *, force: bool = False, names: list[str] | None = None) -> int:
    """Write every word prompt missing under ``directory`` (all of them with ``force``); returns
    how many files were written."""
    written = 0
    for name in names or sorted(WORDS):
        path = Path(directory) / f"{name}.wav"
        if path.is_file() and not force:
            continue
        lang = name.split(".")[1]
        write_pcm(path, synthesize(WORDS[name], lang))
        written += 1
    if written:
        logger.info("speech: %d word prompt(s) written under %s", written, directory)
    return written
