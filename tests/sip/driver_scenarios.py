"""sipp scenarios for the sip switch driver tests: a carrier that presses a key, and seats.

The carrier sends its RFC 2833 digit by replaying one of sipp's bundled DTMF captures
(``play_pcap_audio``) to the media address of the engine's 200 OK, which is rtpengine's.
"""

from __future__ import annotations

from pathlib import Path

from tests.sip.scenarios import _scenario

DTMF_PCAP_DIR = Path("/usr/share/sip-tester")

_SDP = """v=0
      o=carrier 1 1 IN IP4 [local_ip]
      s=-
      c=IN IP4 [local_ip]
      t=0 0
      m=audio [media_port] RTP/AVP 8 101
      a=rtpmap:8 PCMA/8000
      a=rtpmap:101 telephone-event/8000
      a=fmtp:101 0-15"""

_CARRIER_START = (
    """
  <send retrans="500">
    <![CDATA[
      INVITE sip:[did]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:[caller]@[local_ip]>;tag=[call_number]carrier
      To: <sip:[did]@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 INVITE
      Contact: <sip:[caller]@[local_ip]:[local_port]>
      Max-Forwards: 70
      Content-Type: application/sdp
      Content-Length: [len]

      """
    + _SDP
    + """
    ]]>
  </send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="200" rrs="true"/>
  <send>
    <![CDATA[
      ACK [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:[caller]@[local_ip]>;tag=[call_number]carrier
      To: <sip:[did]@[remote_ip]:[remote_port]>[peer_tag_param]
      [routes]
      Call-ID: [call_id]
      CSeq: 1 ACK
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
  <pause milliseconds="{before_digit_ms}"/>
  <nop><action><exec play_pcap_audio="{pcap}"/></action></nop>
  {talk}<pause milliseconds="{after_digit_ms}"/>"""
)

_CARRIER_BYE = """
  <send retrans="500">
    <![CDATA[
      BYE [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:[caller]@[local_ip]>;tag=[call_number]carrier
      To: <sip:[did]@[remote_ip]:[remote_port]>[peer_tag_param]
      [routes]
      Call-ID: [call_id]
      CSeq: 2 BYE
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
  <recv response="200"/>"""

_RECEIVE_BYE = """
  <recv request="BYE"/>
  <send>
    <![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0

    ]]>
  </send>"""


def _talk(pause_ms: int = 0) -> str:
    """Speech: sipp's bundled 7 s of PCMA, sent from our media port (for the recording)."""
    pause = f'<pause milliseconds="{pause_ms}"/>\n  ' if pause_ms else ""
    return f'{pause}<nop><action><exec play_pcap_audio="{DTMF_PCAP_DIR / "g711a.pcap"}"/></action></nop>\n  '


def carrier(*, digit: str, before_digit_ms: int, after_digit_ms: int, hangs_up: bool, talks: bool = False) -> str:
    """A carrier call to [did] that presses ``digit`` (then, with ``talks``, speaks once the agent is
    likely on); then hangs up itself or waits for our BYE."""
    pcap = DTMF_PCAP_DIR / f"dtmf_2833_{digit}.pcap"
    talk = _talk(2500) if talks else ""
    after_digit_ms = max(0, after_digit_ms - 2500) if talks else after_digit_ms
    body = _CARRIER_START.format(pcap=pcap, before_digit_ms=before_digit_ms, after_digit_ms=after_digit_ms, talk=talk)
    body += _CARRIER_BYE if hangs_up else _RECEIVE_BYE
    return _scenario("carrier pressing a key", body)


_SEAT_ANSWER = """
  <recv request="INVITE" rrs="true">{capture}</recv>
  <send>
    <![CDATA[
      SIP/2.0 180 Ringing
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]seat[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      [last_Record-Route:]
      Contact: <sip:[ext]@[local_ip]:[local_port]>
      Content-Length: 0

    ]]>
  </send>"""

# The seat picks up: 200 with its SDP (PCMA on sipp's media port), then the engine's ACK.
_SEAT_OK = """
  <pause milliseconds="300"/>
  <send retrans="500">
    <![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]seat[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      [last_Record-Route:]
      Contact: <sip:[ext]@[local_ip]:[local_port]>
      Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o=seat 1 1 IN IP4 [local_ip]
      s=-
      c=IN IP4 [local_ip]
      t=0 0
      m=audio [media_port] RTP/AVP 8
      a=rtpmap:8 PCMA/8000
    ]]>
  </send>
  <recv request="ACK"/>"""

# The seat hangs up itself, ``{pause}`` ms after its last step ([$engine_tag]: the engine's From-tag).
_SEAT_BYE = """
  <pause milliseconds="{pause}"/>
  <send retrans="500">
    <![CDATA[
      BYE [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      [routes]
      From: <sip:[ext]@[domain]>;tag=[pid]seat[call_number]
      To: <sip:caller@[domain]>[$engine_tag]
      Call-ID: [call_id]
      CSeq: 1 BYE
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
  <recv response="200"/>"""

# The engine's From-tag, for the To of the seat's own BYE (sipp's [peer_tag_param] is empty in a UAS).
CAPTURE_ENGINE_TAG = (
    '<action><ereg regexp=";tag=[^;>]+" search_in="hdr" header="From:" assign_to="engine_tag"/></action>'
)


def seat(*, answers: bool, hangs_up_after_ms: int | None = None, talks: bool = False) -> str:
    """A desk phone: rings; answers (then waits for BYE, or hangs up itself), or rings until CANCEL."""
    hangs_up = answers and hangs_up_after_ms is not None
    body = _SEAT_ANSWER.format(capture=CAPTURE_ENGINE_TAG if hangs_up else "")
    if not answers:
        body += """
  <recv request="CANCEL"/>
  <send>
    <![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]seat[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0

    ]]>
  </send>
  <send>
    <![CDATA[
      SIP/2.0 487 Request Terminated
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]seat[call_number]
      [last_Call-ID:]
      CSeq: 1 INVITE
      Content-Length: 0

    ]]>
  </send>
  <recv request="ACK"/>"""
        return _scenario("seat that never answers", body)
    body += _SEAT_OK
    if talks:
        body += "\n  " + _talk()
    if hangs_up_after_ms is None:
        body += _RECEIVE_BYE
    else:
        body += _SEAT_BYE.format(pause=hangs_up_after_ms)
    return _scenario("seat answering", body)


def busy_seat() -> str:
    """A desk phone that is busy: 486 to the INVITE at once."""
    body = """
  <recv request="INVITE" rrs="true"/>
  <send>
    <![CDATA[
      SIP/2.0 486 Busy Here
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]seat[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0

    ]]>
  </send>
  <recv request="ACK"/>"""
    return _scenario("busy seat", body)
