from django.urls import include, path
from rest_framework.routers import SimpleRouter

from apps.telephony.api import prompts, views

router = SimpleRouter(trailing_slash=False)
router.register("seats", views.SeatViewSet, basename="seat")
router.register("trunks", views.TrunkViewSet, basename="trunk")
router.register("numbers", views.PhoneNumberViewSet, basename="phone-number")
router.register("prompts", prompts.PromptViewSet, basename="prompt")

urlpatterns = [path("", include(router.urls))]
