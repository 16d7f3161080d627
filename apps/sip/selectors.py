"""Reads of the SIP plane's state that pages, the wallboard and the API share."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from django.db import connection

from apps.tenants.models import Tenant
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
