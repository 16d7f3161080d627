"""Automatic call distribution: plain Python, no Django, no I/O.

The engine owns one :class:`Acd` per tenant. It tells the ACD about queues, agents becoming
available or unavailable, and calls arriving or leaving; the ACD answers with
:class:`Assignment` s. Everything the ACD returns is already *reserved* in memory: the agent
has left the available set and the call has left its queue, under one lock, so no agent is
offered two calls and no call two agents. Across engine processes, the database
compare-and-set in ``apps.telephony.services.reservation`` is the final word.

Times are floats in seconds on the engine's clock (virtual or real), never datetimes.
"""

from .model import AgentProfile, Assignment, QueueConfig, WaitingCall
from .router import Acd

__all__ = ["Acd", "AgentProfile", "Assignment", "QueueConfig", "WaitingCall"]
