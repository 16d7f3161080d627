"""/billing/ on a tenant host (included from config/urls_tenant.py)."""

from django.urls import path

from apps.billing.views import tenant

app_name = "billing"

urlpatterns = [
    path("", tenant.billing, name="usage"),
    path("invoices/<str:number>/<str:language>.pdf", tenant.invoice_download, name="invoice_pdf"),
]
