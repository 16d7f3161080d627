"""Write a self-signed certificate for trying WSS and TURN over TLS on a development machine."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from apps.sip.certificates import self_signed_certificate


class Command(BaseCommand):
    help = "Write a self-signed certificate and key for SIP_TLS_CERT_FILE/SIP_TLS_KEY_FILE (development only)."

    def add_arguments(self, parser):
        parser.add_argument("--output", type=Path, default=None, help="directory (default SIP_RUNTIME_DIR/tls)")
        parser.add_argument("--host", action="append", default=None, help="a name or address (repeatable)")

    def handle(self, *args, output: Path | None = None, host: list[str] | None = None, **options):
        directory = (output or Path(settings.SIP_RUNTIME_DIR) / "tls").resolve()
        hosts = host or [settings.PLATFORM_DOMAIN, f"*.{settings.PLATFORM_DOMAIN}", settings.SIP_WS_ADDRESS]
        cert_file, key_file = directory / "cert.pem", directory / "key.pem"
        self_signed_certificate(cert_file, key_file, hosts)
        self.stdout.write(f"wrote {cert_file} and {key_file} for {', '.join(hosts)}")
        self.stdout.write(
            f"Set SIP_TLS_CERT_FILE={cert_file} SIP_TLS_KEY_FILE={key_file}; browsers must be told to trust it."
        )
