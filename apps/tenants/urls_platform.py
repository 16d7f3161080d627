from django.urls import include, path

from apps.audit import views as audit_views
from apps.calendar import views as calendar_views
from apps.sip import views as sip_views
from apps.tenants.views import platform, platform_tenant

app_name = "platform"

urlpatterns = [
    path("", platform.tenants, name="tenants"),
    path("tenants/<slug:slug>/", platform_tenant.tenant_detail, name="tenant"),
    path("tenants/<slug:slug>/status/", platform.tenant_status, name="tenant_status"),
    path("tenants/<slug:slug>/number/", platform.tenant_number, name="tenant_number"),
    path("tenants/<slug:slug>/caller-id/", platform.tenant_caller_id, name="tenant_caller_id"),
    path("tenants/<slug:slug>/audit/", audit_views.platform_audit_log, name="tenant_audit"),
    path("pool/", platform.pool_add, name="pool_add"),
    path("trunks/", sip_views.trunk_addresses, name="trunk_addresses"),
    path("trunks/add/", sip_views.trunk_address_create, name="trunk_address_create"),
    path("trunks/<int:pk>/remove/", sip_views.trunk_address_delete, name="trunk_address_delete"),
    path("calendar/", calendar_views.platform_calendar, name="calendar"),
    path("billing/", include("apps.billing.urls_platform")),
    path("calendar/days/", calendar_views.platform_day_save, name="calendar_day_save"),
    path("calendar/days/<str:date>/remove/", calendar_views.platform_day_delete, name="calendar_day_delete"),
    path("calendar/years/<int:year>/", calendar_views.platform_year_official, name="calendar_year"),
    path("calendar/import/", calendar_views.platform_import, name="calendar_import"),
]
