"""``python manage.py publish_prompts``: rewrite every tenant's prompt audio into
``<SIP_RUNTIME_DIR>/prompts/<schema>/`` from storage (the sip engine also does it at start)."""

from django.core.management.base import BaseCommand

from apps.telephony.services.prompts import prompts_directory, publish_all_prompts


class Command(BaseCommand):
    help = "Write every tenant's prompt audio where the sip driver plays it from."

    def handle(self, *args, **options):
        written = publish_all_prompts()
        self.stdout.write(f"{written} prompt file(s) written under {prompts_directory()}")
