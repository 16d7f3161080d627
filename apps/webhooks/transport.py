"""Sending one signed POST to an integrator's endpoint, never to our own network.

Server-side request forgery is the risk of every webhook: a tenant administrator names a URL
and our server calls it, from inside our network. So, unless ``WEBHOOKS_ALLOW_PRIVATE_ADDRESSES``
is on (the development settings; never in production):

1. the host is resolved once (``getaddrinfo``) and **every** address it resolves to must be a
   public (globally routable) one — loopback, private (10/8, 172.16/12, 192.168/16, fc00::/7),
   link-local (169.254/16: cloud metadata), shared (100.64/10), unspecified, multicast and
   reserved addresses are refused, as are IPv6 forms that embed one (``::ffff:127.0.0.1``, 6to4);
2. the connection is then made **to that checked address** (the socket is pinned), with the
   original name in ``Host`` and in TLS (SNI and certificate verification), so a DNS answer that
   changes between the check and the connection (DNS rebinding) cannot redirect it;
3. redirects are not followed (a 3xx is a failed attempt), and every socket operation has a
   time-out (``WEBHOOK_TIMEOUT_SECONDS``).
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
RESPONSE_KEEP = 1000  # characters of the response body kept in the delivery log


class UnsafeDestination(Exception):
    """The URL may not be called: ``code`` is stable (``bad_url``, ``unresolvable``, ``private_address``)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Destination:
    scheme: str
    host: str
    port: int
    target: str  # path and query, as sent on the request line
    addresses: tuple[str, ...]  # every address the host resolved to, each one checked


@dataclass(frozen=True)
class Response:
    status: int
    body: str
    duration_ms: int


def private_allowed() -> bool:
    return bool(getattr(settings, "WEBHOOKS_ALLOW_PRIVATE_ADDRESSES", False))


def _embedded(ip: IPAddress) -> IPAddress | None:
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return ip.ipv4_mapped
        if ip.sixtofour is not None:
            return ip.sixtofour
        if ip.teredo is not None:
            return ip.teredo[1]
    return None


def address_allowed(address: str, *, allow_private: bool | None = None) -> bool:
    """Whether a delivery may connect to ``address`` (an IP literal)."""
    allow = private_allowed() if allow_private is None else allow_private
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if ip.is_multicast or ip.is_unspecified:
        return False
    if allow:
        return True
    inner = _embedded(ip)
    if inner is not None and not address_allowed(str(inner), allow_private=False):
        return False
    return ip.is_global


def url_parts(url: str) -> tuple[str, str, int, str]:
    """``(scheme, host, port, target)`` of an http(s) URL without credentials; else ``bad_url``."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise UnsafeDestination("bad_url", "The URL is not valid.") from error
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UnsafeDestination("bad_url", "Use an http:// or https:// URL with a host name.")
    if parts.username or parts.password:
        raise UnsafeDestination("bad_url", "Put no user name or password in the URL.")
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80), target


def destination_check(url: str, *, allow_private: bool | None = None) -> Destination:
    """Resolve ``url``'s host once and check every address; raise :class:`UnsafeDestination`."""
    scheme, host, port, target = url_parts(url)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError) as error:
        raise UnsafeDestination("unresolvable", "The host name does not resolve.") from error
    addresses = tuple(dict.fromkeys(str(info[4][0]) for info in infos))
    if not addresses:
        raise UnsafeDestination("unresolvable", "The host name does not resolve.")
    refused = [address for address in addresses if not address_allowed(address, allow_private=allow_private)]
    if refused:
        raise UnsafeDestination(
            "private_address",
            f"The host resolves to an address that is not public ({refused[0]}): webhooks are sent to the internet only.",
        )
    return Destination(scheme=scheme, host=host, port=port, target=target, addresses=addresses)


def _connect(address: str, port: int, timeout: float) -> socket.socket:
    """A TCP connection to the IP literal ``address`` — no name lookup at all."""
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        sock.connect((address, port))
    except OSError:
        sock.close()
        raise
    return sock


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the checked ``address``; ``Host`` still names the original host."""

    def __init__(self, host: str, port: int, *, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self.pinned_address = address
        self.pinned_timeout = timeout

    def connect(self) -> None:
        self.sock = _connect(self.pinned_address, self.port, self.pinned_timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """TLS to the checked ``address``, verified against the original host name (SNI too)."""

    def __init__(self, host: str, port: int, *, address: str, timeout: float) -> None:
        self.tls_context = ssl.create_default_context()
        super().__init__(host, port, timeout=timeout, context=self.tls_context)
        self.pinned_address = address
        self.pinned_timeout = timeout

    def connect(self) -> None:
        sock = _connect(self.pinned_address, self.port, self.pinned_timeout)
        self.sock = self.tls_context.wrap_socket(sock, server_hostname=self.host)


def post(
    destination: Destination, body: bytes, headers: dict[str, str], *, timeout: float, keep: int = RESPONSE_KEEP
) -> Response:
    """POST ``body`` to the checked destination (its first address that accepts a connection).

    Raises ``OSError`` (refused, reset, time-out, TLS) or ``http.client.HTTPException`` (a
    response that is not HTTP); the caller records either as a failed attempt. At most ``keep``
    characters of the answer's body are read (the IVR's http node reads more than the log keeps)."""
    started = time.monotonic()
    last_error: OSError | None = None
    for address in destination.addresses:
        kind = _PinnedHTTPSConnection if destination.scheme == "https" else _PinnedHTTPConnection
        connection = kind(destination.host, destination.port, address=address, timeout=timeout)
        try:
            connection.request("POST", destination.target, body=body, headers=headers)
            reply = connection.getresponse()
            text = reply.read(keep * 4).decode("utf-8", "replace")[:keep]
            return Response(status=reply.status, body=text, duration_ms=int((time.monotonic() - started) * 1000))
        except ConnectionRefusedError as error:  # the next address may be listening
            last_error = error
        finally:
            connection.close()
    raise last_error or OSError("no address to connect to")
