"""Development settings: what ``make run`` and ``manage.py`` use by default."""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
SECRET_KEY = env("DJANGO_SECRET_KEY", default="dev-only-insecure-key-change-me-0123456789abcdef")
SIGNUP_RATE_LIMIT = env("SIGNUP_RATE_LIMIT", default="")
# Webhooks may go to a receiver on this machine or the local network (never in production).
WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = env.bool("WEBHOOKS_ALLOW_PRIVATE_ADDRESSES", default=True)
# coturn may relay to rtpengine on 127.0.0.1: the whole SIP plane runs on this machine (never in production).
TURN_ALLOW_LOOPBACK_PEERS = env.bool("TURN_ALLOW_LOOPBACK_PEERS", default=True)
