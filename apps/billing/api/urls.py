"""/api/v1/platform/billing/… on the public host (included from apps/tenants/api/urls.py)."""

from django.urls import path

from apps.billing.api import platform

urlpatterns = [
    # Any text reaches the views, so that a bad month is a 400 naming the field, not a 404.
    path(
        "platform/billing/<str:month>", platform.PlatformBillingMonthView.as_view(), name="api-platform-billing-month"
    ),
    path(
        "platform/billing/<str:month>/close",
        platform.PlatformBillingCloseView.as_view(),
        name="api-platform-billing-close",
    ),
    path(
        "platform/billing/<str:month>/meter",
        platform.PlatformBillingMeterView.as_view(),
        name="api-platform-billing-meter",
    ),
    path(
        "platform/billing/<str:month>/<slug:slug>",
        platform.PlatformBillingInvoiceView.as_view(),
        name="api-platform-billing-invoice",
    ),
    path(
        "platform/billing/<str:month>/<slug:slug>/issue",
        platform.PlatformBillingIssueView.as_view(),
        name="api-platform-billing-issue",
    ),
]
