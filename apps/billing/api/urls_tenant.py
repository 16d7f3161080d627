"""/api/v1/billing/… on a tenant host (included from config/api_tenant.py)."""

from django.urls import path

from apps.billing.api import tenant

urlpatterns = [
    path("billing/usage", tenant.BillingUsageView.as_view(), name="api-billing-usage"),
    path("billing/invoices", tenant.BillingInvoicesView.as_view(), name="api-billing-invoices"),
]
