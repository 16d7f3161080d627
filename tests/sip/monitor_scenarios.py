"""Stand-in SIP phones for the supervisor monitoring tests: a carrier, an agent's seat and a
supervisor's seat, each a small UA in Python with real RTP sockets.

Why not sipp here: the tests must see *which* party's audio reaches whom (the supervisor gets
the caller and the agent; the caller and the agent never get the supervisor), and the
supervisor's phone must take an offer with two ``m=audio`` sections. Each stand-in sends
PCMA packets whose payload is one fill byte of its own and records the fill bytes it receives
on each of its media sockets — rtpengine relays G.711 untouched, so the byte names the sender.
SIP parsing and building is the driver's own ``drivers.sip.message`` (the wire format is what is
under test, through Kamailio and rtpengine, not the parser).
"""

from __future__ import annotations

import contextlib
import os
import socket
import struct
import threading
import time

from apps.telephony.engine.drivers.sip.message import (
    SipMessage,
    SipParseError,
    header_uri,
    new_branch,
    new_tag,
    parse,
    response,
    uri_host_port,
)

# PCMA bytes of moderate positive samples (1376, 1888, 688): their sums stay distinct, unclipped.
CALLER_FILL, AGENT_FILL, SUPERVISOR_FILL = 0xE0, 0xE8, 0xF0
PACKET_MS = 20


class Media:
    """One RTP socket: receives (counting fill bytes) and, given a target, sends its own fill."""

    def __init__(self, host: str, fill: int, ssrc: int) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((host, 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.fill = fill
        self.ssrc = ssrc
        self.target: tuple[str, int] | None = None
        self.sending = False
        self.sent = 0
        self.received: dict[int, int] = {}  # fill byte -> packets
        self.lock = threading.Lock()
        self.closed = False
        threading.Thread(target=self._receive, daemon=True).start()
        threading.Thread(target=self._send, daemon=True).start()

    def count(self, fill: int) -> int:
        with self.lock:
            return self.received.get(fill, 0)

    def reset(self) -> None:
        """Forget what came so far (the prompts and hold music played before the answer)."""
        with self.lock:
            self.received.clear()

    def total(self) -> int:
        with self.lock:
            return sum(self.received.values())

    def _receive(self) -> None:
        while not self.closed:
            try:
                data = self.sock.recv(2048)
            except (TimeoutError, OSError):
                continue
            if len(data) > 12 and data[0] >> 6 == 2 and (data[1] & 0x7F) in (0, 8):
                with self.lock:
                    self.received[data[-1]] = self.received.get(data[-1], 0) + 1

    def _send(self) -> None:
        sequence = 0
        while not self.closed:
            time.sleep(PACKET_MS / 1000)
            if not self.sending or self.target is None:
                continue
            sequence += 1
            header = struct.pack("!BBHII", 0x80, 8, sequence & 0xFFFF, sequence * 160, self.ssrc)
            with contextlib.suppress(OSError):
                self.sock.sendto(header + bytes([self.fill]) * 160, self.target)
                self.sent += 1

    def close(self) -> None:
        self.closed = True
        self.sending = False
        self.sock.close()


def sdp_sections(sdp: str) -> list[tuple[str, int, str]]:
    """(connection address, port, direction) of each audio section of ``sdp``."""
    session_address, sections = "", []
    for line in sdp.splitlines():
        line = line.strip()
        if line.startswith("m=audio "):
            sections.append([session_address, int(line.split()[1]), "sendrecv"])
        elif line.startswith("c=IN IP4 "):
            if sections:
                sections[-1][0] = line.split()[-1]
            else:
                session_address = line.split()[-1]
        elif line in ("a=sendonly", "a=recvonly", "a=sendrecv", "a=inactive") and sections:
            sections[-1][2] = line[2:]
    return [(address, port, direction) for address, port, direction in sections]


class StandIn:
    """A phone on ``host:port``: answers every INVITE (one media socket per offered section) or
    calls out through ``proxy``; answers BYE; sends BYE when told to."""

    def __init__(self, name: str, host: str, *, proxy: tuple[str, int], fill: int, port: int = 0) -> None:
        self.name = name
        self.host = host
        self.proxy = proxy
        self.fill = fill
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((host, port))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.invites: list[SipMessage] = []  # INVITEs received (re-INVITEs too)
        self.byes: list[SipMessage] = []  # BYEs received
        self.responses: list[SipMessage] = []
        self.media: list[Media] = []
        self.dialog: dict = {}
        self.closed = False
        self.lock = threading.Lock()
        threading.Thread(target=self._loop, daemon=True).start()

    # --- what the tests look at ---------------------------------------------------------------
    @property
    def offer(self) -> str:
        return self.invites[0].body.decode(errors="replace") if self.invites else ""

    def stop_media(self) -> None:
        for media in self.media:
            media.sending = False

    def close(self) -> None:
        self.closed = True
        for media in self.media:
            media.close()
        self.sock.close()

    # --- SIP -----------------------------------------------------------------------------------
    def _send(self, message: SipMessage, target: tuple[str, int]) -> None:
        with contextlib.suppress(OSError):
            self.sock.sendto(message.encode(), target)

    def _loop(self) -> None:
        while not self.closed:
            try:
                data, addr = self.sock.recvfrom(65535)
            except (TimeoutError, OSError):
                continue
            if not data.strip():
                continue
            try:
                message = parse(data)
            except (SipParseError, ValueError):
                continue
            with self.lock:
                if message.is_request:
                    self._request(message, addr)
                else:
                    self._response(message)

    def _sdp(self, directions: list[str], ports: list[int]) -> str:
        lines = ["v=0", f"o={self.name} 1 1 IN IP4 {self.host}", "s=-", f"c=IN IP4 {self.host}", "t=0 0"]
        for direction, port in zip(directions, ports, strict=True):
            lines += [f"m=audio {port} RTP/AVP 8", "a=rtpmap:8 PCMA/8000", f"a={direction}"]
        return "\r\n".join(lines) + "\r\n"

    def _request(self, request: SipMessage, addr: tuple) -> None:
        method = request.method
        if method == "INVITE":
            self.invites.append(request)
            if request.to_tag:  # a re-INVITE: keep the media as it is
                body = self.dialog.get("answer", "").encode()
                self._send(response(request, 200, "OK", extra=self._contact_sdp(), body=body), addr)
                return
            offered = sdp_sections(request.body.decode(errors="replace"))
            local_tag = new_tag()
            directions, ports = [], []
            for address, port, direction in offered:
                media = Media(self.host, self.fill, ssrc=int.from_bytes(os.urandom(4), "big"))
                self.media.append(media)
                if port:
                    media.target = (address, port)
                    media.sending = True  # a supervisor talks too: the test checks nobody hears it
                directions.append({"sendonly": "recvonly", "recvonly": "sendonly"}.get(direction, "sendrecv"))
                ports.append(media.port)
            answer = self._sdp(directions, ports)
            self.dialog = {
                "call_id": request.call_id,
                "local_tag": local_tag,
                "local_uri": header_uri(request.get("to")),
                "remote": request.get("from"),
                "target": header_uri(request.get("contact")),
                "routes": request.get_all("record-route"),
                "cseq": 1,
                "answer": answer,
            }
            self._send(response(request, 180, "Ringing", to_tag=local_tag), addr)
            self._send(
                response(request, 200, "OK", to_tag=local_tag, extra=self._contact_sdp(), body=answer.encode()), addr
            )
            return
        if method == "BYE":
            self.byes.append(request)
            self.stop_media()
            self._send(response(request, 200, "OK"), addr)
            return
        if method in ("ACK",):
            return
        if method == "CANCEL":
            self._send(response(request, 200, "OK"), addr)
            return
        self._send(response(request, 200, "OK"), addr)

    def _contact_sdp(self) -> list[tuple[str, str]]:
        return [("Contact", f"<sip:{self.name}@{self.host}:{self.port}>"), ("Content-Type", "application/sdp")]

    def _response(self, reply: SipMessage) -> None:
        self.responses.append(reply)
        _number, method = reply.cseq
        if method != "INVITE" or reply.status < 200 or not self.dialog or self.dialog.get("confirmed"):
            return
        if reply.status >= 300:
            return
        self.dialog.update(
            confirmed=True,
            remote=f"{reply.get('to')}",
            target=header_uri(reply.get("contact")),
            routes=list(reversed(reply.get_all("record-route"))),
        )
        self._in_dialog("ACK", cseq=1)
        sections = sdp_sections(reply.body.decode(errors="replace"))
        if sections and self.media:
            address, port, _direction = sections[0]
            self.media[0].target = (address, port)
            self.media[0].sending = True

    def _in_dialog(self, method: str, *, cseq: int | None = None) -> None:
        dialog = self.dialog
        if cseq is None:
            dialog["cseq"] += 1
            cseq = dialog["cseq"]
        message = SipMessage(method=method, uri=dialog["target"])
        message.headers += [
            ("Via", f"SIP/2.0/UDP {self.host}:{self.port};branch={new_branch()};rport"),
            ("Max-Forwards", "70"),
            ("From", f"<{dialog['local_uri']}>;tag={dialog['local_tag']}"),
            ("To", dialog["remote"]),
            ("Call-ID", dialog["call_id"]),
            ("CSeq", f"{cseq} {method}"),
        ]
        message.headers += [("Route", route) for route in dialog["routes"]]
        first = dialog["routes"][0] if dialog["routes"] else dialog["target"]
        self._send(message, uri_host_port(header_uri(first)))

    # --- calling and hanging up ---------------------------------------------------------------
    def call(self, did: str, caller: str) -> None:
        """INVITE ``did`` through the proxy (a carrier's call), one PCMA section."""
        media = Media(self.host, self.fill, ssrc=int.from_bytes(os.urandom(4), "big"))
        self.media.append(media)
        call_id = f"{os.urandom(8).hex()}@{self.host}"
        local_tag = new_tag()
        proxy = f"{self.proxy[0]}:{self.proxy[1]}"
        self.dialog = {
            "call_id": call_id,
            "local_tag": local_tag,
            "local_uri": f"sip:{caller}@{self.host}",
            "remote": f"<sip:{did}@{proxy}>",
            "target": f"sip:{did}@{proxy}",
            "routes": [],
            "cseq": 1,
        }
        invite = SipMessage(method="INVITE", uri=f"sip:{did}@{proxy}")
        invite.headers += [
            ("Via", f"SIP/2.0/UDP {self.host}:{self.port};branch={new_branch()};rport"),
            ("Max-Forwards", "70"),
            ("From", f"<sip:{caller}@{self.host}>;tag={local_tag}"),
            ("To", f"<sip:{did}@{proxy}>"),
            ("Call-ID", call_id),
            ("CSeq", "1 INVITE"),
            ("Contact", f"<sip:{caller}@{self.host}:{self.port}>"),
            ("Content-Type", "application/sdp"),
        ]
        invite.body = self._sdp(["sendrecv"], [media.port]).encode()
        with self.lock:
            self._send(invite, self.proxy)

    def hang_up(self) -> None:
        """BYE in the dialog (the phone hangs up)."""
        with self.lock:
            self.stop_media()
            self._in_dialog("BYE")

    def bye_answered(self) -> bool:
        return any(reply.status == 200 and reply.cseq[1] == "BYE" for reply in self.responses)
