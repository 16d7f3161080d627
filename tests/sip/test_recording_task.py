"""The Celery task that turns rtpengine's pcap of a SIP call into the call's stereo Recording.

The pcaps here are built byte for byte in rtpengine's layout (``pcaps/<quoted Call-ID>-<16 hex>.pcap``,
link type 101 = raw IPv4, a metadata file in ``tmp/`` while open and in ``metadata/`` once closed):
the caller speaks a loud A-law tone, the agent a quieter µ-law one, a stranger something else.
"""

from __future__ import annotations

import math
import struct
import wave
from pathlib import Path
from urllib.parse import quote

import pytest
from celery.exceptions import Retry
from django_tenants.utils import tenant_context

from apps.telephony import tasks
from apps.telephony.engine.drivers.sip import recording
from apps.telephony.models import Recording
from apps.telephony.services import cdr
from apps.telephony.tasks import recording_convert_task
from tests.telephony.call_factories import at, uid

CALL_ID = "17-4242@127.0.0.3"
CALLER = ("127.0.0.3", 40000)
AGENT = ("127.0.0.1", 40002)
STRANGER = ("127.0.0.9", 40004)
SECONDS = 1.0


def _linear_to_code(table: list[int], sample: int) -> int:
    return min(range(256), key=lambda code: abs(table[code] - sample))


def _tone(table: list[int], amplitude: int, hertz: float) -> bytes:
    codes = {}
    out = bytearray()
    for index in range(int(SECONDS * 8000)):
        sample = round(amplitude * math.sin(2 * math.pi * hertz * index / 8000))
        if sample not in codes:
            codes[sample] = _linear_to_code(table, sample)
        out.append(codes[sample])
    return bytes(out)


def _packet(source: tuple[str, int], payload_type: int, sequence: int, payload: bytes) -> bytes:
    rtp = struct.pack("!BBHII", 0x80, payload_type, sequence, sequence * 160, 0x1234) + payload
    udp = struct.pack("!HHHH", source[1], 30000, 8 + len(rtp), 0) + rtp
    addresses = bytes(int(part) for part in source[0].split(".")) + bytes([127, 0, 0, 1])
    ip = struct.pack("!BBHHHBBH", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0) + addresses
    return ip + udp


def _write_pcap(path: Path, streams: list[tuple[tuple[str, int], int, bytes]]) -> None:
    """Each stream: (source, payload type, audio codes), 20 ms per packet, interleaved in time."""
    records = []
    for source, payload_type, codes in streams:
        for sequence, offset in enumerate(range(0, len(codes), 160)):
            when = 1_700_000_000 + sequence * 0.02
            records.append((when, _packet(source, payload_type, sequence, codes[offset : offset + 160])))
    data = bytearray(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, recording.LINKTYPE_RAW))
    for when, packet in sorted(records, key=lambda record: record[0]):
        seconds = int(when)
        data += struct.pack("<IIII", seconds, round((when - seconds) * 1e6), len(packet), len(packet)) + packet
    path.write_bytes(bytes(data))


def _rtpengine_files(directory: Path, *, closed: bool = True) -> tuple[Path, Path]:
    """One call's pcap and metadata as rtpengine leaves them (open: metadata still in ``tmp/``)."""
    name = f"{quote(CALL_ID, safe='')}-0123456789abcdef"
    for folder in ("pcaps", "metadata", "tmp"):
        (directory / folder).mkdir(parents=True, exist_ok=True)
    pcap = directory / "pcaps" / f"{name}.pcap"
    _write_pcap(
        pcap,
        [
            (CALLER, recording.PCMA, _tone(recording.ALAW, 12000, 440)),
            (AGENT, recording.PCMU, _tone(recording.ULAW, 4000, 300)),
            (STRANGER, recording.PCMA, _tone(recording.ALAW, 20000, 1000)),
        ],
    )
    meta = directory / ("metadata" if closed else "tmp") / f"rtpengine-meta-{name}{'.txt' if closed else '.tmp'}"
    meta.write_text(f"{pcap}\n\n\ncall start time: 2026-11-22T10:00:00\n")
    return pcap, meta


def _convert(tenant, directory: Path, call_uid: str, *, retries: int = 0) -> str:
    # As the engine sends it: from the public schema, the tenant's schema as an argument.
    return recording_convert_task.apply(
        args=[call_uid, tenant.schema_name, str(directory), CALL_ID, list(CALLER), [list(AGENT)]], retries=retries
    ).get()


def _channels(frames: bytes) -> tuple[tuple[int, ...], tuple[int, ...]]:
    samples = struct.unpack(f"<{len(frames) // 2}h", frames)
    return samples[0::2], samples[1::2]


def test_a_closed_pcap_becomes_the_calls_stereo_recording_and_is_removed(acme, tmp_path):
    pcap, meta = _rtpengine_files(tmp_path)
    with tenant_context(acme.tenant):
        call = cdr.call_open(uid=uid(), direction="inbound", caller="13900000001", callee="400", at=at(0))

    assert _convert(acme.tenant, tmp_path, call.uid) == str(tmp_path / "wav" / f"{call.uid}.wav")

    with tenant_context(acme.tenant):
        stored = Recording.objects.get(call=call)
        assert stored.content_type == "audio/wav"
        assert stored.file.name.startswith(f"tenants/{acme.tenant.schema_name}/recordings/")
        with stored.file.open("rb") as handle, wave.open(handle) as audio:
            assert (audio.getnchannels(), audio.getsampwidth(), audio.getframerate()) == (2, 2, 8000)
            frames = audio.readframes(audio.getnframes())
    left, right = _channels(frames)
    # Caller left (the loud A-law tone), agent right (the quieter µ-law one), the stranger nowhere.
    assert 11000 < max(left) <= 12500 and 3500 < max(right) <= 4500
    assert len(left) >= 0.95 * SECONDS * 8000
    # The pcap and its metadata are gone (the WAV holds the call now), and so is the WAV (in storage).
    assert not pcap.exists() and not meta.exists()
    assert not list((tmp_path / "wav").iterdir())


def test_a_call_without_a_cdr_leaves_its_wav_in_place(acme, tmp_path):
    pcap, _meta = _rtpengine_files(tmp_path)
    out = Path(_convert(acme.tenant, tmp_path, "sip-no-such-call"))
    with wave.open(str(out)) as audio:
        assert audio.getnchannels() == 2 and audio.getnframes() >= 0.95 * SECONDS * 8000
    assert not pcap.exists()
    with tenant_context(acme.tenant):
        assert not Recording.objects.exists()


def test_a_pcap_rtpengine_still_writes_is_retried_then_left_alone(acme, tmp_path, monkeypatch):
    monkeypatch.setattr(tasks, "RECORDING_WAIT_SECONDS", 0.0)
    pcap, meta = _rtpengine_files(tmp_path, closed=False)
    with pytest.raises(Retry):  # tasks run inline here: the retry the worker would schedule
        _convert(acme.tenant, tmp_path, "sip-still-open")
    assert _convert(acme.tenant, tmp_path, "sip-still-open", retries=recording_convert_task.max_retries) == ""
    assert pcap.exists() and meta.exists()
    assert not (tmp_path / "wav").exists()


def test_a_call_that_left_no_pcap_is_a_quiet_no_op(acme, tmp_path):
    assert _convert(acme.tenant, tmp_path, "sip-never-recorded") == ""


@pytest.mark.parametrize("other", ["17-4242@127.0.0.3x", "7-4242@127.0.0.3"])
def test_only_the_calls_own_pcaps_are_taken(tmp_path, other):
    _rtpengine_files(tmp_path)
    foreign = tmp_path / "pcaps" / f"{quote(other, safe='')}-fedcba9876543210.pcap"
    foreign.write_bytes(b"")
    pcaps = recording.finished_pcaps(tmp_path, CALL_ID)
    assert [path.name for path in pcaps] == [f"{quote(CALL_ID, safe='')}-0123456789abcdef.pcap"]
