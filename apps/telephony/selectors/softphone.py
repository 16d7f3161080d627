"""Whether a SIP plane carries this installation's audio: one rule for every page that asks.

The desk decides from it whether to load the browser softphone, and the wallboard whether a
supervisor's "listen" can make any phone ring; asked separately, the two once disagreed (the desk
also looked at ``SIP_WS_PUBLIC_URL``, the wallboard did not).

``SOFTPHONE_ENABLED`` decides (docs/sip.md, "Which setting decides"). ``SIP_WS_PUBLIC_URL``
cannot: it always has a ``ws://SIP_WS_ADDRESS:SIP_WS_PORT`` default, whether or not Kamailio
listens there. Only a URL blanked in code (a test's settings override) also counts as "no plane",
since a softphone without an address to dial could only fail.
"""

from __future__ import annotations

from django.conf import settings


def sip_plane_configured() -> bool:
    """True where a SIP plane answers; false with ``make run``'s simulated switch (Procfile sets
    ``SOFTPHONE_ENABLED=false``), where the engine delivers calls to the desk and nothing carries audio."""
    return bool(settings.SOFTPHONE_ENABLED) and bool(getattr(settings, "SIP_WS_PUBLIC_URL", ""))
