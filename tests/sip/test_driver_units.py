"""The sip driver's pure parts, without servers: ng encoding, SIP messages, prompts, pcap → WAV."""

from __future__ import annotations

import struct
import wave

import pytest

from apps.telephony.engine.drivers.sip import media, recording
from apps.telephony.engine.drivers.sip.message import (
    SipParseError,
    header_tag,
    header_uri,
    parse,
    response,
    uri_host_port,
    uri_user,
)
from apps.telephony.engine.drivers.sip.ng import bdecode, bencode

INVITE = (
    b"INVITE sip:4008200002@127.0.0.1:5070 SIP/2.0\r\n"
    b"Record-Route: <sip:127.0.0.1:5060;lr;ftag=abc>\r\n"
    b"v: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKk1, SIP/2.0/UDP 127.0.0.3:5099;branch=z9hG4bKc1\r\n"
    b"f: <sip:13900000001@127.0.0.3>;tag=abc\r\n"
    b"t: <sip:4008200002@127.0.0.1>\r\n"
    b"i: call-1@127.0.0.3\r\n"
    b"CSeq: 1 INVITE\r\n"
    b"m: <sip:13900000001@127.0.0.3:5099>\r\n"
    b"X-CC-Tenant: acme\r\n"
    b"Subject: folded\r\n  on two lines\r\n"
    b"l: 4\r\n\r\nbodyEXTRA"
)


def test_bencode_round_trip_and_rtpengine_shapes():
    message = {"command": "offer", "call-id": "c1", "flags": ["trust-address"], "repeat-times": 3}
    assert bencode(message) == b"d7:call-id2:c17:command5:offer5:flagsl13:trust-addresse12:repeat-timesi3ee"
    assert bdecode(bencode(message)) == message
    with pytest.raises(ValueError):
        bdecode(b"i1ejunk")


def test_parse_expands_compact_headers_folds_and_cuts_the_body():
    invite = parse(INVITE)
    assert (invite.method, invite.call_id, invite.cseq) == ("INVITE", "call-1@127.0.0.3", (1, "INVITE"))
    assert invite.from_tag == "abc" and invite.to_tag == ""
    assert invite.branch == "z9hG4bKk1" and len(invite.get_all("via")) == 2
    assert invite.get("subject") == "folded on two lines"
    assert invite.body == b"body"
    assert invite.get("x-cc-tenant") == "acme"


def test_response_copies_dialog_headers_and_adds_our_tag():
    reply = parse(response(parse(INVITE), 200, "OK", to_tag="ours", extra=[("Contact", "<sip:e@h>")]).encode())
    assert reply.status == 200 and reply.to_tag == "ours" and reply.from_tag == "abc"
    assert reply.get_all("record-route") == ["<sip:127.0.0.1:5060;lr;ftag=abc>"]
    assert len(reply.get_all("via")) == 2 and reply.get("content-length") == "0"
    busy = parse(response(parse(INVITE), 486, "Busy Here", to_tag="ours").encode())
    assert busy.get_all("record-route") == []


def test_uri_helpers_and_bad_messages():
    assert header_uri('"Ann" <sip:1001@acme.example.com>;tag=x') == "sip:1001@acme.example.com"
    assert header_tag("<sip:a@b;tag=notme>;tag=me") == "me"
    assert uri_user("sip:1001@acme.example.com") == "1001"
    assert uri_host_port("<sip:127.0.0.1:5060;lr>") == ("127.0.0.1", 5060)
    assert uri_host_port("sip:1001@example.com") == ("example.com", 5060)
    for bad in (b"garbage", b"INVITE sip:x SIP/3.0\r\n\r\n", b"SIP/2.0 abc OK\r\n\r\n"):
        with pytest.raises(SipParseError):
            parse(bad)


def test_prompts_default_when_the_file_is_missing(tmp_path):
    media.ensure_default_prompts(tmp_path)
    assert media.prompt_path(tmp_path, "Welcome to ACME, press 1") == tmp_path / "default.wav"
    assert media.prompt_path(tmp_path, "../../etc/passwd") == tmp_path / "default.wav"
    assert media.prompt_path(tmp_path, "hold_music") == tmp_path / "hold_music.wav"
    assert 1.0 < media.wav_seconds(tmp_path / "hold_music.wav") < 5.0
    sdp = "v=0\r\nc=IN IP4 10.0.0.1\r\nm=audio 4000 RTP/AVP 8\r\na=rtcp:4001\r\n"
    assert media.sdp_with_address(sdp, "127.0.0.1", 9) == "v=0\r\nc=IN IP4 127.0.0.1\r\nm=audio 9 RTP/AVP 8\r\n"


def _pcap(path, packets):
    """A raw-IP pcap (link type 101) as rtpengine writes it."""
    out = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 101)
    for when, (source, port), payload_type, payload in packets:
        rtp = struct.pack("!BBHII", 0x80, payload_type, 1, 0, 1) + payload
        udp = struct.pack("!HHHH", port, 30000, 8 + len(rtp), 0) + rtp
        ip = struct.pack(
            "!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0, bytes(map(int, source.split("."))), bytes(4)
        )
        packet = ip + udp
        out += struct.pack("<IIII", int(when), int(when % 1 * 1e6), len(packet), len(packet)) + packet
    path.write_bytes(out)


def test_pcap_to_stereo_wav_puts_the_caller_left_and_the_agent_right(tmp_path):
    caller, agent = ("127.0.0.3", 4000), ("127.0.0.1", 5000)
    loud_alaw = bytes([0xAA]) * 160  # PCMA 0xAA decodes to +32256
    _pcap(
        tmp_path / "call.pcap",
        [
            (100.0, caller, 8, loud_alaw),
            (100.5, agent, 0, bytes([0x00]) * 160),  # PCMU 0x00: -32124
            (100.52, agent, 101, b"\x01\x0a\x00\xa0"),  # telephone-event: not audio
            (100.6, ("127.0.0.9", 1), 8, loud_alaw),  # someone else: not recorded
        ],
    )
    out = recording.stereo_wav([tmp_path / "call.pcap"], tmp_path / "call.wav", caller=caller, agents=[agent])
    with wave.open(str(out), "rb") as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (2, 2, 8000)
        samples = struct.unpack(f"<{wav.getnframes() * 2}h", wav.readframes(wav.getnframes()))
    left, right = samples[0::2], samples[1::2]
    assert len(left) == 4000 + 160  # the agent's packet starts half a second in
    assert set(left[:160]) == {32256} and set(left[160:]) == {0}
    assert set(right[:4000]) == {0} and set(right[4000:]) == {-32124}
    assert recording.sdp_media_address("c=IN IP4 127.0.0.3\r\nm=audio 4000 RTP/AVP 8\r\n") == caller
