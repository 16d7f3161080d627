"""A small SIP user agent and rtpengine control client for the ``sip`` switch driver.

Why our own rather than ``sippy``: sippy runs its own thread-based reactor, while the engine is
one asyncio loop where controller, clock and driver events must never race. What the driver
needs is narrow (INVITE/100/180/200/ACK/BYE/CANCEL over UDP to our own Kamailio), so a few
hundred lines on asyncio keep everything on that loop.
"""
