"""Render Kamailio's and rtpengine's configuration from deploy/sip/*.tmpl and the SIP_* settings."""

from __future__ import annotations

import ipaddress
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from apps.sip.plane import PlaneError, binary, plane_from_settings, render


class Command(BaseCommand):
    help = "Render the SIP plane's configuration (Kamailio, rtpengine, coturn) into SIP_RUNTIME_DIR or --output."

    def add_arguments(self, parser):
        parser.add_argument("--output", type=Path, help="directory for the rendered files (default SIP_RUNTIME_DIR)")

    def handle(self, *args, output: Path | None = None, **options):
        overrides = {"runtime_dir": output.resolve()} if output else {}
        try:
            plane = plane_from_settings(**overrides)
            written = render(plane)
        except PlaneError as error:
            raise CommandError(str(error)) from error
        for path in written:
            self.stdout.write(f"wrote {path}")
        self.stdout.write(
            f"Kamailio: SIP {plane.sip_address}:{plane.sip_port} (UDP, TCP), WebSocket {plane.ws_address}:{plane.ws_port};"
            f" routing endpoint http://{plane.routing_address}:{plane.routing_port}/sip/;"
            f" rtpengine ng 127.0.0.1:{plane.rtpengine_ng_port}, RTP {plane.rtp_port_min}-{plane.rtp_port_max}."
        )
        if plane.tls_enabled:
            self.stdout.write(f"Kamailio: secure WebSocket (wss) {plane.ws_address}:{plane.wss_port}.")
        names = ["kamailio", "rtpengine"]
        if plane.turn_enabled:
            names.append("turn")
            self.stdout.write(
                f"coturn: TURN {plane.turn_address}:{plane.turn_port} (UDP, TCP)"
                + (f", TLS {plane.turn_tls_port}" if plane.tls_enabled else "")
                + f"; relay ports {plane.turn_relay_port_min}-{plane.turn_relay_port_max}."
            )
            if _loopback(plane.rtp_address) and not plane.turn_allow_loopback:
                self.stderr.write(
                    "warning: rtpengine's address is loopback and TURN_ALLOW_LOOPBACK_PEERS is false:"
                    " coturn cannot relay browser media to it (set SIP_RTP_ADDRESS to a routable address)."
                )
        for name in names:
            if binary(name) is None:
                self.stderr.write(f"warning: {name} is not installed (see docs/sip.md); the files are ready for it.")


def _loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False
