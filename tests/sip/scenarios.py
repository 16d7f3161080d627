"""sipp scenarios for the SIP plane tests, written out per test.

sipp takes no keyword in a ``response=`` or ``milliseconds=`` attribute, so the expected
reply codes and pauses are filled in here; everything else uses sipp's own ``-key`` keywords
(``[ext]``, ``[domain]``, ``[did]``, ``[caller]``).
"""

from __future__ import annotations

from pathlib import Path

_SDP = """v=0
      o=ua 1 1 IN IP4 [local_ip]
      s=-
      c=IN IP4 [local_ip]
      t=0 0
      m=audio [media_port] RTP/AVP 8 0
      a=rtpmap:8 PCMA/8000
      a=rtpmap:0 PCMU/8000"""

_REGISTER = """
  <send retrans="500">
    <![CDATA[
      REGISTER sip:[domain] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:[ext]@[domain]>;tag=[call_number]
      To: <sip:[ext]@[domain]>
      Call-ID: [call_id]
      CSeq: {cseq} REGISTER
      Contact: <sip:[ext]@[local_ip]:{contact_port}>
      {auth}
      Max-Forwards: 70
      Expires: 120
      User-Agent: sipp-seat/[ext]
      Content-Length: 0

    ]]>
  </send>"""


def _scenario(name: str, body: str) -> str:
    return f'<?xml version="1.0" encoding="ISO-8859-1" ?>\n<scenario name="{name}">{body}\n</scenario>\n'


def register(expected: int, *, contact_port: int | None = None) -> str:
    """REGISTER, answer the digest challenge, expect ``expected`` (200, or 403 for a refusal).

    ``contact_port``: register a contact on another port, where an answering sipp listens.
    """
    port = str(contact_port) if contact_port else "[local_port]"
    body = (
        _REGISTER.format(cseq=1, auth="", contact_port=port)
        + '\n  <recv response="401" auth="true"/>'
        + _REGISTER.format(cseq=2, auth="[authentication]", contact_port=port)
        + f'\n  <recv response="{expected}" start_rtd="1" rtd="1"/>'
    )
    return _scenario(f"register expecting {expected}", body)


_INVITE = (
    """
  <send retrans="500" start_rtd="1">
    <![CDATA[
      INVITE sip:[did]@{target} SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:[caller]@{from_domain}>;tag=[call_number]
      To: <sip:[did]@{target}>
      Call-ID: [call_id]
      CSeq: {cseq} INVITE
      Contact: <sip:[caller]@[local_ip]:[local_port]>
      {auth}
      Max-Forwards: 70
      Content-Type: application/sdp
      Content-Length: [len]

      """
    + _SDP
    + """
    ]]>
  </send>"""
)

_ACK_FAILURE = """
  <send>
    <![CDATA[
      ACK sip:[did]@{target} SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:[caller]@{from_domain}>;tag=[call_number]
      To: <sip:[did]@{target}>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: {cseq} ACK
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>"""

_ANSWERED = """
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="183" optional="true"/>
  <recv response="200" rtd="1" rrs="true"/>
  <send>
    <![CDATA[
      ACK [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:[caller]@{from_domain}>;tag=[call_number]
      To: <sip:[did]@{target}>[peer_tag_param]
      [routes]
      Call-ID: [call_id]
      CSeq: {cseq} ACK
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
  <pause milliseconds="{hold_ms}"/>
  <send retrans="500">
    <![CDATA[
      BYE [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:[caller]@{from_domain}>;tag=[call_number]
      To: <sip:[did]@{target}>[peer_tag_param]
      [routes]
      Call-ID: [call_id]
      CSeq: {bye_cseq} BYE
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
  <recv response="200"/>"""


def trunk_call(expected: int, *, hold_ms: int = 0) -> str:
    """A carrier's INVITE to [did] (From [caller]@its address): expect ``expected``.

    200 means the call is answered, held for ``hold_ms`` and hung up by the caller; any other code
    is a refusal, which is acknowledged. The INVITE → final reply time is sipp's RTD 1.
    """
    values = {"target": "[remote_ip]:[remote_port]", "from_domain": "[local_ip]", "cseq": 1, "auth": ""}
    body = _INVITE.format(**values)
    if expected == 200:
        body += _ANSWERED.format(**values, hold_ms=hold_ms, bye_cseq=2)
    else:
        body += '\n  <recv response="100" optional="true"/>'
        body += f'\n  <recv response="{expected}" rtd="1"/>'
        body += _ACK_FAILURE.format(**values)
    return _scenario(f"trunk call expecting {expected}", body)


def seat_call(expected: int, *, hold_ms: int = 0) -> str:
    """A seat ([caller]@[domain]) calls [did]@[domain] with digest authentication."""
    values = {"target": "[domain]", "from_domain": "[domain]"}
    body = _INVITE.format(**values, cseq=1, auth="")
    body += '\n  <recv response="100" optional="true"/>'
    body += '\n  <recv response="407" auth="true"/>'
    body += _ACK_FAILURE.format(**values, cseq=1)
    body += _INVITE.format(**values, cseq=2, auth="[authentication]")
    if expected == 200:
        body += _ANSWERED.format(**values, cseq=2, hold_ms=hold_ms, bye_cseq=3)
    else:
        body += '\n  <recv response="100" optional="true"/>'
        body += f'\n  <recv response="{expected}" rtd="1"/>'
        body += _ACK_FAILURE.format(**values, cseq=2)
    return _scenario(f"seat call expecting {expected}", body)


def engine() -> str:
    """The engine's SIP side stand-in: answer each INVITE, keep the call until the caller's BYE."""
    return _scenario(
        "engine stand-in",
        """
  <recv request="INVITE" crlf="true"/>
  <send>
    <![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]engine[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      [last_Record-Route:]
      Contact: <sip:engine@[local_ip]:[local_port]>
      Content-Type: application/sdp
      Content-Length: [len]

      """
        + _SDP
        + """
    ]]>
  </send>
  <recv request="ACK" crlf="true"/>
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
  </send>""",
    )


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / f"{name}.xml"
    path.write_text(text)
    return path
