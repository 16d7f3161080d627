"""Existing tenants get the "do not call me" disposition that new tenants are seeded with
(apps/telephony/services/defaults.py); campaigns map it to the do-not-call list."""

from django.db import migrations


def add_do_not_call(apps, schema_editor):
    Disposition = apps.get_model("telephony", "Disposition")
    Tenant = apps.get_model("tenants", "Tenant")
    tenant = Tenant.objects.filter(schema_name=schema_editor.connection.schema_name).first()
    chinese = tenant is None or (tenant.default_language or "").startswith("zh")
    name = "请勿再拨打" if chinese else "Do not call me"
    Disposition.objects.get_or_create(code="do_not_call", defaults={"name": name, "is_resolved": False})


class Migration(migrations.Migration):
    dependencies = [("telephony", "0003_campaigns"), ("tenants", "0001_initial")]

    operations = [migrations.RunPython(add_do_not_call, migrations.RunPython.noop)]
