"""Seed the official schedules shipped by ``chinesecalendar`` (2004–2026 for 1.11)."""

from django.db import migrations


def seed(apps, schema_editor):
    from apps.calendar.services import seed_from_package

    seed_from_package(day_model=apps.get_model("calendar", "CalendarDay"), year_model=apps.get_model("calendar", "CalendarYear"))


class Migration(migrations.Migration):
    dependencies = [("calendar", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
