"""A tenant's host name, derived from its slug.

A leaf module (settings only): the SIP plane and telephony's plant name a tenant's SIP realm by
it, and sign-up reserves it, so it must not sit in a module that imports either of them.
"""

from __future__ import annotations

from django.conf import settings


def tenant_domain(slug: str) -> str:
    return f"{slug}.{settings.PLATFORM_DOMAIN}"
