"""The platform console's tenant page: seat-days, usage, staff actions, confirmations, labels."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation
from django_tenants.utils import schema_context

from apps.accounts.models import User
from apps.audit.choices import AuditAction
from apps.billing.periods import previous_month
from apps.billing.services.invoices import billing_close_month
from apps.tenants.choices import TenantStatus, UsageKind
from apps.tenants.models import SeatUsageDay, Tenant, UsageEvent
from apps.tenants.selectors.usage import platform_today
from apps.tenants.services.usage import seat_days_record
from tests.conftest import PASSWORD

ROOT = Path(__file__).resolve().parents[2]


def _public_user(email: str, *, staff: bool) -> User:
    with schema_context("public"):
        if staff:
            return User.objects.create_superuser(email, PASSWORD)
        return User.objects.create_user(email, PASSWORD)


def _console(user: User | None = None, language: str = "en") -> Client:
    client = Client(HTTP_HOST=settings.PLATFORM_DOMAIN, HTTP_ACCEPT_LANGUAGE=language)
    if user is not None:
        with schema_context("public"):
            client.force_login(user)
    return client


@pytest.fixture
def staff(db) -> User:
    return _public_user("ops@platform.test", staff=True)


def _tenant(slug: str) -> Tenant:
    with schema_context("public"):
        return Tenant.objects.get(slug=slug)


def _seat_days(tenant: Tenant, seats_by_age: dict[int, int]) -> None:
    today = platform_today()
    with schema_context("public"):
        SeatUsageDay.objects.filter(tenant=tenant).delete()
        for age, seats in seats_by_age.items():
            seat_days_record(tenant_id=tenant.pk, seats=seats, day=today - timedelta(days=age))


# --- who may see it ----------------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_login(acme):
    response = _console().get("/platform/tenants/acme/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_a_non_staff_public_user_is_refused_as_on_the_list(acme):
    outsider = _public_user("someone@platform.test", staff=False)

    response = _console(outsider).get("/platform/tenants/acme/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_the_page_is_not_served_on_a_tenant_host(acme):
    client = acme.client()
    with schema_context(acme.tenant.schema_name):
        client.force_login(acme.admin())

    assert client.get("/platform/tenants/acme/").status_code == 404


def test_unknown_and_platform_slugs_are_404(staff):
    assert _console(staff).get("/platform/tenants/nosuchco/").status_code == 404
    assert _console(staff).get("/platform/tenants/public/").status_code == 404


def test_the_list_links_each_tenant_to_its_page(staff, acme):
    html = _console(staff).get("/platform/").content.decode()

    assert 'href="/platform/tenants/acme/"' in html


# --- seat-days and usage ------------------------------------------------------------------------------


def test_seat_days_total_equals_the_rows_of_the_window(staff, acme, globex):
    tenant = _tenant("acme")
    _seat_days(tenant, {0: 5, 1: 7, 2: 7, 40: 3, 120: 9})  # the 120-day-old row is outside 90 days
    _seat_days(_tenant("globex"), {0: 50})  # another tenant's rows never count

    response = _console(staff).get("/platform/tenants/acme/")

    assert response.status_code == 200
    seat_days = response.context["seat_days"]
    with schema_context("public"):
        rows = SeatUsageDay.objects.filter(tenant=tenant, day__gte=seat_days.first_day, day__lte=seat_days.last_day)
        expected = sum(rows.values_list("seats", flat=True))
    assert seat_days.total == expected == 22
    assert [row.seats for row in seat_days.rows] == [3, 7, 7, 5]  # oldest first, as charted
    assert response.context["chart"]["seats"] == [3, 7, 7, 5]
    html = response.content.decode()
    assert re.search(r'class="seat-days-total">22<', html)
    assert 'id="seat-chart-data"' in html  # the chart's data travels in a json_script, not inline JS

    year = _console(staff).get("/platform/tenants/acme/", {"days": "365"})
    assert year.context["seat_days"].total == 31


def test_month_figures_sum_the_calendar_months(staff, acme):
    tenant = _tenant("acme")
    today = platform_today()
    first = today.replace(day=1)
    last_month_day = first - timedelta(days=1)
    with schema_context("public"):
        SeatUsageDay.objects.filter(tenant=tenant).delete()
        seat_days_record(tenant_id=tenant.pk, seats=4, day=first)
        seat_days_record(tenant_id=tenant.pk, seats=6, day=last_month_day)
        seat_days_record(tenant_id=tenant.pk, seats=2, day=last_month_day.replace(day=1))

    response = _console(staff).get("/platform/tenants/acme/")

    assert response.context["seat_days_this_month"] == 4
    expected_last = 6 + 2 if last_month_day.day > 1 else 6
    assert response.context["seat_days_last_month"] == expected_last


def test_a_tenant_without_rows_says_so_and_loads_no_chart(staff, acme):
    with schema_context("public"):
        SeatUsageDay.objects.filter(tenant=_tenant("acme")).delete()

    html = _console(staff).get("/platform/tenants/acme/").content.decode()

    assert "No seat-days metered in this period." in html
    assert "echarts" not in html


def test_usage_figures_count_the_events(staff, acme):
    tenant = _tenant("acme")
    with schema_context("public"):
        UsageEvent.objects.create(tenant=tenant, kind=UsageKind.SEATS_ADDED, quantity=3)
        UsageEvent.objects.create(tenant=tenant, kind=UsageKind.SEATS_ADDED, quantity=2)
        expected = UsageEvent.objects.filter(tenant=tenant, kind=UsageKind.SEATS_ADDED).count()

    response = _console(staff).get("/platform/tenants/acme/")

    figures = {figure.kind: figure for figure in response.context["usage"]}
    assert figures[UsageKind.SEATS_ADDED].events == expected
    assert figures[UsageKind.SEATS_ADDED].quantity >= 5
    assert "Seats added" in response.content.decode()


def test_invoices_box_lists_the_tenants_invoices(staff, acme, globex):
    html = _console(staff).get("/platform/tenants/acme/").content.decode()
    assert 'id="invoices"' in html and "No invoice yet." in html

    month = previous_month(platform_today().replace(day=1))
    with schema_context("public"):
        acme_invoice = billing_close_month(tenant=_tenant("acme"), month=month)
        globex_invoice = billing_close_month(tenant=_tenant("globex"), month=month)
    html = _console(staff).get("/platform/tenants/acme/").content.decode()
    assert f'data-invoice="{acme_invoice.number}"' in html
    assert globex_invoice.number not in html


# --- staff actions ------------------------------------------------------------------------------------


def test_staff_actions_on_the_tenant_are_listed(staff, acme):
    console = _console(staff)
    console.post("/platform/tenants/acme/status/", {"action": "suspend", "reason": "unpaid", "back": "tenant"})
    console.post("/platform/tenants/acme/status/", {"action": "resume", "back": "tenant"})

    response = console.get("/platform/tenants/acme/")

    actions = [entry.action for entry in response.context["staff_actions"]]
    assert actions[:2] == [AuditAction.PLATFORM_TENANT_RESUMED, AuditAction.PLATFORM_TENANT_SUSPENDED]
    html = response.content.decode()
    assert "Suspended by the platform" in html
    assert "Reason: unpaid" in html
    assert "ops@platform.test" in html


def test_tenant_users_own_actions_are_not_staff_actions(staff, acme):
    acme.client().post("/accounts/login/", {"username": acme.admin_email, "password": "wrong"})

    response = _console(staff).get("/platform/tenants/acme/")

    assert all(entry.actor_kind == "platform" for entry in response.context["staff_actions"])


def test_a_deleted_tenant_shows_its_metering_without_a_log(staff, acme):
    with schema_context("public"):
        Tenant.objects.filter(slug="acme").update(status=TenantStatus.DELETED)

    response = _console(staff).get("/platform/tenants/acme/")

    assert response.status_code == 200
    assert response.context["staff_actions"] == []
    assert 'name="action"' not in response.content.decode()


# --- suspend, resume and delete: POST only, asked first ----------------------------------------------


def test_status_changes_need_post(staff, acme):
    response = _console(staff).get("/platform/tenants/acme/status/", {"action": "suspend", "back": "tenant"})

    assert response.status_code == 405
    assert _tenant("acme").status == TenantStatus.ACTIVE


def test_an_active_tenant_page_asks_before_suspending_and_deleting(staff, acme):
    html = _console(staff).get("/platform/tenants/acme/").content.decode()

    suspend = re.search(r'<form method="post" action="/platform/tenants/acme/status/"[^>]*data-confirm="([^"]+)"', html)
    assert suspend and "Suspend Acme Ltd?" in suspend.group(1)
    assert 'value="suspend"' in html
    assert "Schedule the deletion of Acme Ltd?" in html
    assert 'name="confirm"' in html  # and the slug typed out
    assert "data-danger" in html


def test_a_suspended_tenant_page_asks_before_resuming(staff, acme):
    console = _console(staff)
    response = console.post("/platform/tenants/acme/status/", {"action": "suspend", "back": "tenant"})
    assert response["Location"] == "/platform/tenants/acme/"

    html = console.get("/platform/tenants/acme/").content.decode()

    assert 'value="resume"' in html
    assert "Resume Acme Ltd? Its users can work in it again." in html


def test_the_list_asks_before_suspend_resume_and_delete(staff, acme):
    html = _console(staff).get("/platform/").content.decode()

    assert "Suspend Acme Ltd?" in html
    assert "Schedule the deletion of Acme Ltd?" in html


def test_the_list_still_returns_to_the_list(staff, acme):
    response = _console(staff).post("/platform/tenants/acme/status/", {"action": "suspend"})

    assert response["Location"] == "/platform/"


# --- labels: "Resume" a tenant is not "Resume" a held call -------------------------------------------


def test_resume_has_one_context_per_meaning_in_the_catalog():
    with translation.override("zh-hans"):
        assert translation.pgettext("tenant", "Resume") == "恢复"
        assert translation.pgettext("call", "Resume") == "取回"
        assert translation.pgettext("campaign", "Resume") == "继续"
        assert translation.pgettext("legal hold", "Release") != translation.pgettext("call", "Release")


def test_the_console_says_resume_in_the_tenant_context(staff, acme):
    console = _console(staff, language="zh-hans")
    console.post("/platform/tenants/acme/status/", {"action": "suspend"})

    page = console.get("/platform/tenants/acme/").content.decode()
    listing = console.get("/platform/").content.decode()

    with translation.override("zh-hans"):
        label = translation.pgettext("tenant", "Resume")
    for html in (page, listing):
        assert "取回" not in html  # un-hold a call, never a tenant
        assert f'value="resume" class="primary">{label}<' in html or f">{label}</button>" in html
