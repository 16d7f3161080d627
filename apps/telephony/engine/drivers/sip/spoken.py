"""Spoken values over SIP: a say node's word prompts, and the queue's position announcement,
joined into one WAV and played with one ``play media`` (gapless, and one duration to wait for).

Each word is resolved like any prompt (:func:`media.prompt_path`): the tenant's upload named
``say.en.seven`` first, else the generated word (``manage.py generate_speech_prompts``), else the
default tone. The joined file is cached under ``<prompts>/spoken/`` by the words' files and their
change times, so a repeated announcement costs one ``stat`` per word. The joining runs in a
worker thread: file I/O never blocks the engine's loop.

``driver.spoken`` (kept here, per driver) lists what was played: ``(uid, words, path, seconds)``
(seconds: the length rtpengine reported for the file) — the tests and the logs read it.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import wave
from pathlib import Path
from typing import TYPE_CHECKING

from apps.telephony.engine.drivers.sip import media

if TYPE_CHECKING:
    from apps.telephony.engine.drivers.sip.calls import SipCall
    from apps.telephony.engine.drivers.sip.driver import SipDriver

logger = logging.getLogger(__name__)

CACHE_DIRECTORY = "spoken"
CACHE_LIMIT = 2000  # joined files kept; beyond it the oldest half goes
HOLD_REPEAT = 10000


def joined_wav(directory: Path, words: list[str], tenant: str) -> Path:
    """One 8 kHz mono WAV of ``words`` in order (cached)."""
    paths = [media.prompt_path(directory, word, tenant=tenant) for word in words]
    key = hashlib.sha256()
    for path in paths:
        stat = path.stat()
        key.update(f"{path}\0{stat.st_mtime_ns}\0{stat.st_size}\n".encode())
    cache = directory / CACHE_DIRECTORY
    target = cache / f"{key.hexdigest()[:32]}.wav"
    if target.is_file():
        return target
    cache.mkdir(parents=True, exist_ok=True)
    frames = bytearray()
    for path in paths:
        with wave.open(str(path), "rb") as part:
            if (part.getnchannels(), part.getsampwidth(), part.getframerate()) != (1, 2, media.RATE):
                logger.warning("spoken: %s is not 8 kHz mono 16-bit: skipped", path)
                continue
            frames += part.readframes(part.getnframes())
    temporary = target.with_name(f"{target.stem}.{os.getpid()}.tmp")
    with wave.open(str(temporary), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(media.RATE)
        out.writeframes(bytes(frames))
    temporary.replace(target)
    _trim(cache)
    return target


def _trim(cache: Path) -> None:
    files = sorted(cache.glob("*.wav"), key=lambda path: path.stat().st_mtime)
    if len(files) > CACHE_LIMIT:
        for path in files[: len(files) // 2]:
            path.unlink(missing_ok=True)


async def play_words(driver: SipDriver, call: SipCall, words: list[str], *, resume_hold: bool = False) -> float:
    """Play ``words`` to the caller; return the length in seconds. With ``resume_hold`` (the queue
    announcement) hold music starts again when they are over, unless the call has moved on."""
    loop = asyncio.get_running_loop()
    directory = driver.stack.prompts_dir
    path = await loop.run_in_executor(None, joined_wav, directory, list(words), driver.schema)
    reply = await driver.stack.ng.command(
        "play media", call_id=call.media_id, from_tag=call.x_tag, file=str(path), repeat_times=None
    )
    duration = reply.get("duration")
    seconds = duration / 1000.0 if isinstance(duration, int) and duration > 0 else media.wav_seconds(path)
    log = driver.__dict__.setdefault("spoken", [])
    log.append((call.uid, list(words), path, seconds))
    del log[:-200]
    if resume_hold:

        def hold_again() -> None:
            if call.ended or call.bridged is not None or call.gather is not None:
                return

            async def work() -> None:
                if not call.ended and call.bridged is None and call.gather is None:
                    await driver.play_prompt(call, "hold_music", repeat=HOLD_REPEAT)

            driver.run(call, work)

        driver.later(call, seconds, hold_again)
    return seconds
