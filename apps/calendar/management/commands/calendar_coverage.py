import datetime as dt

from django.core.management.base import BaseCommand

from apps.calendar import selectors


class Command(BaseCommand):
    help = "Which of the next days the official holiday schedule does not cover; exit 1 when some are not."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=selectors.WARN_DAYS)

    def handle(self, *args, days: int, **options):
        start = selectors.today()
        result = selectors.coverage(start + dt.timedelta(days=days), start=start)
        if result.complete:
            self.stdout.write(f"Officially covered until {result.until}.")
            return
        for first, last in result.uncovered:
            self.stdout.write(f"not covered: {first} - {last}")
        for day in result.provisional:
            self.stdout.write(f"  {day.date} {day.kind} {day.name_en} ({day.source})")
        raise SystemExit(1)
