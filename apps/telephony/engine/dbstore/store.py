"""The DbStore itself: the writes of each concern put together on the one machinery."""

from __future__ import annotations

import logging

from apps.telephony.engine.dbstore.agents import AgentWrites
from apps.telephony.engine.dbstore.calls import CallWrites

logger = logging.getLogger(__name__)


class DbStore(CallWrites, AgentWrites):
    """The engine's database store (see the package's docstring): the call, agent and realtime
    writes over :class:`~apps.telephony.engine.dbstore.core.StoreCore`."""
