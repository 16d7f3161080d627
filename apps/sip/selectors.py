"""Reads of the SIP plane's state that pages, the wallboard and the API share."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.conf import settings
from django.db import connection

from apps.sip.turn import turn_credentials
from apps.telephony import agent_states
from apps.telephony.choices import SeatRegistrationMode
from apps.tenants.domains import tenant_domain
from apps.tenants.models import SipDirectoryEntry, Tenant


@dataclass(frozen=True)
class SeatRegistration:
    """One registered device of a seat (a seat may have several: desk phone and browser)."""

    extension: str
    contact: str
    user_agent: str
    expires: datetime
    received: str
    transport: str

    def as_dict(self) -> dict:
        return {
            "contact": self.contact,
            "user_agent": self.user_agent,
            "expires": self.expires.isoformat(),
            "transport": self.transport,
        }


def _transport(contact: str, received: str, socket: str = "") -> str:
    # RFC 7118 has one URI parameter for WebSocket, transport=ws, secure or not: the socket the
    # registration came in on (tls:… is Kamailio's WSS listener) tells wss apart.
    if (socket or "").lower().startswith("tls:") and "transport=ws" in f"{received} {contact}".lower():
        return "wss"
    for uri in (received, contact):
        lowered = (uri or "").lower()
        for name in ("wss", "ws", "tls", "tcp"):
            if f"transport={name}" in lowered:
                return name
    return "udp"


def seat_registrations(tenant: Tenant, *, extensions: list[str] | None = None) -> dict[str, list[SeatRegistration]]:
    """Live registrations of the tenant's seats, by extension (unregistered seats are absent).

    Kamailio writes its location table through (usrloc db_mode 1) in UTC (it runs with TZ=UTC),
    and removes expired rows only every few seconds, hence the ``expires`` filter here.
    """
    sql = (
        "SELECT username, contact, user_agent, expires, COALESCE(received, ''), COALESCE(socket, '')"
        " FROM kamailio.location"
        " WHERE domain = %s AND expires > (now() AT TIME ZONE 'UTC')"
    )
    params: list = [tenant_domain(tenant.slug)]
    if extensions is not None:
        sql += " AND username = ANY(%s)"
        params.append(list(extensions))
    sql += " ORDER BY username, expires DESC"
    registrations: dict[str, list[SeatRegistration]] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for username, contact, user_agent, expires, received, socket in cursor.fetchall():
            registrations.setdefault(username, []).append(
                SeatRegistration(
                    extension=username,
                    contact=contact,
                    user_agent=user_agent,
                    expires=expires.replace(tzinfo=UTC),
                    received=received,
                    transport=_transport(contact, received, socket),
                )
            )
    return registrations


@dataclass(frozen=True)
class SoftphoneCredentials:
    """What the agent desk's softphone needs to register as the agent's current seat."""

    extension: str
    uri: str
    authorization_user: str
    realm: str
    ha1: str
    ws_url: str
    # Remote seats (apps/sip/turn.py): the TURN server with this login's time-limited credential.
    ice_servers: list[dict] = field(default_factory=list)
    ice_expires_at: datetime | None = None
    force_relay: bool = False

    def as_dict(self) -> dict:
        return {
            "extension": self.extension,
            "uri": self.uri,
            "authorization_user": self.authorization_user,
            "realm": self.realm,
            "ha1": self.ha1,
            "ws_url": self.ws_url,
            "ice_servers": self.ice_servers,
            "ice_expires_at": self.ice_expires_at.isoformat() if self.ice_expires_at else None,
            "ice_transport_policy": "relay" if self.force_relay else "all",
        }


def softphone_credentials(tenant: Tenant, agent, *, not_after: datetime | None = None) -> SoftphoneCredentials | None:
    """The per-login SIP credential of the browser seat ``agent`` is logged into now, or None.

    None when the agent holds no seat, is offline, or holds a desk phone seat (whose long-lived
    secret is for administrators and the phone only: apps.telephony.services.seat_credentials).
    The HA1 is read from the directory row Kamailio checks, so it is always the current one; it
    was issued when this agent logged into the seat and is replaced when they leave it, so reading
    it gives nothing that outlives the agent's hold on the seat. An HA1 is only good for digest
    answers in its own realm (the tenant's domain) under its own username: it opens that one seat,
    not another seat, not another tenant, not the console.

    With TURN on, the answer also carries a TURN credential for this agent that expires after
    ``TURN_CREDENTIAL_TTL_SECONDS`` or at ``not_after`` (the web session's expiry), whichever
    comes first; the desk fetches a fresh one while the agent stays logged in.
    """
    if agent is None or agent.seat_id is None or agent.state == agent_states.OFFLINE:
        return None
    seat = agent.seat
    if seat.registration_mode != SeatRegistrationMode.BROWSER:
        return None
    entry = SipDirectoryEntry.objects.filter(tenant=tenant, username=seat.sip_username).first()
    if entry is None:
        return None
    realm = tenant_domain(tenant.slug)
    turn = turn_credentials(tenant_slug=tenant.slug, user_id=agent.user_id, not_after=not_after)
    return SoftphoneCredentials(
        extension=seat.extension,
        uri=f"sip:{seat.extension}@{realm}",
        authorization_user=entry.username,
        realm=realm,
        ha1=entry.ha1,
        ws_url=settings.SIP_WS_PUBLIC_URL,
        ice_servers=[turn.ice_server()] if turn else [],
        ice_expires_at=turn.expires_at if turn else None,
        # Relay only makes sense with a relay to go through.
        force_relay=bool(settings.SOFTPHONE_FORCE_RELAY and turn),
    )
