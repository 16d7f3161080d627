"""/api/v1/ routes for outbound campaigns (apps/telephony/api/campaigns.py)."""

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from apps.telephony.api import campaigns

router = SimpleRouter(trailing_slash=False)
router.register("campaigns", campaigns.CampaignViewSet, basename="campaign")
router.register("contact-lists", campaigns.ContactListViewSet, basename="contact-list")
router.register("contacts", campaigns.ContactViewSet, basename="contact")
router.register("dnc", campaigns.DoNotCallViewSet, basename="dnc")
router.register("dnc-imports", campaigns.DoNotCallImportViewSet, basename="dnc-import")
router.register("consents", campaigns.ConsentViewSet, basename="consent")
router.register("scheduled-callbacks", campaigns.ScheduledCallbackViewSet, basename="scheduled-callback")
router.register("dial-attempts", campaigns.DialAttemptViewSet, basename="dial-attempt")

urlpatterns = [
    path("campaign-policy", campaigns.campaign_policy, name="campaign-policy"),
    path("campaigns/<int:pk>/retry-rules", campaigns.CampaignRetryRulesView.as_view(), name="campaign-retry-rules"),
    path("", include(router.urls)),
]
