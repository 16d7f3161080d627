from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from apps.calendar.services import calendar_import
from apps.core.errors import ApplicationError


class Command(BaseCommand):
    help = (
        "Import one year's official State Council schedule (CSV: date,kind,name_zh,name_en; or JSON) into "
        "the holiday calendar, replacing that year's days and marking it officially covered."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--year", type=int, default=None, help="The year the file is for (default: its dates').")

    def handle(self, *args, file: Path, year: int | None, **options):
        try:
            result = calendar_import(content=file.read_bytes(), filename=file.name, year=year)
        except OSError as error:
            raise CommandError(str(error)) from None
        except ApplicationError as error:
            lines = [str(error.message)] + [str(m) for found in error.fields.values() for m in found]
            raise CommandError("\n".join(lines)) from None
        self.stdout.write(f"{result.days} days imported; {result.year} is officially covered.")
