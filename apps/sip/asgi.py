"""ASGI entry point of the internal routing endpoint: ``daphne apps.sip.asgi:application``."""

import gc

import django

from config.entrypoint import require_settings_module

require_settings_module()
django.setup()

from apps.sip.internal import RoutingApplication  # noqa: E402 - needs django.setup() first

application = RoutingApplication()
application.warm_up()
gc.collect()  # the long-lived heap out of the collector's reach (decisions/0004)
gc.freeze()
