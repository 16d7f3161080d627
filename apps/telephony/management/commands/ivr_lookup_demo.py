"""``manage.py ivr_lookup_demo --tenant demo``: the order-status endpoint of the demo's
self-service IVR (apps/telephony/ivr_demo.py), for development only.

Listens on 127.0.0.1 (``--port``, 9010 by default), checks each request's ``X-CC-Signature``
with the tenant's integration secret (read from the database) and refuses timestamps older than
five minutes (401), and answers the order named by the ``order`` variable as JSON. ``--count N``
stops after N requests (tests). It stores nothing.
"""

from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler, HTTPServer

from django.core.management.base import BaseCommand, CommandError
from django_tenants.utils import schema_context

from apps.telephony.ivr_demo import DEMO_PORT, demo_order
from apps.tenants.models import Tenant
from apps.webhooks.management.commands.webhook_receiver import verdict
from apps.webhooks.services.integration import integration_secret


class Command(BaseCommand):
    help = "Answer the demo self-service IVR's order lookups (development only)."

    def add_arguments(self, parser):
        parser.add_argument("--tenant", default="demo", help="the tenant's slug or schema (default: demo)")
        parser.add_argument("--port", type=int, default=DEMO_PORT)
        parser.add_argument("--count", type=int, default=0, help="stop after this many requests (0: never)")

    def handle(self, *args, **options):
        tenant = (
            Tenant.objects.filter(slug=options["tenant"]).first()
            or Tenant.objects.filter(schema_name=options["tenant"]).first()
        )
        if tenant is None:
            raise CommandError(f"No tenant {options['tenant']!r}.")
        schema = tenant.schema_name
        out = self.stdout

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(min(int(self.headers.get("Content-Length") or 0), 65536))
                with schema_context(schema):
                    secret = integration_secret()
                status, reason = verdict([secret], self.headers, body)
                if status != 200:
                    answer = {"error": reason}
                else:
                    try:
                        request = json.loads(body)
                    except ValueError:
                        request = {}
                    order = str((request.get("variables") or {}).get("order") or "")
                    answer = demo_order(order)
                    out.write(f"order {order or '—'} for {request.get('caller', '?')}: {answer['status']}")
                payload = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        server = HTTPServer(("127.0.0.1", options["port"]), Handler)
        out.write(f"IVR order lookups for {schema} on http://127.0.0.1:{options['port']}/orders")
        try:
            if options["count"]:
                for _ in range(options["count"]):
                    server.handle_request()
            else:
                server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
