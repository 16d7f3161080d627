"""The platform console's carrier addresses page: staff add and remove a trunk's addresses."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from django_tenants.utils import schema_context, tenant_context

from apps.accounts.models import User
from apps.sip.models import TrunkAddress
from apps.sip.services import trunk_gateways
from apps.telephony.models import Trunk
from tests.conftest import PASSWORD


def _console(user: User | None) -> Client:
    client = Client(HTTP_HOST=settings.PLATFORM_DOMAIN, HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        with schema_context("public"):
            client.force_login(user)
    return client


@pytest.fixture
def staff(db) -> User:
    with schema_context("public"):
        return User.objects.create_superuser("ops-trunks@platform.test", PASSWORD)


def _trunk_id(tenant) -> int:
    with tenant_context(tenant):
        return Trunk.objects.get(is_default=True).pk


def test_staff_add_an_outbound_carrier_address_and_remove_it(staff, acme):
    console = _console(staff)
    trunk_id = _trunk_id(acme.tenant)
    response = console.post(
        "/platform/trunks/add/",
        {"tenant": "acme", "trunk": str(trunk_id), "address": "198.51.100.20", "port": "5080", "outbound": "on"},
        follow=True,
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "198.51.100.20:5080" in page and "inbound and outbound" in page
    with schema_context("public"):
        assert trunk_gateways(acme.tenant) == {trunk_id: ("198.51.100.20", 5080)}
        row = TrunkAddress.objects.get(address="198.51.100.20")
    response = console.post(f"/platform/trunks/{row.pk}/remove/", follow=True)
    assert "198.51.100.20:5080" not in response.content.decode()
    with schema_context("public"):
        assert not TrunkAddress.objects.filter(pk=row.pk).exists()


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"tenant": "nobody", "trunk": "1", "address": "198.51.100.21"}, "Unknown tenant."),
        ({"tenant": "acme", "trunk": "x", "address": "198.51.100.21"}, "Enter the trunk"),
        ({"tenant": "acme", "trunk": "999999", "address": "198.51.100.21"}, "Unknown trunk."),
        ({"tenant": "acme", "trunk": "{trunk}", "address": "not-an-ip"}, "Enter an IPv4 or IPv6 address."),
        ({"tenant": "acme", "trunk": "{trunk}", "address": "198.51.100.21", "port": "70000"}, "port between"),
    ],
)
def test_bad_input_is_refused_with_a_message_and_changes_nothing(staff, acme, fields, message):
    trunk_id = _trunk_id(acme.tenant)
    fields = {key: value.replace("{trunk}", str(trunk_id)) for key, value in fields.items()}
    with schema_context("public"):
        before = TrunkAddress.objects.count()
    response = _console(staff).post("/platform/trunks/add/", fields, follow=True)
    assert message in response.content.decode()
    with schema_context("public"):
        assert TrunkAddress.objects.count() == before


def test_only_platform_staff_reach_the_page(acme, db):
    assert _console(None).get("/platform/trunks/").status_code == 302  # to the login page
    with schema_context("public"):
        user = User.objects.create_user("someone-trunks@platform.test", PASSWORD)
    assert _console(user).get("/platform/trunks/").status_code == 302
    response = Client(HTTP_HOST="acme." + settings.PLATFORM_DOMAIN).get("/platform/trunks/")
    assert response.status_code == 404  # not served on a tenant host
