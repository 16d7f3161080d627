"""The operator adds carrier numbers to the pool and gives one to a "number pending" tenant."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from django_tenants.utils import schema_context, tenant_context

from apps.accounts.models import User
from apps.telephony.models import PhoneNumber, Trunk
from apps.tenants.choices import PoolNumberStatus, UsageKind
from apps.tenants.models import PoolNumber, Tenant, UsageEvent
from tests.conftest import PASSWORD
from tests.tenants.test_provisioning import provision


@pytest.fixture
def console(db) -> Client:
    with schema_context("public"):
        staff = User.objects.create_superuser("ops@platform.test", PASSWORD)
    client = Client(HTTP_HOST=settings.PLATFORM_DOMAIN, HTTP_ACCEPT_LANGUAGE="en")
    with schema_context("public"):
        client.force_login(staff)
    return client


@pytest.fixture
def pending_tenant(db, empty_pool) -> Tenant:
    result = provision()
    assert result.tenant.number_pending
    return result.tenant


def test_ranges_and_lists_are_added_once(console):
    response = console.post("/platform/pool/", {"numbers": "4008800100-4008800104, 4008800104\n+861088880000"})

    assert response.status_code == 302
    with schema_context("public"):
        added = set(PoolNumber.objects.filter(number__startswith="40088001").values_list("number", flat=True))
        assert added == {f"400880010{i}" for i in range(5)}
        assert PoolNumber.objects.get(number="+861088880000").status == PoolNumberStatus.AVAILABLE
    again = console.post("/platform/pool/", {"numbers": "4008800100-4008800104"}, follow=True)
    assert "0 numbers added to the pool." in again.content.decode()


def test_bad_token_refuses_the_whole_paste(console):
    with schema_context("public"):
        before = PoolNumber.objects.count()

    response = console.post("/platform/pool/", {"numbers": "4008800200 hello 4008800300-4008800299"}, follow=True)

    page = response.content.decode()
    assert "hello" in page and "4008800300-4008800299" in page
    with schema_context("public"):
        assert PoolNumber.objects.count() == before


def test_pending_tenant_gets_the_next_free_number(console, pending_tenant):
    console.post("/platform/pool/", {"numbers": "4008800500-4008800501"})

    response = console.post(f"/platform/tenants/{pending_tenant.slug}/number/", {"number": ""})

    assert response.status_code == 302
    with schema_context("public"):
        tenant = Tenant.objects.get(pk=pending_tenant.pk)
        assert not tenant.number_pending
        pool = PoolNumber.objects.get(number="4008800500")
        assert (pool.status, pool.tenant_id) == (PoolNumberStatus.ASSIGNED, tenant.pk)
        event = UsageEvent.objects.get(tenant=tenant, kind=UsageKind.NUMBER_ASSIGNED)
        assert event.detail == {"number": "4008800500"}
    with tenant_context(tenant):
        number = PhoneNumber.objects.get()
        assert number.number == "4008800500"
        assert number.trunk == Trunk.objects.get(is_default=True)
        assert number.trunk.caller_id == "4008800500"


def test_a_chosen_number_that_is_taken_is_refused_and_nothing_changes(console, pending_tenant, acme):
    with schema_context("public"):
        taken = PoolNumber.objects.filter(tenant=acme.tenant).first()
        if taken is None:
            taken = PoolNumber.objects.create(number="4008800900", status=PoolNumberStatus.ASSIGNED, tenant=acme.tenant)

    response = console.post(f"/platform/tenants/{pending_tenant.slug}/number/", {"number": taken.number}, follow=True)

    assert "not available in the pool" in response.content.decode()
    with schema_context("public"):
        assert Tenant.objects.get(pk=pending_tenant.pk).number_pending
        assert PoolNumber.objects.get(pk=taken.pk).tenant_id == acme.tenant.pk
    with tenant_context(pending_tenant):
        assert not PhoneNumber.objects.exists()


def test_empty_pool_is_reported(console, pending_tenant):
    response = console.post(f"/platform/tenants/{pending_tenant.slug}/number/", {}, follow=True)

    assert "The number pool is empty" in response.content.decode()
    with schema_context("public"):
        assert Tenant.objects.get(pk=pending_tenant.pk).number_pending


def test_tenant_users_cannot_assign_numbers(acme):
    client = acme.client()
    with tenant_context(acme.tenant):
        client.force_login(acme.admin())

    assert client.post("/platform/tenants/acme/number/", {}).status_code == 404
    assert client.post("/platform/pool/", {"numbers": "4008800700"}).status_code == 404
    with schema_context("public"):
        assert not PoolNumber.objects.filter(number="4008800700").exists()
