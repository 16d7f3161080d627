"""/api/v1/platform/billing/… on the public host (included from apps/tenants/api/urls.py)."""

from django.urls import path

from apps.billing.api import views

urlpatterns = [
    # Any text after billing/ reaches the view, so that a bad month is a 400 naming the field, not a 404.
    path("platform/billing/<str:month>", views.PlatformBillingMonthView.as_view(), name="api-platform-billing-month"),
]
