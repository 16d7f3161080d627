"""Per-seat registration mode, per-login credentials of browser seats, agents' allowed seats.

Existing seats whose secret an administrator has reset (``secret_reset_at`` set) are taken to be
desk phones: someone copied that secret into a phone, which must keep registering. Every other
seat becomes a browser seat, and the directory row Kamailio reads for it gets a fresh random HA1
unless an agent is logged into it now (that agent's softphone keeps working until they log out,
when the credential is replaced anyway). This closes the old hole at once: HA1s handed out by
``GET /agents/me/sip`` before this change stop working.

The directory lives in the public schema (``tenants_sipdirectoryentry``, one row per seat across
tenants, keyed by the unique ``<extension>@<slug>`` username), hence the schema-qualified SQL.
New tenants do not run this step: their seats are created by ``seats_add`` with the new rules.
"""

import secrets

from django.db import migrations, models


def forwards(apps, schema_editor):
    Seat = apps.get_model("telephony", "Seat")
    Agent = apps.get_model("telephony", "Agent")
    Seat.objects.filter(secret_reset_at__isnull=False).update(registration_mode="desk_phone")
    held = set(Agent.objects.exclude(state="offline").exclude(seat=None).values_list("seat_id", flat=True))
    with schema_editor.connection.cursor() as cursor:
        for seat in Seat.objects.filter(registration_mode="browser").only("pk", "sip_username"):
            if seat.pk in held:
                continue
            cursor.execute(
                "UPDATE public.tenants_sipdirectoryentry SET ha1 = %s, updated_at = now() WHERE username = %s",
                [secrets.token_hex(16), seat.sip_username],
            )


class Migration(migrations.Migration):
    dependencies = [("telephony", "0009_enginestorecursor")]

    operations = [
        migrations.AddField(
            model_name="seat",
            name="registration_mode",
            field=models.CharField(
                choices=[
                    ("browser", "Browser softphone (a new credential at every login)"),
                    ("desk_phone", "Desk phone (the seat's own secret)"),
                ],
                default="browser",
                max_length=16,
                verbose_name="registration",
            ),
        ),
        migrations.AddField(
            model_name="agent",
            name="allowed_seats",
            field=models.ManyToManyField(
                blank=True, related_name="allowed_agents", to="telephony.seat", verbose_name="allowed seats"
            ),
        ),
        migrations.RunPython(forwards, migrations.RunPython.noop),
    ]
