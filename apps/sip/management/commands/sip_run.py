"""Start one SIP-plane process in the foreground with its rendered configuration (Procfile.sip).

The command replaces itself with the process (exec), so the supervisor's Ctrl-C and SIGTERM
reach Kamailio, rtpengine, coturn or the routing endpoint directly and they stop together.
"""

from __future__ import annotations

import os
import sys

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from apps.sip.plane import (
    PlaneError,
    kamailio_command,
    kamailio_environment,
    plane_from_settings,
    render,
    rtpengine_command,
    turn_command,
)


class Command(BaseCommand):
    help = "Run kamailio, rtpengine, coturn (turn) or the routing endpoint in the foreground (used by make run SWITCH=sip)."

    def add_arguments(self, parser):
        parser.add_argument("process", choices=["kamailio", "rtpengine", "routing", "turn"])

    def handle(self, *args, process: str, **options):
        try:
            plane = plane_from_settings()
            render(plane)
            if process == "kamailio":
                command = kamailio_command(plane)
                environment = kamailio_environment(plane, dict(os.environ))
            elif process == "rtpengine":
                command = rtpengine_command(plane)
                environment = dict(os.environ)
            elif process == "turn":
                command = turn_command(plane)
                environment = dict(os.environ)
            else:
                daphne = os.path.join(os.path.dirname(sys.executable), "daphne")
                command = [
                    daphne,
                    "-b",
                    plane.routing_address,
                    "-p",
                    str(plane.routing_port),
                    "apps.sip.asgi:application",
                ]
                environment = dict(os.environ)
                environment.setdefault(
                    "DJANGO_SETTINGS_MODULE", os.environ.get("DJANGO_SETTINGS_MODULE", "config.settings.dev")
                )
        except PlaneError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"{process}: {' '.join(command)} (config in {settings.SIP_RUNTIME_DIR})")
        self.stdout.flush()
        os.execve(command[0], command, environment)  # noqa: S606 - fixed binaries from settings
