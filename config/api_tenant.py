"""The tenant REST API under /api/v1/: every app registers its routes here."""

from django.urls import include, path

urlpatterns = [
    path("", include("apps.accounts.api.urls")),
    path("", include("apps.telephony.api.urls")),
    path("", include("apps.telephony.api.urls_agents")),
    path("", include("apps.telephony.api.urls_ivr")),
    path("", include("apps.telephony.api.urls_calls")),
    path("", include("apps.telephony.api.urls_campaigns")),
    path("", include("apps.telephony.api.urls_campaign_desk")),
    path("", include("apps.telephony.api.urls_dialling")),
    path("", include("apps.crm.api.urls")),
    path("", include("apps.calendar.api.urls")),
    path("", include("apps.audit.api.urls")),
    path("", include("apps.retention.api.urls")),
]
