from django.urls import path

from apps.tenants.views import platform

app_name = "platform"

urlpatterns = [
    path("", platform.tenants, name="tenants"),
    path("tenants/<slug:slug>/status/", platform.tenant_status, name="tenant_status"),
    path("tenants/<slug:slug>/number/", platform.tenant_number, name="tenant_number"),
    path("pool/", platform.pool_add, name="pool_add"),
]
