"""Reads of the SIP plane's state that pages, the wallboard and the API share."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.db import connection

from apps.telephony import agent_states
from apps.tenants.models import SipDirectoryEntry, Tenant
from apps.tenants.services.provisioning import tenant_domain


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


def _transport(contact: str, received: str) -> str:
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
        "SELECT username, contact, user_agent, expires, COALESCE(received, '') FROM kamailio.location"
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
        for username, contact, user_agent, expires, received in cursor.fetchall():
            registrations.setdefault(username, []).append(
                SeatRegistration(
                    extension=username,
                    contact=contact,
                    user_agent=user_agent,
                    expires=expires.replace(tzinfo=UTC),
                    received=received,
                    transport=_transport(contact, received),
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

    def as_dict(self) -> dict:
        return {
            "extension": self.extension,
            "uri": self.uri,
            "authorization_user": self.authorization_user,
            "realm": self.realm,
            "ha1": self.ha1,
            "ws_url": self.ws_url,
        }


def softphone_credentials(tenant: Tenant, agent) -> SoftphoneCredentials | None:
    """The SIP credentials of the seat ``agent`` is logged into now, or None.

    Handing the HA1 to that agent's browser is acceptable because an HA1 is only good for digest
    answers in its own realm (the tenant's domain) under its own username: it opens that one seat,
    which the agent already holds, and nothing else — not another seat, not another tenant, not
    the console. It is read from the directory Kamailio checks, so it is always the current one,
    and it stops being handed out the moment the agent logs out or moves seats.
    """
    if agent is None or agent.seat_id is None or agent.state == agent_states.OFFLINE:
        return None
    seat = agent.seat
    entry = SipDirectoryEntry.objects.filter(tenant=tenant, username=seat.sip_username).first()
    if entry is None:
        return None
    realm = tenant_domain(tenant.slug)
    return SoftphoneCredentials(
        extension=seat.extension,
        uri=f"sip:{seat.extension}@{realm}",
        authorization_user=entry.username,
        realm=realm,
        ha1=entry.ha1,
        ws_url=settings.SIP_WS_PUBLIC_URL,
    )
