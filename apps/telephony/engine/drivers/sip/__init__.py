"""The ``sip`` switch driver: a B2BUA behind Kamailio, with media anchored by rtpengine.

Layout (one package; the former ``drivers/sip.py`` and ``drivers/sipstack/`` folded together),
from the leaves up — each module imports only those above it in this list:

* ``message.py`` — SIP messages: parse, build, headers (the wire format).
* ``ng.py`` — rtpengine's ng control protocol (bencode over UDP).
* ``media.py`` — prompts on disk, WAV lengths, SDP address rewriting.
* ``recording.py`` — rtpengine's pcap recordings → a stereo WAV (also used by the Celery task).
* ``calls.py`` — the call-state records ``Leg``, ``SipCall``, ``Consult``: plain data.
* ``stack.py`` — :class:`SipStack`, the engine process's socket, ng client and dispatch by Call-ID.
* ``dialogs.py`` — :class:`SipDialogs`, the driver's public interface for its helpers: work under
  a call's lock, events to the controller, requests on a dialog, the INVITE transaction, media.
* ``consult.py`` (attended transfer) and ``monitor.py`` (listen, whisper, barge) — helpers that
  use only :class:`SipDialogs` and the records.
* ``lifecycle.py`` — :class:`CallLifecycle`: answering, inviting a seat or a number, release.
* ``driver.py`` — :class:`SipDriver`: the call flow (what each message means, the commands).
* ``loading.py`` — what the runner loads: the stack from settings, seats and trunk addresses.

Why our own SIP user agent rather than ``sippy``: sippy runs its own thread-based reactor, while
the engine is one asyncio loop where controller, clock and driver events must never race. What
the driver needs is narrow (INVITE/100/180/200/ACK/BYE/CANCEL over UDP to our own Kamailio), so
a few hundred lines on asyncio keep everything on that loop.

The names below are the package's public face (``from apps.telephony.engine.drivers.sip import
SipDriver, SipStack``); everything else is imported from its module.
"""

from apps.telephony.engine.drivers.sip.calls import OUTSIDE, Consult, Leg, SipCall
from apps.telephony.engine.drivers.sip.dialogs import (
    ANSWERED,
    OTHER,
    PROVISIONAL,
    REFUSED,
    REPEATED,
    TIMER_H,
    SipDialogs,
)
from apps.telephony.engine.drivers.sip.driver import (
    BUSY_CODES,
    HOLD_REPEAT,
    NO_ANSWER_CODES,
    ORIGINATE_RING_SECONDS,
    SipDriver,
)
from apps.telephony.engine.drivers.sip.lifecycle import T1, T2, UNCAPPED, CallLifecycle
from apps.telephony.engine.drivers.sip.loading import load_gateways, load_seats, stack_from_settings
from apps.telephony.engine.drivers.sip.stack import DialogHandler, SipStack

__all__ = [
    "ANSWERED",
    "BUSY_CODES",
    "HOLD_REPEAT",
    "NO_ANSWER_CODES",
    "ORIGINATE_RING_SECONDS",
    "OTHER",
    "OUTSIDE",
    "PROVISIONAL",
    "REFUSED",
    "REPEATED",
    "T1",
    "T2",
    "TIMER_H",
    "UNCAPPED",
    "CallLifecycle",
    "Consult",
    "DialogHandler",
    "Leg",
    "SipCall",
    "SipDialogs",
    "SipDriver",
    "SipStack",
    "load_gateways",
    "load_seats",
    "stack_from_settings",
]
