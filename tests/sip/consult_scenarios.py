"""sipp seats for the attended-transfer tests: they answer, then take the engine's re-INVITEs.

A seat answers the engine's INVITE, then answers ``reinvites`` re-INVITEs (each with its SDP,
on the same media port; with ``talks`` it speaks after the answer and after each re-INVITE),
then waits for the engine's BYE — or, with ``hangs_up_after_ms``,
sends its own BYE once the re-INVITEs are done.
"""

from __future__ import annotations

from tests.sip.driver_scenarios import _RECEIVE_BYE, _SEAT_ANSWER, _SEAT_BYE, _SEAT_OK, CAPTURE_ENGINE_TAG, _talk
from tests.sip.scenarios import _scenario

_REINVITE = """
  <recv request="INVITE"/>
  <send retrans="500">
    <![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Contact: <sip:[ext]@[local_ip]:[local_port]>
      Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o=seat 1 {version} IN IP4 [local_ip]
      s=-
      c=IN IP4 [local_ip]
      t=0 0
      m=audio [media_port] RTP/AVP 8
      a=rtpmap:8 PCMA/8000
    ]]>
  </send>
  <recv request="ACK"/>"""


def seat(*, reinvites: int, talks: bool = False, hangs_up_after_ms: int | None = None) -> str:
    """A desk phone that answers, takes ``reinvites`` re-INVITEs, then hangs up or waits for BYE."""
    capture = CAPTURE_ENGINE_TAG if hangs_up_after_ms is not None else ""
    body = _SEAT_ANSWER.format(capture=capture) + _SEAT_OK
    if talks:
        body += "\n  " + _talk()
    for version in range(2, 2 + reinvites):
        body += _REINVITE.format(version=version)
        if talks:
            body += "\n  " + _talk()
    if hangs_up_after_ms is None:
        body += _RECEIVE_BYE
    else:
        body += _SEAT_BYE.format(pause=hangs_up_after_ms)
    return _scenario(f"seat taking {reinvites} re-INVITEs", body)
