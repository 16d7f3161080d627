"""Reset a user's two-factor authentication (a lost phone and lost recovery codes).

Platform staff cannot be reset from the web (there is no one above them there):

    DJANGO_SETTINGS_MODULE=config.settings.prod manage.py two_factor_reset ops@example.com
    ... two_factor_reset agent@acme.example --schema acme

The user sets up a new authenticator at the next login when 2FA is required of them.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_tenants.utils import schema_context

from apps.accounts.models import User


class Command(BaseCommand):
    help = "Remove a user's authenticator and recovery codes (in the public schema unless --schema)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("email")
        parser.add_argument("--schema", default="public", help="the tenant's schema (slug); default: platform staff")

    def handle(self, *args, email: str, schema: str, **options) -> None:
        with schema_context(schema):
            user = User.objects.filter(email=email.strip().lower()).first()
            if user is None:
                raise CommandError(f"No user {email} in schema {schema}")
            TOTPDevice.objects.filter(user=user).delete()
            StaticDevice.objects.filter(user=user).delete()
        self.stdout.write(f"Two-factor authentication of {user.email} ({schema}) reset.")
