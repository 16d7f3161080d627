"""daphne, with a note of the write path each probe message takes, for tests/core/test_realtime_wire.py.

Run from the repository root: ``python tests/core/daphne_spy.py SPY_LOG [--deflate] <daphne arguments>``.
It is the real daphne (its command line, server and protocols), with two spies that only write
a line to SPY_LOG and then carry on unchanged:

- ``sendMessage <probe>``: autobahn framed a message naming ``<probe>`` (the ordinary send);
- ``transport.write <probe>``: Twisted's buffered write got bytes naming ``<probe>``.

A pre-framed event written straight to the socket leaves no line at all. ``--deflate`` makes
daphne accept permessage-deflate offers, which daphne itself never does, to exercise the
hub's fallback on a compressed socket.
"""

from __future__ import annotations

import re
import sys

from daphne.cli import CommandLineInterface  # first: it installs Twisted's asyncio reactor

# isort: split
from autobahn.websocket.compress import PerMessageDeflateOffer, PerMessageDeflateOfferAccept
from autobahn.websocket.protocol import WebSocketProtocol
from daphne.ws_protocol import WebSocketFactory
from twisted.internet import tcp

PROBE = re.compile(rb"wire-probe-[0-9a-f]{32}")


def spy(log, name: str, original):
    def method(self, data, *args, **kwargs):
        if isinstance(data, bytes):
            for probe in sorted(set(PROBE.findall(data))):
                log.write(f"{name} {probe.decode()}\n")
        return original(self, data, *args, **kwargs)

    return method


def accept_deflate(offers):
    for offer in offers:
        if isinstance(offer, PerMessageDeflateOffer):
            return PerMessageDeflateOfferAccept(offer)
    return None


def main() -> None:
    log = open(sys.argv[1], "a", buffering=1)  # noqa: SIM115 - open for the life of the process
    args = sys.argv[2:]
    WebSocketProtocol.sendMessage = spy(log, "sendMessage", WebSocketProtocol.sendMessage)
    tcp.Server.write = spy(log, "transport.write", tcp.Server.write)
    if "--deflate" in args:
        args.remove("--deflate")
        factory_init = WebSocketFactory.__init__

        def init(self, *a, **kw):
            factory_init(self, *a, **kw)
            self.setProtocolOptions(perMessageCompressionAccept=accept_deflate)

        WebSocketFactory.__init__ = init
    CommandLineInterface().run(args)


if __name__ == "__main__":
    main()
