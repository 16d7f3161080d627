"""The platform operator: console and API (staff only), suspend/resume, seat-day metering."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context
from rest_framework.test import APIClient

from apps.accounts.models import User
from apps.accounts.services import token_create
from apps.tenants.choices import TenantStatus, UsageKind
from apps.tenants.models import SeatUsageDay, Tenant, UsageEvent
from apps.tenants.services.platform import tenant_suspend
from apps.tenants.services.usage import seat_days_record
from apps.tenants.tasks import meter_seat_days_task
from tests.conftest import PASSWORD


def _public_user(email: str, *, staff: bool) -> User:
    with schema_context("public"):
        if staff:
            return User.objects.create_superuser(email, PASSWORD)
        return User.objects.create_user(email, PASSWORD)


def _console(user: User | None = None) -> Client:
    client = Client(HTTP_HOST=settings.PLATFORM_DOMAIN, HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        with schema_context("public"):
            client.force_login(user)
    return client


def _platform_api(user: User | None = None) -> APIClient:
    client = APIClient(HTTP_HOST=settings.PLATFORM_DOMAIN, HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        with schema_context("public"):
            raw = token_create(user=user).raw
        client.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
    return client


@pytest.fixture
def staff(db) -> User:
    return _public_user("ops@platform.test", staff=True)


@pytest.fixture
def outsider(db) -> User:
    """A public-schema user with no tenant and no staff flag."""
    return _public_user("someone@platform.test", staff=False)


def _status(slug: str) -> str:
    with schema_context("public"):
        return Tenant.objects.get(slug=slug).status


def _usage(slug: str, kind: str) -> list[UsageEvent]:
    with schema_context("public"):
        return list(UsageEvent.objects.filter(tenant__slug=slug, kind=kind))


# --- console access -----------------------------------------------------------------------------


def test_console_sends_anonymous_visitors_to_login(db):
    response = _console().get("/platform/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert "next=/platform/" in response["Location"]


def test_console_refuses_a_non_staff_public_user(outsider):
    response = _console(outsider).get("/platform/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_console_lists_tenants_for_staff(staff, acme, globex):
    response = _console(staff).get("/platform/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "acme.localhost" in html
    assert "globex.localhost" in html
    slugs = {tenant.slug for tenant in response.context["tenants"]}
    assert {"acme", "globex"} <= slugs
    assert "public" not in slugs


def test_console_search_filters_tenants(staff, acme, globex):
    response = _console(staff).get("/platform/", {"q": "glob"})

    assert [tenant.slug for tenant in response.context["tenants"]] == ["globex"]


def test_console_is_not_served_on_a_tenant_host(acme):
    client = acme.client()
    with schema_context(acme.tenant.schema_name):
        client.force_login(acme.admin())

    response = client.get("/platform/")

    assert response.status_code == 404


def test_console_status_change_refuses_anonymous(acme):
    response = _console().post("/platform/tenants/acme/status/", {"action": "suspend"})

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert _status("acme") == TenantStatus.ACTIVE


def test_console_status_change_refuses_non_staff(outsider, acme):
    response = _console(outsider).post("/platform/tenants/acme/status/", {"action": "suspend"})

    assert response.status_code in (302, 403)
    assert _status("acme") == TenantStatus.ACTIVE
    assert _usage("acme", UsageKind.TENANT_SUSPENDED) == []


def test_console_status_change_refuses_get(staff, acme):
    response = _console(staff).get("/platform/tenants/acme/status/", {"action": "suspend"})

    assert response.status_code == 405
    assert _status("acme") == TenantStatus.ACTIVE


def test_console_status_change_of_unknown_tenant_is_404(staff):
    response = _console(staff).post("/platform/tenants/nosuchco/status/", {"action": "suspend"})

    assert response.status_code == 404


def test_console_cannot_suspend_the_platform_itself(staff):
    response = _console(staff).post("/platform/tenants/public/status/", {"action": "suspend"})

    assert response.status_code == 404
    assert _status("public") == TenantStatus.ACTIVE


# --- suspend and resume from the console ------------------------------------------------------------


def test_console_suspends_a_tenant(staff, acme):
    response = _console(staff).post("/platform/tenants/acme/status/", {"action": "suspend", "reason": "unpaid"})

    assert response.status_code == 302
    assert response["Location"] == "/platform/"
    assert _status("acme") == TenantStatus.SUSPENDED
    events = _usage("acme", UsageKind.TENANT_SUSPENDED)
    assert len(events) == 1
    assert events[0].detail == {"reason": "unpaid"}


def test_suspending_twice_records_one_event(staff, acme):
    console = _console(staff)
    console.post("/platform/tenants/acme/status/", {"action": "suspend"})
    console.post("/platform/tenants/acme/status/", {"action": "suspend"})

    assert len(_usage("acme", UsageKind.TENANT_SUSPENDED)) == 1


def test_suspending_one_tenant_leaves_the_other_active(staff, acme, globex):
    _console(staff).post("/platform/tenants/acme/status/", {"action": "suspend"})

    assert _status("globex") == TenantStatus.ACTIVE
    assert globex.api(globex.admin()).get("/api/v1/me").status_code == 200


def test_suspended_tenant_api_answers_403_tenant_suspended(staff, acme):
    api = acme.api(acme.admin())
    assert api.get("/api/v1/me").status_code == 200

    _console(staff).post("/platform/tenants/acme/status/", {"action": "suspend"})
    response = api.get("/api/v1/me", HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 403
    assert response.json() == {
        "code": "tenant_suspended",
        "message": "This contact center is suspended.",
        "fields": {},
    }


def test_suspended_tenant_refuses_token_requests(staff, acme):
    _console(staff).post("/platform/tenants/acme/status/", {"action": "suspend"})

    response = acme.api().post("/api/v1/auth/token", {"email": acme.admin_email, "password": PASSWORD})

    assert response.status_code == 403
    assert response.json()["code"] == "tenant_suspended"


@pytest.mark.parametrize("path", ["/", "/accounts/login/"])
def test_suspended_tenant_pages_answer_403(staff, acme, path):
    client = acme.client()
    with schema_context(acme.tenant.schema_name):
        client.force_login(acme.admin())

    _console(staff).post("/platform/tenants/acme/status/", {"action": "suspend"})
    response = client.get(path, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 403
    assert "This contact center is suspended" in response.content.decode()


def test_console_resume_restores_the_tenant(staff, acme):
    console = _console(staff)
    console.post("/platform/tenants/acme/status/", {"action": "suspend"})

    response = console.post("/platform/tenants/acme/status/", {"action": "resume"})

    assert response.status_code == 302
    assert _status("acme") == TenantStatus.ACTIVE
    assert len(_usage("acme", UsageKind.TENANT_RESUMED)) == 1
    assert acme.api(acme.admin()).get("/api/v1/me").status_code == 200
    with schema_context(acme.tenant.schema_name):
        client = acme.client()
        client.force_login(acme.admin())
    assert client.get("/").status_code == 200


def test_resuming_an_active_tenant_records_nothing(staff, acme):
    _console(staff).post("/platform/tenants/acme/status/", {"action": "resume"})

    assert _status("acme") == TenantStatus.ACTIVE
    assert _usage("acme", UsageKind.TENANT_RESUMED) == []


# --- platform API ----------------------------------------------------------------------------


def test_platform_api_lists_tenants_for_staff(staff, acme, globex):
    response = _platform_api(staff).get("/api/v1/platform/tenants")

    assert response.status_code == 200
    rows = {row["slug"]: row for row in response.json()["results"]}
    assert {"acme", "globex"} <= set(rows)
    assert "public" not in rows
    assert rows["acme"]["domain"] == "acme.localhost"
    assert rows["acme"]["plan"] == "standard"
    assert rows["acme"]["status"] == "active"
    assert rows["acme"]["seat_count"] == 5
    assert rows["acme"]["number_pending"] is False


def test_platform_api_shows_one_tenant(staff, acme):
    response = _platform_api(staff).get("/api/v1/platform/tenants/acme")

    assert response.status_code == 200
    assert response.json()["slug"] == "acme"
    assert response.json()["name"] == "Acme Ltd"


def test_platform_api_suspends_and_resumes(staff, acme):
    api = _platform_api(staff)

    suspended = api.post("/api/v1/platform/tenants/acme/suspend", {"reason": "abuse"}, format="json")

    assert suspended.status_code == 200
    assert suspended.json()["status"] == "suspended"
    assert _status("acme") == TenantStatus.SUSPENDED
    assert _usage("acme", UsageKind.TENANT_SUSPENDED)[0].detail == {"reason": "abuse"}
    assert acme.api(acme.admin()).get("/api/v1/me").json()["code"] == "tenant_suspended"

    resumed = api.post("/api/v1/platform/tenants/acme/resume")

    assert resumed.status_code == 200
    assert resumed.json()["status"] == "active"
    assert _status("acme") == TenantStatus.ACTIVE
    assert len(_usage("acme", UsageKind.TENANT_RESUMED)) == 1
    assert acme.api(acme.admin()).get("/api/v1/me").status_code == 200


def test_platform_api_suspend_of_unknown_tenant_is_404(staff):
    response = _platform_api(staff).post("/api/v1/platform/tenants/nosuchco/suspend")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/platform/tenants"),
        ("get", "/api/v1/platform/tenants/acme"),
        ("post", "/api/v1/platform/tenants/acme/suspend"),
        ("post", "/api/v1/platform/tenants/acme/resume"),
    ],
)
def test_platform_api_refuses_non_staff(outsider, acme, method, path):
    response = getattr(_platform_api(outsider), method)(path)

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert _status("acme") == TenantStatus.ACTIVE


@pytest.mark.parametrize(
    ("method", "path"),
    [("get", "/api/v1/platform/tenants"), ("post", "/api/v1/platform/tenants/acme/suspend")],
)
def test_platform_api_refuses_anonymous(db, acme, method, path):
    response = getattr(_platform_api(), method)(path)

    assert response.status_code == 401
    assert _status("acme") == TenantStatus.ACTIVE


def test_platform_api_refuses_a_tenant_admin_token(acme):
    client = _platform_api()
    client.credentials(HTTP_AUTHORIZATION=f"Token {acme.token(acme.admin())}")

    response = client.post("/api/v1/platform/tenants/acme/suspend")

    assert response.status_code == 401
    assert _status("acme") == TenantStatus.ACTIVE


def test_platform_api_is_not_served_on_a_tenant_host(staff, acme):
    response = acme.api(acme.admin()).get("/api/v1/platform/tenants")

    assert response.status_code == 404


# --- seat-day metering -------------------------------------------------------------------------


def test_meter_seat_days_writes_today_for_active_tenants(acme, globex):
    today = timezone.localdate()
    with schema_context("public"):
        SeatUsageDay.objects.filter(day=today).delete()
        active = Tenant.objects.exclude(schema_name="public").filter(status=TenantStatus.ACTIVE).count()

    written = meter_seat_days_task()

    assert written == active
    with schema_context("public"):
        assert SeatUsageDay.objects.get(tenant=acme.tenant, day=today).seats == 5
        assert SeatUsageDay.objects.get(tenant=globex.tenant, day=today).seats == 5
        assert not SeatUsageDay.objects.filter(tenant__schema_name="public").exists()


def test_meter_seat_days_skips_suspended_tenants(acme, globex):
    today = timezone.localdate()
    with schema_context("public"):
        SeatUsageDay.objects.filter(day=today).delete()
        tenant_suspend(tenant=acme.tenant)

    meter_seat_days_task()

    with schema_context("public"):
        assert not SeatUsageDay.objects.filter(tenant=acme.tenant, day=today).exists()
        assert SeatUsageDay.objects.filter(tenant=globex.tenant, day=today).exists()


def test_meter_seat_days_is_idempotent(acme):
    today = timezone.localdate()
    with schema_context("public"):
        SeatUsageDay.objects.filter(day=today).delete()

    meter_seat_days_task()
    meter_seat_days_task()

    with schema_context("public"):
        assert SeatUsageDay.objects.filter(tenant=acme.tenant, day=today).count() == 1


def test_meter_seat_days_keeps_the_days_peak(acme):
    today = timezone.localdate()
    with schema_context("public"):
        SeatUsageDay.objects.filter(tenant=acme.tenant, day=today).delete()
        seat_days_record(tenant_id=acme.tenant.pk, seats=9, day=today)

    meter_seat_days_task()

    with schema_context("public"):
        assert SeatUsageDay.objects.get(tenant=acme.tenant, day=today).seats == 9


def test_meter_seat_days_leaves_other_days_alone(acme):
    yesterday = timezone.localdate() - timedelta(days=1)
    with schema_context("public"):
        SeatUsageDay.objects.filter(tenant=acme.tenant, day=yesterday).delete()
        seat_days_record(tenant_id=acme.tenant.pk, seats=2, day=yesterday)

    meter_seat_days_task()

    with schema_context("public"):
        assert SeatUsageDay.objects.get(tenant=acme.tenant, day=yesterday).seats == 2


def test_meter_seat_days_runs_as_a_celery_task(acme):
    today = timezone.localdate()
    with schema_context("public"):
        SeatUsageDay.objects.filter(day=today).delete()

    result = meter_seat_days_task.delay()

    assert result.get() >= 2
    with schema_context("public"):
        assert SeatUsageDay.objects.filter(tenant=acme.tenant, day=today).exists()
