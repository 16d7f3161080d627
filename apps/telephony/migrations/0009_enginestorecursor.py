import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("telephony", "0008_diallingpolicy"),
    ]

    operations = [
        migrations.CreateModel(
            name="EngineStoreCursor",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("outbox", models.CharField(max_length=100, unique=True, verbose_name="outbox")),
                ("seq", models.BigIntegerField(default=0, verbose_name="last applied sequence number")),
                ("updated_at", models.DateTimeField(default=django.utils.timezone.now, verbose_name="updated")),
            ],
            options={
                "verbose_name": "engine store cursor",
                "verbose_name_plural": "engine store cursors",
            },
        ),
    ]
