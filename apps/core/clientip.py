"""The client's address, decided by one trusted-proxy setting.

Behind a load balancer every request's ``REMOTE_ADDR`` is the balancer, so lockout, sign-up
limits and audit rows would all see one address. ``X-Forwarded-For`` is written by the client
first and appended to by each proxy, so only its right-hand end can be believed: walk it from
the right, skipping hops that are our own proxies (``TRUSTED_PROXIES``, addresses or CIDR
networks), and take the first address that is not. With no trusted proxies configured the
header is ignored entirely (a client could otherwise name any address it likes).
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _networks(proxies: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(proxy.strip(), strict=False) for proxy in proxies if proxy.strip())


def _trusted(address: str, networks: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_ip_from(remote_addr: str, forwarded_for: str) -> str:
    """The rightmost address that is not one of our proxies ("" if none is known)."""
    networks = _networks(tuple(getattr(settings, "TRUSTED_PROXIES", ()) or ()))
    if not networks or not _trusted(remote_addr, networks):
        return remote_addr
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, networks):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return remote_addr  # a garbled hop: do not trust anything left of it
    return hops[0] if hops else remote_addr


def client_ip(request) -> str:
    """The client address of a Django/DRF request (or an ASGI ``scope``), or ``""``."""
    meta = getattr(getattr(request, "_request", request), "META", None)
    if meta is not None:
        return client_ip_from(meta.get("REMOTE_ADDR", "") or "", meta.get("HTTP_X_FORWARDED_FOR", "") or "")
    scope = request  # a Channels/ASGI scope
    client = scope.get("client") or ("", 0)
    headers = dict(scope.get("headers") or [])
    forwarded = headers.get(b"x-forwarded-for", b"").decode("latin-1")
    return client_ip_from(client[0] or "", forwarded)
