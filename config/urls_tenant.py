"""URLs of a tenant host (<slug>.<PLATFORM_DOMAIN>)."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from apps.core.api.docs import api_docs_view
from apps.core.views import home

urlpatterns = [
    path("", home, name="home"),
    path("accounts/", include("apps.accounts.urls")),
    path("console/", include("config.urls_console")),
    path("", include("apps.telephony.urls.agents")),
    path("console/ivr/", include("apps.telephony.urls.ivr")),
    path("console/campaigns/", include("apps.telephony.urls.campaigns")),
    path("calls/", include("apps.telephony.urls.calls")),
    path("customers/", include("apps.crm.urls")),
    path("tickets/", include("apps.crm.urls.tickets")),
    path("kb/", include("apps.crm.urls.kb")),
    path("surveys/", include("apps.crm.urls.surveys")),
    path("reports/", include("apps.reports.urls")),
    path("qa/", include("apps.qa.urls")),
    path("workforce/staffing/", include("apps.workforce.urls.staffing")),
    path("workforce/", include("apps.workforce.urls")),
    path("training/", include("apps.training.urls")),
    path("notifications/", include("apps.notifications.urls")),
    path("billing/", include("apps.billing.urls_tenant")),
    path("webhooks/", include("apps.webhooks.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include("config.api_tenant")),
    path("api/schema/", SpectacularAPIView.as_view(urlconf="config.urls_tenant"), name="schema"),
    path("api/docs/", api_docs_view("schema"), name="api-docs"),
]

# Error pages rendered in the request's tenant schema (apps/core/views.py explains why).
handler403 = "apps.core.views.permission_denied"
handler404 = "apps.core.views.page_not_found"
