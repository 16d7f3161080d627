"""/api/v1/ routes for IVR flows, business hours and number routing."""

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from apps.telephony.api import ivr

router = SimpleRouter(trailing_slash=False)
router.register("ivr-flows", ivr.IvrFlowViewSet, basename="ivr-flow")
router.register("business-hours", ivr.BusinessHoursViewSet, basename="business-hours")

urlpatterns = [
    path("ivr-routes", ivr.ivr_routes, name="ivr-routes"),
    path("", include(router.urls)),
]
