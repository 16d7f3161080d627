"""TURN credentials for remote seats: coturn's REST-API (time-limited, shared-secret) ones.

coturn runs with ``use-auth-secret`` and ``static-auth-secret`` (deploy/sip/turnserver.conf.tmpl):
a username is ``<expiry>:<tenant>:<user>`` (expiry in Unix seconds) and its password the base64
HMAC-SHA1 of the username under the shared secret. coturn recomputes the password and refuses a
username whose expiry has passed; the app stores nothing and coturn asks nothing of it.

The catch of such credentials (decision 0036): they cannot be revoked. So they are short —
``TURN_CREDENTIAL_TTL_SECONDS`` (10 minutes by default), never beyond the agent's web session —
and handed out only with the SIP credential of a seat the agent is logged into, which the desk
fetches again (``GET /api/v1/agents/me/sip``) every half lifetime while the agent is logged in.
An expiry limits *new* allocations: coturn keeps the key of an allocation it has authenticated,
so a call in progress keeps its relay after the credential it started with has expired.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings

from apps.sip.plane import SECRET_RE, PlaneError

MIN_TTL_SECONDS = 60
MAX_TTL_SECONDS = 86400


def turn_secret() -> str:
    """coturn's static-auth-secret: TURN_SECRET, or derived from SECRET_KEY (like the routing secret)."""
    configured = settings.TURN_SECRET
    if configured:
        if not SECRET_RE.match(configured):
            raise PlaneError("TURN_SECRET must be 16-128 letters, digits, '-' or '_'.")
        return configured
    if not settings.SECRET_KEY:
        raise PlaneError("Set DJANGO_SECRET_KEY (or TURN_SECRET): the TURN secret derives from it.")
    return hmac.new(settings.SECRET_KEY.encode(), b"turn-rest-api", hashlib.sha256).hexdigest()


def credential_ttl() -> int:
    ttl = int(settings.TURN_CREDENTIAL_TTL_SECONDS)
    if not MIN_TTL_SECONDS <= ttl <= MAX_TTL_SECONDS:
        raise PlaneError(
            f"TURN_CREDENTIAL_TTL_SECONDS must be between {MIN_TTL_SECONDS} and {MAX_TTL_SECONDS}, not {ttl}."
        )
    return ttl


def turn_password(secret: str, username: str) -> str:
    """base64(HMAC-SHA1(secret, username)): what coturn computes for ``use-auth-secret``."""
    return base64.b64encode(hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()).decode()


def _host(host: str) -> str:
    try:
        return f"[{host}]" if ipaddress.ip_address(host).version == 6 else host
    except ValueError:
        return host


def turn_urls(*, tls: bool | None = None) -> list[str]:
    """The TURN URLs browsers are given: UDP and TCP, and TLS (turns:) when a certificate is set."""
    host = _host(settings.TURN_PUBLIC_HOST or settings.TURN_ADDRESS)
    urls = [
        f"turn:{host}:{settings.TURN_PORT}?transport=udp",
        f"turn:{host}:{settings.TURN_PORT}?transport=tcp",
    ]
    if tls if tls is not None else bool(settings.SIP_TLS_CERT_FILE):
        urls.append(f"turns:{host}:{settings.TURN_TLS_PORT}?transport=tcp")
    return urls


@dataclass(frozen=True)
class TurnCredentials:
    username: str
    credential: str
    expires_at: datetime
    urls: list[str]

    def ice_server(self) -> dict:
        """One RTCIceServer (the browser's format)."""
        return {"urls": list(self.urls), "username": self.username, "credential": self.credential}


def turn_credentials(
    *, tenant_slug: str, user_id: int | str, now: datetime | None = None, not_after: datetime | None = None
) -> TurnCredentials | None:
    """Time-limited TURN credentials for one agent of one tenant, or None when TURN is off.

    They expire ``TURN_CREDENTIAL_TTL_SECONDS`` from ``now``, or at ``not_after`` (the agent's
    web session's expiry) if that comes first.
    """
    if not settings.TURN_ENABLED:
        return None
    now = now or datetime.now(UTC)
    expires_at = now + timedelta(seconds=credential_ttl())
    if not_after is not None and not_after < expires_at:
        expires_at = not_after
    expiry = int(expires_at.timestamp())
    username = f"{expiry}:{tenant_slug}:{user_id}"
    return TurnCredentials(
        username=username,
        credential=turn_password(turn_secret(), username),
        expires_at=datetime.fromtimestamp(expiry, UTC),
        urls=turn_urls(),
    )
