"""``tenant_provision``: what a new tenant gets, and that a failure leaves nothing behind."""

from __future__ import annotations

import re

import pytest
from django.test import Client, override_settings
from django.utils import timezone
from django_tenants.utils import schema_context, tenant_context

from apps.accounts.choices import Role
from apps.accounts.models import User
from apps.core.errors import ApplicationError
from apps.telephony.choices import TrunkKind
from apps.telephony.models import PhoneNumber, Seat, Trunk
from apps.tenants.choices import PoolNumberStatus, UsageKind
from apps.tenants.models import Domain, PoolNumber, SeatUsageDay, SipDirectoryEntry, Tenant, UsageEvent
from apps.tenants.services.provisioning import ProvisionResult, tenant_provision
from tests.conftest import PASSWORD
from tests.tenants.conftest import platform_state, schema_exists

HEX32 = re.compile(r"^[0-9a-f]{32}$")
PENDING_HOME = "Number pending: the platform will assign your service number shortly."


class SeederFailedError(RuntimeError):
    pass


def failing_seeder(tenant: Tenant) -> None:
    """A late provisioning step that fails (after schema, admin, seats and number exist)."""
    raise SeederFailedError(f"seeding {tenant.slug} failed")


seeder_calls: list[str] = []


def recording_seeder(tenant: Tenant) -> None:
    from django.db import connection

    seeder_calls.append(f"{tenant.slug}:{connection.schema_name}")


def provision(slug: str = "initech", seats: int = 4, **overrides) -> ProvisionResult:
    arguments = {
        "company": "Initech Ltd",
        "slug": slug,
        "admin_email": f"admin@{slug}.test",
        "admin_password": PASSWORD,
        "seats": seats,
        "plan": "standard",
    }
    arguments.update(overrides)
    with schema_context("public"):
        return tenant_provision(**arguments)


# --- what a new tenant gets ----------------------------------------------------------------------


def test_provisioning_creates_the_schema(db):
    result = provision()

    assert result.tenant.schema_name == "t_initech"
    assert schema_exists("t_initech")


def test_provisioning_creates_the_primary_domain(db):
    result = provision()

    assert result.domain == "initech.localhost"
    domain = Domain.objects.get(domain="initech.localhost")
    assert domain.tenant_id == result.tenant.pk
    assert domain.is_primary


def test_provisioning_result_describes_the_tenant(db):
    result = provision(seats=4)

    assert result.tenant.slug == "initech"
    assert result.seats == 4
    assert isinstance(result.provisioned_ms, int)
    assert result.admin.email == "admin@initech.test"


def test_admin_holds_tenant_admin_and_supervisor_roles(db):
    result = provision()

    with tenant_context(result.tenant):
        admin = User.objects.get(email="admin@initech.test")
        assert sorted(admin.roles) == sorted([Role.TENANT_ADMIN, Role.SUPERVISOR])
        assert admin.is_active
        assert not admin.is_staff
        assert User.objects.count() == 1


def test_admin_password_is_hashed_and_checks(db):
    result = provision()

    with tenant_context(result.tenant):
        admin = User.objects.get(email="admin@initech.test")
        assert admin.password != PASSWORD
        assert admin.check_password(PASSWORD)
        assert not admin.check_password(PASSWORD + "x")


def test_admin_can_log_in_on_the_new_host(db):
    provision()
    client = Client(HTTP_HOST="initech.localhost", HTTP_ACCEPT_LANGUAGE="en")

    response = client.post("/accounts/login/", {"username": "admin@initech.test", "password": PASSWORD})

    assert response.status_code == 302, response.content
    home = client.get("/")
    assert home.status_code == 200
    assert home.wsgi_request.user.email == "admin@initech.test"


def test_admin_is_not_created_in_the_public_schema(db):
    provision()

    with schema_context("public"):
        assert not User.objects.filter(email="admin@initech.test").exists()


@pytest.mark.parametrize("seats", [1, 4, 12])
def test_seats_get_consecutive_extensions_from_1001(db, seats):
    result = provision(seats=seats)

    with tenant_context(result.tenant):
        extensions = list(Seat.objects.order_by("extension").values_list("extension", flat=True))
    assert extensions == [str(1001 + n) for n in range(seats)]


def test_seat_sip_usernames_are_extension_at_slug(db):
    result = provision(seats=3)

    with tenant_context(result.tenant):
        seats = list(Seat.objects.order_by("extension"))
    assert [seat.sip_username for seat in seats] == ["1001@initech", "1002@initech", "1003@initech"]


def test_seats_store_only_a_distinct_ha1_digest(db):
    result = provision(seats=5)

    with tenant_context(result.tenant):
        digests = list(Seat.objects.values_list("sip_ha1", flat=True))
    assert all(HEX32.match(digest) for digest in digests)
    assert len(set(digests)) == 5
    secret_fields = [field.name for field in Seat._meta.get_fields() if "secret" in field.name]
    assert secret_fields == ["secret_reset_at"]


def test_seats_are_listed_in_the_public_sip_directory(db):
    result = provision(seats=3)

    with tenant_context(result.tenant):
        seats = {seat.sip_username: seat for seat in Seat.objects.all()}
    with schema_context("public"):
        entries = list(SipDirectoryEntry.objects.filter(tenant=result.tenant))
    assert {entry.username for entry in entries} == set(seats)
    for entry in entries:
        # New seats are browser seats: until an agent logs into one, its directory row holds an
        # HA1 nobody is told (not the seat's own secret), so nothing can register on it.
        assert seats[entry.username].registration_mode == "browser"
        assert entry.ha1 != seats[entry.username].sip_ha1
        assert entry.extension == seats[entry.username].extension
        assert HEX32.match(entry.ha1)
    assert len({entry.ha1 for entry in entries}) == len(entries)


def test_tenant_seat_count_matches_the_seats(db):
    result = provision(seats=7)

    assert result.tenant.seat_count == 7
    assert Tenant.objects.get(pk=result.tenant.pk).seat_count == 7


def test_default_trunk_is_a_simulated_carrier_with_30_channels(db):
    result = provision()

    with tenant_context(result.tenant):
        trunk = Trunk.objects.get()
    assert trunk.kind == TrunkKind.SIM
    assert trunk.channels == 30
    assert trunk.is_default
    assert trunk.caller_id == result.number


def test_one_number_comes_from_the_pool(db, state_before):
    first_free = min(state_before.available_numbers)

    result = provision()

    assert result.number == first_free
    with tenant_context(result.tenant):
        number = PhoneNumber.objects.get()
        assert number.number == first_free
        assert number.trunk.is_default
    pool_number = PoolNumber.objects.get(number=first_free)
    assert pool_number.status == PoolNumberStatus.ASSIGNED
    assert pool_number.tenant_id == result.tenant.pk
    assert pool_number.assigned_at is not None
    assert platform_state().available_numbers == state_before.available_numbers - {first_free}


def test_two_tenants_get_different_numbers(db):
    first = provision("initech")
    second = provision("hooli", admin_email="admin@hooli.test")

    assert first.number is not None
    assert second.number is not None
    assert first.number != second.number


def test_provisioning_records_one_usage_event(db):
    result = provision(seats=4)

    events = list(UsageEvent.objects.filter(tenant=result.tenant))
    assert len(events) == 1
    assert events[0].kind == UsageKind.TENANT_PROVISIONED
    assert events[0].quantity == 4
    assert events[0].detail == {"plan": "standard", "number": result.number}


def test_provisioning_opens_todays_seat_day(db):
    result = provision(seats=6)

    row = SeatUsageDay.objects.get(tenant=result.tenant)
    assert row.day == timezone.localdate()
    assert row.seats == 6


def test_tenant_settings_defaults(db, settings):
    settings.LANGUAGE_CODE = "zh-hans"  # the platform's language outside the test settings
    result = provision()

    tenant = Tenant.objects.get(pk=result.tenant.pk)
    assert tenant.status == "active"
    assert tenant.time_zone == "Asia/Shanghai"
    assert tenant.default_language == "zh-hans"
    assert tenant.plan.code == "standard"
    assert not tenant.number_pending


def test_a_company_may_choose_english(db, settings):
    settings.LANGUAGE_CODE = "zh-hans"
    result = provision(language="en")

    assert Tenant.objects.get(pk=result.tenant.pk).default_language == "en"


def test_seeders_run_inside_the_new_tenant_schema(db):
    seeder_calls.clear()
    with override_settings(TENANT_SEEDERS=["tests.tenants.test_provisioning.recording_seeder"]):
        provision()

    assert seeder_calls == ["initech:t_initech"]


def test_invalid_arguments_raise_application_error_and_create_nothing(db, state_before):
    with pytest.raises(ApplicationError) as raised:
        provision(slug="www", seats=0)

    assert raised.value.code == "invalid"
    assert set(raised.value.fields) == {"slug", "seats"}
    assert platform_state() == state_before


# --- empty number pool ------------------------------------------------------------------------


def test_empty_pool_still_provisions_with_number_pending(db, empty_pool):
    result = provision()

    assert result.number is None
    assert result.tenant.number_pending
    assert Tenant.objects.get(pk=result.tenant.pk).number_pending
    with tenant_context(result.tenant):
        assert not PhoneNumber.objects.exists()
        assert Trunk.objects.get().caller_id == ""
        assert Seat.objects.count() == 4
    assert UsageEvent.objects.get(tenant=result.tenant).detail == {"plan": "standard", "number": None}


def test_empty_pool_signup_api_answers_201(public_api, empty_pool):
    response = public_api.post(
        "/api/v1/signup",
        {
            "company": "Initech",
            "slug": "initech",
            "admin_email": "admin@initech.test",
            "admin_password": PASSWORD,
            "seats": 2,
            "plan": "starter",
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    assert response.json()["number"] is None
    assert Tenant.objects.get(slug="initech").number_pending


def _logged_in(tenant: Tenant, user: User) -> Client:
    client = Client(HTTP_HOST=f"{tenant.slug}.localhost", HTTP_ACCEPT_LANGUAGE="en")
    with tenant_context(tenant):
        client.force_login(user)
    return client


def test_tenant_admin_home_shows_number_pending(db, empty_pool):
    result = provision()

    response = _logged_in(result.tenant, result.admin).get("/")

    assert response.status_code == 200
    assert PENDING_HOME in response.content.decode()


def test_tenant_admin_home_without_pending_number_has_no_notice(db):
    result = provision()

    response = _logged_in(result.tenant, result.admin).get("/")

    assert response.status_code == 200
    assert PENDING_HOME not in response.content.decode()
    assert result.number in response.content.decode()


def _platform_staff_client() -> Client:
    with schema_context("public"):
        staff = User.objects.create_superuser("ops@platform.test", PASSWORD)
        client = Client(HTTP_HOST="localhost", HTTP_ACCEPT_LANGUAGE="en")
        client.force_login(staff)
    return client


def _console_row(html: str, domain: str) -> str:
    rows = [row for row in html.split("<tr>") if f"<td>{domain}</td>" in row]
    assert len(rows) == 1, f"no single row for {domain}"
    return rows[0]


def test_platform_console_shows_number_pending(db, empty_pool):
    provision()

    response = _platform_staff_client().get("/platform/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "Number pending" in _console_row(html, "initech.localhost")
    assert response.context["pending"] == 1


def test_platform_console_does_not_flag_tenants_with_a_number(db, acme):
    provision()

    html = _platform_staff_client().get("/platform/").content.decode()

    assert "Number pending" not in _console_row(html, "initech.localhost")
    assert "Number pending" not in _console_row(html, "acme.localhost")


# --- failure leaves nothing behind ---------------------------------------------------------------


@override_settings(TENANT_SEEDERS=["tests.tenants.test_provisioning.failing_seeder"])
def test_failure_at_a_late_step_leaves_nothing_behind(db, state_before):
    with pytest.raises(SeederFailedError):
        provision(seats=5)

    assert not schema_exists("t_initech")
    with schema_context("public"):
        assert not Tenant.objects.filter(slug="initech").exists()
        assert not Tenant.objects.filter(schema_name="t_initech").exists()
        assert not Domain.objects.filter(domain="initech.localhost").exists()
        assert not SipDirectoryEntry.objects.filter(username__endswith="@initech").exists()
    after = platform_state()
    assert after.usage_events == state_before.usage_events
    assert after.seat_days == state_before.seat_days
    assert after == state_before


@override_settings(TENANT_SEEDERS=["tests.tenants.test_provisioning.failing_seeder"])
def test_failure_returns_the_pool_number(db, state_before):
    first_free = min(state_before.available_numbers)

    with pytest.raises(SeederFailedError):
        provision()

    pool_number = PoolNumber.objects.get(number=first_free)
    assert pool_number.status == PoolNumberStatus.AVAILABLE
    assert pool_number.tenant_id is None
    assert pool_number.assigned_at is None


def test_the_slug_is_free_again_after_a_failed_provisioning(db):
    with (
        override_settings(TENANT_SEEDERS=["tests.tenants.test_provisioning.failing_seeder"]),
        pytest.raises(SeederFailedError),
    ):
        provision()

    result = provision()

    assert result.tenant.slug == "initech"
    with tenant_context(result.tenant):
        assert Seat.objects.count() == 4


def test_failure_leaves_the_connection_on_the_public_schema(db):
    from django.db import connection

    with (
        override_settings(TENANT_SEEDERS=["tests.tenants.test_provisioning.failing_seeder"]),
        pytest.raises(SeederFailedError),
    ):
        provision()

    assert connection.schema_name == "public"


# --- isolation between tenants -------------------------------------------------------------------


def test_user_of_one_tenant_does_not_exist_in_another(acme, globex):
    with tenant_context(globex.tenant):
        assert not User.objects.filter(email="admin@acme.test").exists()
    with tenant_context(acme.tenant):
        assert not User.objects.filter(email="admin@globex.test").exists()
        assert User.objects.filter(email="admin@acme.test").exists()


def test_new_tenant_users_live_only_in_its_schema(acme):
    result = provision()

    with tenant_context(acme.tenant):
        assert not User.objects.filter(email="admin@initech.test").exists()
    with tenant_context(result.tenant):
        assert list(User.objects.values_list("email", flat=True)) == ["admin@initech.test"]


def test_same_email_may_administer_two_tenants_independently(acme):
    result = provision(admin_email="admin@acme.test", admin_password="An0ther-Passw0rd!")

    with tenant_context(result.tenant):
        assert User.objects.get(email="admin@acme.test").check_password("An0ther-Passw0rd!")
    with tenant_context(acme.tenant):
        own = User.objects.get(email="admin@acme.test")
        assert own.check_password(PASSWORD)
        assert not own.check_password("An0ther-Passw0rd!")


def test_new_tenant_seats_do_not_appear_in_another_tenant(acme):
    result = provision(seats=3)

    with tenant_context(acme.tenant):
        assert not Seat.objects.filter(sip_username__endswith="@initech").exists()
    with tenant_context(result.tenant):
        assert not Seat.objects.filter(sip_username__endswith="@acme").exists()


def test_admin_session_of_one_tenant_is_unknown_on_another_host(acme):
    result = provision()
    client = _logged_in(result.tenant, result.admin)
    client.defaults["HTTP_HOST"] = acme.host

    response = client.get("/")

    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
