"""Seed the price list, the simulated 400-number pool and the platform's own (public) tenant."""

from decimal import Decimal

from django.conf import settings
from django.db import migrations

PLANS = [
    ("starter", "Starter", "入门版", 20, Decimal("199.00"), 1),
    ("standard", "Standard", "标准版", 200, Decimal("299.00"), 2),
    ("enterprise", "Enterprise", "企业版", 5000, Decimal("399.00"), 3),
]
POOL_SIZE = 1000


def seed(apps, schema_editor):
    Plan = apps.get_model("tenants", "Plan")
    PoolNumber = apps.get_model("tenants", "PoolNumber")
    Tenant = apps.get_model("tenants", "Tenant")
    Domain = apps.get_model("tenants", "Domain")
    for code, name, name_zh, max_seats, price, order in PLANS:
        Plan.objects.update_or_create(
            code=code,
            defaults={"name": name, "name_zh": name_zh, "max_seats": max_seats, "price_per_seat_month": price, "sort_order": order},
        )
    PoolNumber.objects.bulk_create(
        [PoolNumber(number=f"400820{n:04d}", carrier="sim") for n in range(POOL_SIZE)], ignore_conflicts=True
    )
    public, _created = Tenant.objects.get_or_create(
        schema_name="public", defaults={"slug": "public", "name": "Platform"}
    )
    Domain.objects.get_or_create(domain=settings.PLATFORM_DOMAIN, defaults={"tenant": public, "is_primary": True})


class Migration(migrations.Migration):
    dependencies = [("tenants", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
