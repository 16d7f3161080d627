"""The engine process's SIP side: one UDP socket, one rtpengine ng client, many tenants' drivers.

The stack owns what is shared between tenants (the socket Kamailio relays routed calls to, the
ng client, the sink socket, the DTMF events rtpengine sends to the SIP port) and dispatches
each message by Call-ID to whoever registered it (:meth:`SipStack.calls`): a tenant's
:class:`~apps.telephony.engine.drivers.sip.driver.SipDriver` for its call legs, the monitor's
dispatcher for supervisors' legs. A new INVITE goes to the driver named by Kamailio's
``X-CC-Tenant`` header, trusted only when the INVITE comes from Kamailio's own address.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from apps.telephony.engine.drivers.sip import media
from apps.telephony.engine.drivers.sip.calls import SipCall
from apps.telephony.engine.drivers.sip.message import SipMessage, SipParseError, new_tag, parse, response
from apps.telephony.engine.drivers.sip.ng import NgClient

if TYPE_CHECKING:
    from apps.telephony.engine.drivers.sip.driver import SipDriver

logger = logging.getLogger(__name__)


class DialogHandler(Protocol):
    """Who the stack hands a dialog's in-dialog requests and responses to, with its record."""

    def handle_request(self, record: Any, request: SipMessage, addr: tuple) -> None: ...

    def handle_response(self, record: Any, reply: SipMessage) -> None: ...


class _Protocol(asyncio.DatagramProtocol):
    def __init__(self, handler: Callable[[bytes, tuple], None]) -> None:
        self.handler = handler

    def datagram_received(self, data: bytes, addr: tuple) -> None:
        self.handler(data, addr)


class SipStack:
    """The engine process's SIP side: one socket, one rtpengine client, many tenants' drivers."""

    def __init__(
        self,
        *,
        address: str,
        port: int,
        proxy: tuple[str, int],
        ng: tuple[str, int],
        platform_domain: str,
        prompts_dir: Path,
        recording_dir: Path | None = None,
    ) -> None:
        self.address = address
        self.port = port
        self.proxy = proxy
        self.platform_domain = platform_domain
        self.prompts_dir = Path(prompts_dir)
        self.recording_dir = Path(recording_dir) if recording_dir else None  # rtpengine's recording-dir
        self.ng = NgClient(*ng)
        self.drivers: dict[str, SipDriver] = {}  # tenant slug (Kamailio's X-CC-Tenant) -> driver
        # Any leg's Call-ID -> who handles its messages and with which record (a call, a monitor leg).
        self.calls: dict[str, tuple[DialogHandler, Any]] = {}
        self.media: dict[str, tuple[SipDriver, SipCall]] = {}  # rtpengine call id -> call
        self.transport: asyncio.DatagramTransport | None = None
        self._sink: asyncio.DatagramTransport | None = None
        self.sink_port = 0

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        media.ensure_default_prompts(self.prompts_dir)
        await self.ng.start()
        self.transport, _ = await loop.create_datagram_endpoint(
            lambda: _Protocol(self._received), local_addr=(self.address, self.port)
        )
        self._sink, _ = await loop.create_datagram_endpoint(
            lambda: _Protocol(lambda data, addr: None), local_addr=(self.address, 0)
        )
        self.sink_port = self._sink.get_extra_info("sockname")[1]

    def close(self) -> None:
        for transport in (self.transport, self._sink):
            if transport is not None:
                transport.close()
        self.ng.close()

    def register(self, driver: SipDriver) -> None:
        self.drivers[driver.slug] = driver

    def unregister(self, driver: SipDriver) -> None:
        if self.drivers.get(driver.slug) is driver:
            del self.drivers[driver.slug]

    # --- SIP transport ------------------------------------------------------------------
    def send(self, message: SipMessage, target: tuple[str, int] | None = None) -> None:
        if self.transport is not None:
            self.transport.sendto(message.encode(), target or self.proxy)

    def via(self, branch: str) -> str:
        return f"SIP/2.0/UDP {self.address}:{self.port};branch={branch};rport"

    @property
    def contact(self) -> str:
        return f"<sip:engine@{self.address}:{self.port}>"

    def _received(self, data: bytes, addr: tuple) -> None:
        if not data.strip():
            return  # keep-alive
        if data[:1] == b"{":
            # rtpengine's DTMF events (dtmf-log-dest) share this port: JSON, never SIP.
            if addr[0] == self.ng.target[0]:
                self._dtmf_received(data)
            return
        try:
            message = parse(data)
            if message.is_request:
                self._request(message, addr)
            else:
                self._response(message)
        except (SipParseError, ValueError) as error:
            logger.warning("sip: dropped a malformed message from %s: %s", addr, error)
        except Exception:
            logger.exception("sip: handling a message from %s failed", addr)

    def _request(self, request: SipMessage, addr: tuple) -> None:
        found = self.calls.get(request.call_id)
        if found is not None:
            found[0].handle_request(found[1], request, addr)
            return
        if request.method == "INVITE" and not request.to_tag:
            self._new_invite(request, addr)
        elif request.method == "OPTIONS":
            self.send(response(request, 200, "OK"), addr)
        elif request.method != "ACK":
            self.send(response(request, 481, "Call/Transaction Does Not Exist"), addr)

    def _new_invite(self, request: SipMessage, addr: tuple) -> None:
        if (addr[0], addr[1]) != self.proxy:
            logger.warning("sip: INVITE from %s:%s, not from Kamailio: refused", *addr)
            self.send(response(request, 403, "Forbidden", to_tag=new_tag()), addr)
            return
        driver = self.drivers.get(request.get("x-cc-tenant"))
        if driver is None:
            self.send(response(request, 480, "Temporarily Unavailable", to_tag=new_tag()), addr)
            return
        self.send(response(request, 100, "Trying"), addr)
        driver.handle_invite(request, addr)

    def _response(self, reply: SipMessage) -> None:
        found = self.calls.get(reply.call_id)
        if found is not None:
            found[0].handle_response(found[1], reply)

    def _dtmf_received(self, data: bytes) -> None:
        try:
            event = json.loads(data)
            found = self.media.get(event["callid"])
            digit = event["event"]
        except (ValueError, KeyError, TypeError):
            return
        if found is not None and event.get("source_tag") == found[1].x_tag:
            found[0].handle_digit(found[1], "0123456789*#ABCD"[digit] if 0 <= digit < 16 else "")
