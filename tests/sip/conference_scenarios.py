"""Stand-in phones for the conference tests: the monitor tests' phones (tests/sip/monitor_scenarios.py,
PCMA whose payload byte names the sender) that also follow a re-INVITE: a desk phone moved by the
engine (into the consultation, into the conference's mix, back to the caller) sends its audio to
the new offer's address from then on, as a real phone does."""

from __future__ import annotations

from apps.telephony.engine.drivers.sip.message import SipMessage
from tests.sip.monitor_scenarios import StandIn, sdp_sections


class MovingStandIn(StandIn):
    def _request(self, request: SipMessage, addr: tuple) -> None:
        if request.method == "INVITE" and request.to_tag and self.media:
            sections = sdp_sections(request.body.decode(errors="replace"))
            if sections and sections[0][1]:
                address, port, _direction = sections[0]
                self.media[0].target = (address, port)
                self.media[0].sending = True
        super()._request(request, addr)

    @property
    def reinvites(self) -> int:
        return sum(1 for invite in self.invites if invite.to_tag)
