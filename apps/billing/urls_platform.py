"""/platform/billing/… (included from apps/tenants/urls_platform.py, so the names are platform:billing…)."""

from django.urls import path

from apps.billing.views import platform

urlpatterns = [
    path("", platform.billing_month, name="billing"),
    path("<str:month>/close/", platform.billing_close, name="billing_close"),
    path("<str:month>/meter/", platform.billing_meter, name="billing_meter"),
    path("<str:month>/<slug:slug>/", platform.invoice_detail, name="billing_invoice"),
    path("<str:month>/<slug:slug>/issue/", platform.billing_issue, name="billing_issue"),
    path("<str:month>/<slug:slug>/invoice-<str:language>.pdf", platform.invoice_download, name="billing_pdf"),
]
