"""``manage.py ivr_lookup_demo --tenant demo``: the order-status endpoint of the demo's
self-service IVR (apps/telephony/ivr_demo.py), for development only.

Listens on 127.0.0.1 (``--port``, 9010 by default), checks each request's ``X-CC-Signature``
with the tenant's integration secret (read from the database for every request, so a new secret
works at once) or ``--secret``, refuses timestamps older than five minutes (401), and answers the
order named by the ``order`` variable as JSON. ``--count N`` stops after N requests (tests). It
stores nothing.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, HTTPServer

from django.core.management.base import BaseCommand, CommandError
from django_tenants.utils import schema_context

from apps.telephony.ivr_demo import DEMO_PORT, demo_order
from apps.tenants.models import Tenant
from apps.webhooks.management.commands.webhook_receiver import verdict
from apps.webhooks.services.integration import integration_secret


def serve(
    *,
    port: int,
    secrets: Callable[[], list[str]],
    count: int = 0,
    write: Callable[[str], None] = print,
    ready: threading.Event | None = None,
) -> None:
    """Answer order lookups on 127.0.0.1:``port`` (``count`` requests, 0: until interrupted);
    ``ready`` is set once the port is bound (a caller in another thread waits for it)."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_POST(self):
            body = self.rfile.read(min(int(self.headers.get("Content-Length") or 0), 65536))
            status, reason = verdict(secrets(), self.headers, body)
            if status != 200:
                answer = {"error": reason}
                write(f"401 {reason}")
            else:
                try:
                    request = json.loads(body)
                except ValueError:
                    request = {}
                order = str((request.get("variables") or {}).get("order") or "")
                answer = demo_order(order)
                write(f"200 order {order or '-'} for {request.get('caller', '?')}: {answer['status']}")
            payload = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

    server = HTTPServer(("127.0.0.1", port), Handler)
    if ready is not None:
        ready.set()
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


class Command(BaseCommand):
    help = "Answer the demo self-service IVR's order lookups (development only)."

    def add_arguments(self, parser):
        parser.add_argument("--tenant", default="demo", help="the company's slug (default: demo)")
        parser.add_argument("--port", type=int, default=DEMO_PORT)
        parser.add_argument("--secret", action="append", default=[], help="a secret to accept as well (repeatable)")
        parser.add_argument("--count", type=int, default=0, help="stop after this many requests (0: never)")

    def handle(self, *args, **options):
        tenant = Tenant.objects.filter(slug=options["tenant"]).first()
        if tenant is None:
            raise CommandError(f"No company {options['tenant']!r}.")
        schema = tenant.schema_name
        given = list(options["secret"])

        def secrets() -> list[str]:
            with schema_context(schema):
                return [*given, integration_secret()]

        self.stdout.write(f"IVR order lookups for {schema} on http://127.0.0.1:{options['port']}/orders")
        serve(port=options["port"], secrets=secrets, count=options["count"], write=self.stdout.write)
