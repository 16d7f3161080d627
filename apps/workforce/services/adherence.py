"""Live adherence on the wallboard: every few seconds (beat ``workforce-adherence-live``) each
tenant's agents on a published shift are compared with their schedule and the result is sent
to the wallboard sockets as one ``adherence.update`` message (docs/realtime.md).

Why a periodic push rather than a hook on state changes: an agent falls out of adherence when
the *schedule* moves (a break begins and the agent stays on the phones) as often as when their
state does, and no event marks a schedule boundary. With the beat every 5 s and a grace of
60 s (``adherence_grace_seconds``), a supervisor sees an agent flagged within 5 s of the grace
running out. The message carries every agent on shift, so a socket that connected since the
last one is complete at the next; a tenant with nobody on shift is sent one empty message
(clearing old flags) and then nothing until someone is.
"""

from __future__ import annotations

import datetime as dt

from django.core.cache import cache

from apps.core.events import publish_on_commit
from apps.core.tenancy import current_schema
from apps.workforce.selectors.adherence import live_adherence

MESSAGE_TYPE = "adherence.update"
_LAST_KEY = "workforce:adherence:nonempty:{schema}"


def adherence_publish_live(*, now: dt.datetime | None = None) -> int:
    """Publish the current tenant's live adherence to its wallboard; the number of agents sent
    (0 when nothing was sent or the list was empty)."""
    agents = live_adherence(now)
    key = _LAST_KEY.format(schema=current_schema())
    if not agents:
        if cache.get(key):
            publish_on_commit("wallboard", {"type": MESSAGE_TYPE, "agents": []})
            cache.delete(key)
        return 0
    publish_on_commit("wallboard", {"type": MESSAGE_TYPE, "agents": agents})
    cache.set(key, True, timeout=3600)
    return len(agents)
