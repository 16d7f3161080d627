"""``manage.py webhook_receiver --tenant demo``: a receiving end for trying webhooks locally.

Listens on 127.0.0.1 (``--port``, 9009 by default: the demo webhook's), checks each delivery's
``X-CC-Signature`` against the secrets of the tenant's webhooks that point at this port (read
from the database, so nothing needs copying) or against ``--secret``, refuses timestamps older
than five minutes, answers 200 (or 401 for a bad signature) and prints one line per event.
``--count N`` stops after N requests (tests). Development only: it trusts nobody, stores nothing.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any
from urllib.parse import urlsplit

from django.core.management.base import BaseCommand, CommandError
from django_tenants.utils import schema_context

from apps.tenants.models import Tenant
from apps.webhooks.models import WebhookSubscription
from apps.webhooks.secret_box import SecretUnreadable, secret_decrypt
from apps.webhooks.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, signature_valid

TOLERANCE_SECONDS = 300


def tenant_secrets(schema_name: str, port: int) -> list[str]:
    """The secrets of the tenant's webhooks whose URL is on this machine at ``port``."""
    found = []
    with schema_context(schema_name):
        for subscription in WebhookSubscription.objects.all():
            parts = urlsplit(subscription.url)
            if parts.hostname in ("127.0.0.1", "localhost", "::1") and parts.port == port:
                try:
                    found.append(secret_decrypt(subscription.secret_encrypted))
                except SecretUnreadable:
                    continue
    return found


def verdict(secrets: list[str], headers: Any, body: bytes, *, now: float | None = None) -> tuple[int, str]:
    """``(status, reason)`` for one delivery: 200 when a secret signs it and it is recent."""
    timestamp = headers.get(TIMESTAMP_HEADER) or ""
    if not timestamp.isdigit() or abs((now or time.time()) - int(timestamp)) > TOLERANCE_SECONDS:
        return 401, "stale or missing timestamp"
    header = headers.get(SIGNATURE_HEADER) or ""
    if not any(signature_valid(secret, timestamp, body, header) for secret in secrets):
        return 401, "bad signature"
    return 200, "signature ok"


class Command(BaseCommand):
    help = "Receive and verify webhook deliveries on this machine (development)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--tenant", default="demo", help="the company whose webhooks' secrets to use (slug)")
        parser.add_argument("--port", type=int, default=9009)
        parser.add_argument("--secret", action="append", default=[], help="a secret to accept (repeatable)")
        parser.add_argument("--count", type=int, default=0, help="stop after this many requests (0: never)")

    def handle(self, *args: Any, **options: Any) -> None:
        tenant = Tenant.objects.filter(slug=options["tenant"]).first()
        if tenant is None:
            raise CommandError(f"No company {options['tenant']!r}.")
        port = options["port"]
        secrets = [*options["secret"], *tenant_secrets(tenant.schema_name, port)]
        if not secrets:
            raise CommandError(f"No webhook of {tenant.slug!r} points at port {port}; pass --secret.")
        self.stdout.write(
            f"Listening on http://127.0.0.1:{port}/ for {tenant.slug}'s webhooks ({len(secrets)} secret(s))."
        )
        serve(port=port, secrets=secrets, count=options["count"], write=self.stdout.write)


def serve(*, port: int, secrets: list[str], count: int = 0, write: Callable[[str], Any] = print) -> None:
    """Answer deliveries on 127.0.0.1:``port`` (``count`` of them, or until Ctrl-C); no database."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            status, reason = verdict(secrets, self.headers, body)
            self.send_response(status)
            self.end_headers()
            try:
                event = json.loads(body)
            except ValueError:
                event = {}
            write(f"{status} {reason}: {event.get('type')} {event.get('id')} {json.dumps(event.get('data'))[:300]}")

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 -- the base class's name
            return

    server = HTTPServer(("127.0.0.1", port), Handler)
    try:
        if count:
            for _ in range(count):
                server.handle_request()
        else:
            server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
