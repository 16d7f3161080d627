# Import jobs: lease/heartbeat, checkpoint and attempts; stalled and cancelled statuses; rejected rows.

import django.db.models.deletion
from django.db import migrations, models

STATUS_CHOICES = [
    ("uploaded", "Uploaded: waiting for the column mapping"),
    ("queued", "Queued"),
    ("importing", "Importing"),
    ("done", "Done"),
    ("failed", "Failed"),
    ("stalled", "Stalled: its worker stopped"),
    ("cancelled", "Cancelled"),
]


class Migration(migrations.Migration):
    dependencies = [
        ("telephony", "0010_seat_registration_mode_allowed_seats"),
    ]

    operations = [
        migrations.AddField(
            model_name="contactlist",
            name="attempts",
            field=models.PositiveSmallIntegerField(default=0, verbose_name="attempts"),
        ),
        migrations.AddField(
            model_name="contactlist",
            name="heartbeat_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="last sign of life"),
        ),
        migrations.AddField(
            model_name="contactlist",
            name="rows_checkpoint",
            field=models.PositiveIntegerField(default=0, verbose_name="last row committed"),
        ),
        migrations.AlterField(
            model_name="contactlist",
            name="status",
            field=models.CharField(choices=STATUS_CHOICES, default="uploaded", max_length=16, verbose_name="status"),
        ),
        migrations.AddField(
            model_name="donotcallimport",
            name="attempts",
            field=models.PositiveSmallIntegerField(default=0, verbose_name="attempts"),
        ),
        migrations.AddField(
            model_name="donotcallimport",
            name="heartbeat_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="last sign of life"),
        ),
        migrations.AddField(
            model_name="donotcallimport",
            name="rows_checkpoint",
            field=models.PositiveIntegerField(default=0, verbose_name="last row committed"),
        ),
        migrations.AddField(
            model_name="donotcallimport",
            name="started_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="started"),
        ),
        migrations.AlterField(
            model_name="donotcallimport",
            name="status",
            field=models.CharField(choices=STATUS_CHOICES, default="queued", max_length=16, verbose_name="status"),
        ),
        migrations.CreateModel(
            name="ImportRowError",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("row", models.PositiveIntegerField(verbose_name="row")),
                ("value", models.CharField(blank=True, max_length=200, verbose_name="value")),
                ("reason", models.CharField(max_length=200, verbose_name="reason")),
                (
                    "contact_list",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="telephony.contactlist",
                        verbose_name="contact list",
                    ),
                ),
                (
                    "dnc_import",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="telephony.donotcallimport",
                        verbose_name="do-not-call import",
                    ),
                ),
            ],
            options={
                "verbose_name": "rejected import row",
                "verbose_name_plural": "rejected import rows",
                "ordering": ["row"],
                "constraints": [
                    models.UniqueConstraint(fields=("contact_list", "row"), name="import_row_error_list_row_unique"),
                    models.UniqueConstraint(fields=("dnc_import", "row"), name="import_row_error_dnc_row_unique"),
                    models.CheckConstraint(
                        condition=models.Q(("contact_list__isnull", False)) ^ models.Q(("dnc_import__isnull", False)),
                        name="import_row_error_one_job",
                    ),
                ],
            },
        ),
    ]
