"""rtpengine's pcap recordings → a stereo WAV: the caller on the left, the agent on the right.

rtpengine records in userspace as pcap (its recording daemon needs a kernel module we do not
have): raw IP packets (link type 101), each party's RTP as received. A party is recognised by
the media address it announced in its SDP; each packet is placed by its capture time, so both
channels stay aligned without trusting either side's RTP clock. G.711 (PCMA, PCMU) is decoded
here — what our SDP offers; other payloads (telephone-event, comfort noise) are skipped.
IVR prompts and hold music are played by rtpengine towards the caller, not received from a
party, so they are not in the recording.
"""

from __future__ import annotations

import contextlib
import os
import re
import struct
import wave
from pathlib import Path
from urllib.parse import quote

RATE = 8000
LINKTYPE_RAW = 101
LINKTYPE_ETHERNET = 1
PCMU, PCMA = 0, 8


def _alaw(byte: int) -> int:
    byte ^= 0x55
    exponent = (byte >> 4) & 0x07
    mantissa = byte & 0x0F
    value = (mantissa << 4) + 8 if exponent == 0 else ((mantissa << 4) + 0x108) << (exponent - 1)
    return value if byte & 0x80 else -value


def _ulaw(byte: int) -> int:
    byte = ~byte & 0xFF
    exponent = (byte >> 4) & 0x07
    value = (((byte & 0x0F) << 3) + 0x84) << exponent
    value -= 0x84
    return -value if byte & 0x80 else value


ALAW = [_alaw(index) for index in range(256)]
ULAW = [_ulaw(index) for index in range(256)]


def read_rtp(path: Path):
    """Yield (capture time, (source ip, source port), payload type, payload) for each RTP packet."""
    data = Path(path).read_bytes()
    if len(data) < 24:
        return
    magic = data[:4]
    endian = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    nanoseconds = magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
    link = struct.unpack(endian + "I", data[20:24])[0]
    offset = 24
    while offset + 16 <= len(data):
        seconds, fraction, captured, _original = struct.unpack(endian + "IIII", data[offset : offset + 16])
        packet = data[offset + 16 : offset + 16 + captured]
        offset += 16 + captured
        if link == LINKTYPE_ETHERNET:
            packet = packet[14:]
        elif link != LINKTYPE_RAW:
            continue
        if len(packet) < 20 or packet[0] >> 4 != 4 or packet[9] != 17:  # IPv4 UDP only
            continue
        header = (packet[0] & 0x0F) * 4
        source = ".".join(str(part) for part in packet[12:16])
        source_port = struct.unpack("!H", packet[header : header + 2])[0]
        rtp = packet[header + 8 :]
        if len(rtp) < 12 or rtp[0] >> 6 != 2:
            continue
        skip = 12 + 4 * (rtp[0] & 0x0F)
        if rtp[0] & 0x10 and len(rtp) >= skip + 4:  # header extension
            skip += 4 + 4 * struct.unpack("!H", rtp[skip + 2 : skip + 4])[0]
        payload = rtp[skip:]
        if rtp[0] & 0x20 and payload:  # padding
            payload = payload[: -payload[-1]]
        when = seconds + fraction / (1e9 if nanoseconds else 1e6)
        yield when, (source, source_port), rtp[1] & 0x7F, payload


# Each G.711 code as its 16-bit little-endian sample: a payload decodes with one C-level join.
_ALAW_SAMPLES = [struct.pack("<h", value) for value in ALAW]
_ULAW_SAMPLES = [struct.pack("<h", value) for value in ULAW]


def stereo_wav(pcaps: list[Path], out: Path, *, caller: tuple[str, int], agents: list[tuple[str, int]]) -> Path:
    """Write ``out``: left = packets from ``caller``'s media address, right = from any of ``agents``'.

    Written to a temporary name first and renamed, so a reader never sees half a file."""
    packets = [packet for path in pcaps for packet in read_rtp(path)]
    channels: tuple[bytearray, bytearray] = (bytearray(), bytearray())
    start = min((packet[0] for packet in packets), default=0.0)
    agent_sources = set(agents)
    for when, source, payload_type, payload in sorted(packets, key=lambda packet: packet[0]):
        if payload_type not in (PCMA, PCMU):
            continue
        if source == caller:
            channel = channels[0]
        elif source in agent_sources:
            channel = channels[1]
        else:
            continue
        table = _ALAW_SAMPLES if payload_type == PCMA else _ULAW_SAMPLES
        position = int((when - start) * RATE) * 2
        samples = b"".join(map(table.__getitem__, payload))
        if len(channel) < position:
            channel.extend(bytes(position - len(channel)))
        channel[position : position + len(samples)] = samples
    length = max(len(channels[0]), len(channels[1]))
    for channel in channels:
        channel.extend(bytes(length - len(channel)))
    # Interleave 16-bit frames (left, right) with extended-slice copies instead of a Python loop.
    frames = bytearray(length * 2)
    frames[0::4], frames[1::4] = channels[0][0::2], channels[0][1::2]
    frames[2::4], frames[3::4] = channels[1][0::2], channels[1][1::2]
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(f".{out.name}.partial")
    with wave.open(str(partial), "wb") as target:
        target.setnchannels(2)
        target.setsampwidth(2)
        target.setframerate(RATE)
        target.writeframes(bytes(frames))
    os.replace(partial, out)
    return out


def pcap_prefix(call_id: str) -> str:
    """How rtpengine names a call's files: the Call-ID, percent-quoted (then ``-<16 hex>``)."""
    return quote(call_id, safe="")


def finished_pcaps(recording_dir: Path, call_id: str) -> list[Path] | None:
    """The call's pcaps once rtpengine has closed them all, or None while one is still open.

    rtpengine keeps a recording's metadata in ``tmp/`` while the pcap is being written and moves
    it to ``metadata/`` when it closes the pcap; the metadata's first line names the pcap.
    An empty list: the call left no recording at all."""
    name = re.compile(re.escape(pcap_prefix(call_id)) + r"-[0-9a-f]{16}")
    recording_dir = Path(recording_dir)

    def ours(directory: str, suffix: str) -> list[Path]:
        with contextlib.suppress(OSError):
            return sorted(
                path
                for path in (recording_dir / directory).iterdir()
                if path.name.endswith(suffix)
                and name.fullmatch(path.name.removeprefix("rtpengine-meta-")[: -len(suffix)])
            )
        return []

    if ours("tmp", ".tmp"):
        return None
    pcaps = ours("pcaps", ".pcap")
    closed = {path.name.removeprefix("rtpengine-meta-")[: -len(".txt")] for path in ours("metadata", ".txt")}
    if any(path.name[: -len(".pcap")] not in closed for path in pcaps):
        return None
    return pcaps


def remove_pcaps(recording_dir: Path, pcaps: list[Path]) -> None:
    """Delete converted pcaps and their metadata (the stereo WAV is the recording from now on)."""
    for pcap in pcaps:
        meta = Path(recording_dir) / "metadata" / f"rtpengine-meta-{pcap.name[: -len('.pcap')]}.txt"
        for path in (pcap, meta):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()


def sdp_media_address(sdp: str) -> tuple[str, int] | None:
    """The (address, port) a party's SDP says it sends audio from (symmetric RTP)."""
    address, port = "", 0
    for line in sdp.splitlines():
        line = line.strip()
        if line.startswith("c=IN IP4 ") and not address:
            address = line.split()[-1]
        elif line.startswith("m=audio "):
            port = int(line.split()[1])
    return (address, port) if address and port else None


def call_recording_convert(
    *, recording_dir: Path, call_id: str, out: Path, caller: tuple[str, int], agents: list[tuple[str, int]]
) -> Path | None:
    """Convert one call's closed pcaps into ``out`` and delete them; None while rtpengine still
    writes one. Run again after success (a redelivered task), it finds no pcap and returns
    ``out`` if the WAV is still there. Raises FileNotFoundError when the call left nothing."""
    pcaps = finished_pcaps(recording_dir, call_id)
    if pcaps is None:
        return None
    if not pcaps:
        if out.exists():
            return out
        raise FileNotFoundError(f"no recording of {call_id!r} under {recording_dir}")
    stereo_wav(pcaps, out, caller=caller, agents=agents)
    # The WAV holds everything the pcaps did that we keep (both parties' G.711 audio); a failed
    # conversion raises before this line, so its pcaps stay for a look.
    remove_pcaps(recording_dir, pcaps)
    return out
