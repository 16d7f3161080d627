"""The tenant REST API under /api/v1/: every app registers its routes here."""

from django.urls import include, path

urlpatterns = [
    path("", include("apps.accounts.api.urls")),
    path("", include("apps.telephony.api.urls")),
    path("", include("apps.crm.api.urls")),
    path("", include("apps.crm.api.routes_kb")),
    path("", include("apps.crm.api.routes_surveys")),
    path("", include("apps.calendar.api.urls")),
    path("", include("apps.audit.api.urls")),
    path("", include("apps.retention.api.urls")),
    path("", include("apps.reports.api.urls")),
    path("", include("apps.qa.api.urls")),
    path("", include("apps.training.api.urls")),
    path("", include("apps.notifications.api.urls")),
    path("", include("apps.billing.api.urls_tenant")),
    path("", include("apps.workforce.api.urls")),
    path("", include("apps.webhooks.api.urls")),
]
