"""Spare schemas: built ahead, renamed at sign-up, never handed out when stale."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import override_settings
from django_tenants.utils import tenant_context

from apps.accounts.models import User
from apps.core.errors import ApplicationError
from apps.tenants.models import SpareSchema, Tenant
from apps.tenants.services.provisioning import tenant_provision
from apps.tenants.services.spares import schema_version, spare_schemas_fill
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def _schemas(prefix: str) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT nspname FROM pg_namespace WHERE nspname LIKE %s", [prefix + "%"])
        return {row[0] for row in cursor.fetchall()}


def _signup(slug: str, **overrides):
    data = {
        "company": "Spare Co",
        "slug": slug,
        "admin_email": f"boss@{slug}.test",
        "admin_password": PASSWORD,
        "seats": 3,
        "plan": "starter",
    }
    data.update(overrides)
    return tenant_provision(**data)


def test_fill_builds_the_requested_number_of_current_spares():
    built = spare_schemas_fill(target=2)

    spares = list(SpareSchema.objects.all())
    assert built == 2
    assert len(spares) == 2
    assert {s.version for s in spares} == {schema_version()}
    assert {s.name for s in spares} <= _schemas("spare_")


def test_fill_is_idempotent_once_the_pool_is_full():
    spare_schemas_fill(target=1)

    assert spare_schemas_fill(target=1) == 0
    assert SpareSchema.objects.count() == 1


@override_settings(TENANT_SPARE_SCHEMAS=1)
def test_signup_renames_a_spare_instead_of_building_a_schema():
    spare_schemas_fill(target=1)
    spare_name = SpareSchema.objects.get().name

    result = _signup("spare-taker")

    assert not SpareSchema.objects.filter(name=spare_name).exists()
    assert spare_name not in _schemas("spare_")
    assert "t_spare_taker" in _schemas("t_spare_taker")
    with tenant_context(result.tenant):
        assert User.objects.get().email == "boss@spare-taker.test"
        assert User.objects.count() == 1


def test_a_failed_signup_gives_the_spare_back(settings):
    spare_schemas_fill(target=1)
    spare_name = SpareSchema.objects.get().name
    settings.TENANT_SEEDERS = [*settings.TENANT_SEEDERS, "tests.tenants.test_spares.exploding_seeder"]

    with pytest.raises(RuntimeError):
        _signup("spare-loser")

    assert SpareSchema.objects.filter(name=spare_name).exists()
    assert spare_name in _schemas("spare_")
    assert not Tenant.objects.filter(slug="spare-loser").exists()
    assert not _schemas("t_spare_loser")


def test_stale_spares_are_dropped_and_never_handed_out():
    with connection.cursor() as cursor:
        cursor.execute("CREATE SCHEMA spare_stale_one")
    SpareSchema.objects.create(name="spare_stale_one", version="old-version")

    result = _signup("fresh-schema")

    assert result.tenant.schema_name == "t_fresh_schema"
    assert SpareSchema.objects.filter(name="spare_stale_one").exists()  # not taken
    spare_schemas_fill(target=0)
    assert not SpareSchema.objects.filter(name="spare_stale_one").exists()
    assert not _schemas("spare_stale_one")


def test_invalid_signup_touches_no_spare():
    spare_schemas_fill(target=1)

    with pytest.raises(ApplicationError):
        _signup("x")

    assert SpareSchema.objects.count() == 1


def exploding_seeder(tenant):
    raise RuntimeError("seeder failed")
