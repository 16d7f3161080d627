from django.core.management.base import BaseCommand

from apps.calendar.services import calendar_seed
from apps.calendar.sources import package_years


class Command(BaseCommand):
    help = (
        "Store the official schedules shipped by the chinesecalendar package for the years not in the "
        "holiday calendar yet (idempotent; run after upgrading the package)."
    )

    def handle(self, *args, **options):
        years = package_years()
        added = calendar_seed()
        self.stdout.write(f"chinesecalendar covers {years.start}-{years.stop - 1}; {added} days added.")
