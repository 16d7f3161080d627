"""SIP messages: just enough parsing and building for a B2BUA behind our own Kamailio.

Headers keep their order and repetition (Via and Record-Route matter); names are compared
case-insensitively and compact forms are expanded, since Kamailio and phones may use either.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

COMPACT = {
    "v": "via",
    "f": "from",
    "t": "to",
    "i": "call-id",
    "m": "contact",
    "l": "content-length",
    "c": "content-type",
}
ANGLE_RE = re.compile(r"<([^>]*)>")
BARE_URI_RE = re.compile(r"^\s*([^;\s]+)")
TAG_RE = re.compile(r";\s*tag=([^;>\s]+)", re.IGNORECASE)
USER_RE = re.compile(r"sips?:([^@;>]+)@")
HOST_PORT_RE = re.compile(r"sips?:(?:[^@;>]+@)?([^:;>]+)(?::(\d+))?")


class SipParseError(ValueError):
    pass


@dataclass
class SipMessage:
    method: str = ""  # requests
    uri: str = ""
    status: int = 0  # responses
    reason: str = ""
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""

    @property
    def is_request(self) -> bool:
        return bool(self.method)

    def get(self, name: str, default: str = "") -> str:
        name = name.lower()
        for key, value in self.headers:
            if key.lower() == name:
                return value
        return default

    def get_all(self, name: str) -> list[str]:
        name = name.lower()
        values = []
        for key, value in self.headers:
            if key.lower() == name:
                values += split_commas(value) if name in ("via", "record-route", "route") else [value]
        return values

    def set(self, name: str, value: str) -> None:
        self.headers = [(key, item) for key, item in self.headers if key.lower() != name.lower()]
        self.headers.append((name, value))

    @property
    def call_id(self) -> str:
        return self.get("call-id")

    @property
    def cseq(self) -> tuple[int, str]:
        number, _, method = self.get("cseq").strip().partition(" ")
        try:
            return int(number), method.strip().upper()
        except ValueError:
            raise SipParseError("bad CSeq") from None

    @property
    def from_tag(self) -> str:
        return header_tag(self.get("from"))

    @property
    def to_tag(self) -> str:
        return header_tag(self.get("to"))

    @property
    def branch(self) -> str:
        via = self.get_all("via")
        match = re.search(r";\s*branch=([^;\s,]+)", via[0], re.IGNORECASE) if via else None
        return match.group(1) if match else ""

    def encode(self) -> bytes:
        start = f"{self.method} {self.uri} SIP/2.0" if self.method else f"SIP/2.0 {self.status} {self.reason}"
        lines = [start]
        lines += [f"{key}: {value}" for key, value in self.headers if key.lower() != "content-length"]
        lines.append(f"Content-Length: {len(self.body)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + self.body


def split_commas(value: str) -> list[str]:
    """Split a header value on commas outside <...> and quotes."""
    parts: list[str] = []
    current: list[str] = []
    depth, quoted = 0, False
    for char in value:
        if char == '"':
            quoted = not quoted
        elif not quoted and char == "<":
            depth += 1
        elif not quoted and char == ">":
            depth -= 1
        if char == "," and depth == 0 and not quoted:
            parts.append("".join(current).strip())
            current = []
        else:
            current.append(char)
    if "".join(current).strip():
        parts.append("".join(current).strip())
    return parts


def parse(data: bytes) -> SipMessage:
    head, separator, body = data.partition(b"\r\n\r\n")
    if not separator:
        raise SipParseError("no end of headers")
    try:
        lines = head.decode("utf-8", errors="replace").split("\r\n")
    except Exception as error:  # pragma: no cover - errors="replace" never raises
        raise SipParseError(str(error)) from None
    start = lines[0].split(" ", 2)
    message = SipMessage()
    if start[0] == "SIP/2.0":
        if len(start) < 2 or not start[1].isdigit():
            raise SipParseError("bad status line")
        message.status = int(start[1])
        message.reason = start[2] if len(start) > 2 else ""
    else:
        if len(start) != 3 or start[2] != "SIP/2.0":
            raise SipParseError("bad request line")
        message.method, message.uri = start[0].upper(), start[1]
    for line in lines[1:]:
        if not line:
            continue
        if line[0] in " \t" and message.headers:  # folded line
            key, value = message.headers[-1]
            message.headers[-1] = (key, value + " " + line.strip())
            continue
        key, colon, value = line.partition(":")
        if not colon:
            raise SipParseError(f"bad header line {line!r}")
        key = key.strip()
        key = COMPACT.get(key.lower(), key)
        message.headers.append((key, value.strip()))
    length = message.get("content-length")
    message.body = body[: int(length)] if length.isdigit() else body
    return message


def header_tag(value: str) -> str:
    match = TAG_RE.search(value.split(">", 1)[-1] if ">" in value else value)
    return match.group(1) if match else ""


def header_uri(value: str) -> str:
    """The URI of a From/To/Contact/Route value: inside <...> when there is one (a display name
    may precede it), else up to the first parameter."""
    bracketed = ANGLE_RE.search(value)
    if bracketed:
        return bracketed.group(1)
    bare = BARE_URI_RE.search(value)
    return bare.group(1) if bare else ""


def uri_user(uri: str) -> str:
    match = USER_RE.search(uri)
    return match.group(1) if match else ""


def uri_host_port(uri: str, default_port: int = 5060) -> tuple[str, int]:
    match = HOST_PORT_RE.search(uri)
    if not match:
        raise SipParseError(f"bad URI {uri!r}")
    return match.group(1), int(match.group(2) or default_port)


def new_tag() -> str:
    return os.urandom(6).hex()


def new_branch() -> str:
    return "z9hG4bK" + os.urandom(8).hex()


def response(
    request: SipMessage, status: int, reason: str, *, to_tag: str = "", extra=(), body: bytes = b""
) -> SipMessage:
    """A response to ``request`` (Via, From, To, Call-ID and CSeq copied; Record-Route for 1xx/2xx)."""
    reply = SipMessage(status=status, reason=reason)
    for key, value in request.headers:
        lowered = key.lower()
        if lowered in ("via", "from", "call-id", "cseq") or (lowered == "record-route" and status < 300):
            reply.headers.append((key, value))
        elif lowered == "to":
            if to_tag and not header_tag(value):
                value = f"{value};tag={to_tag}"
            reply.headers.append((key, value))
    reply.headers += list(extra)
    reply.body = body
    return reply
