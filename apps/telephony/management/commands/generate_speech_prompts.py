"""Write the spoken-value word prompts (numbers, amounts, dates, the queue position) with
espeak-ng into ``<SIP_RUNTIME_DIR>/prompts/`` (docs/ivr.md "Spoken values"). The sip engine
does the same for missing files when it starts."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from apps.telephony.services.prompts import prompts_directory
from apps.telephony.speech.generate import SpeechUnavailable, generate_speech_prompts


class Command(BaseCommand):
    help = "Generate the word prompts spoken values are read out from (espeak-ng, 8 kHz mono WAV)."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="rewrite files that exist")
        parser.add_argument("--directory", help="default: <SIP_RUNTIME_DIR>/prompts")

    def handle(self, *args, **options):
        directory = Path(options["directory"]) if options["directory"] else prompts_directory()
        try:
            written = generate_speech_prompts(directory, force=options["force"])
        except SpeechUnavailable as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"{written} word prompt(s) written under {directory}")
