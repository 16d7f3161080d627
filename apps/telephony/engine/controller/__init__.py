"""Call control, written once against the switch-driver interface.

One :class:`CallController` runs one tenant's contact center: it listens to a
:class:`~apps.telephony.engine.drivers.base.SwitchDriver`, walks callers through the IVR
(:mod:`apps.telephony.ivr.runner`), queues them in the ACD (:class:`apps.telephony.acd.Acd`),
offers them to agents, and follows each call to the end of its wrap-up. Everything it learns
goes to a :class:`~apps.telephony.engine.store.Store`. It is synchronous and single-threaded:
driver events, clock timers and desktop commands (:meth:`CallController.handle_message`) all
run on one loop (virtual or asyncio), so no locks are needed here.

The life of an inbound call::

    arrived ─► IVR (play / gather / survey …) ─► queued ─► offered (ringing) ─► talking ⇄ hold
                      │                          │  ▲            │ ring timeout: RONA, back to
                      │                          │  └────────────┘ the queue, first agent NotReady("missed")
                      ▼                          ▼
             voicemail, callback,         abandoned, overflow (to a queue, a number, or hang-up),
             transfer, hang-up            callback request (keeps the caller's place)

    talking ─► ended (caller or agent hung up) ─► agent wrap-up (queue.wrapup_seconds, or
               call.wrapup from the desktop) ─► agent Ready ─► the ACD may match them at once.

The life of an outbound campaign call (the pacing is :mod:`apps.telephony.dialer`'s)::

    dialled, nobody on our side ─► busy / failed / no answer (ring timeout) / blocked
        └► far end answers ─► AMD: machine → hung up (a person taken for one: abandoned)
                               └► live answer ─► queued first in the campaign's queue
                                   ├► an agent within the grace (2 s): connected at once ─► talk, wrap-up
                                   └► nobody: abandon message, hung up

Desktop commands arrive as the engine inbox messages of the issue 3 contract (``call.answer``,
``call.hangup``, ``call.transfer``, ``call.wrapup``, ``agent.state`` …, docs/realtime.md).

Where each step lives (one module per concern; :class:`CallController` in :mod:`.core` holds the
tables and hands each driver event to the part that owns it)::

    core.py           the tables, configuration, driver events, the public methods
    ivr.py            walking a caller through the IVR graph (apps.telephony.ivr.runner)
    queueing.py       queues: hold music, announcements, callback offers, overflow, the ACD tick
    offers.py         offers to agents: ringing, RONA, withdraw, connect
    wrapup.py         the end of a call, wrap-up, calls that end without talk
    callbacks.py      callback requests and their dials, click-to-dial
    campaigns.py      CampaignCalls: campaign dials, AMD, live answers, abandons, previews
    consultations.py  Consultations: attended transfers
    conferences.py    Conferences: three-way conferences grown from a consultation
    agents.py         agent state changes (the engine's and people's), desk notifications
    inbox.py          messages from the web and API processes (docs/realtime.md), blind transfer
    common.py         shared numbers (timeouts, priorities, outcomes)
"""

from apps.telephony.engine.controller.consultations import Consult
from apps.telephony.engine.controller.core import CallController

__all__ = ["CallController", "Consult"]
