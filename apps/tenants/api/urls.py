from django.urls import include, path
from rest_framework.routers import SimpleRouter

from apps.accounts.api.views import token_obtain
from apps.tenants.api import views

router = SimpleRouter(trailing_slash=False)
router.register("platform/tenants", views.PlatformTenantViewSet, basename="platform-tenant")

urlpatterns = [
    path("signup", views.signup, name="api-signup"),
    path("auth/token", token_obtain, name="api-token-public"),
    path("", include(router.urls)),
    path("", include("apps.calendar.api.urls_platform")),
    path("", include("apps.billing.api.urls")),
]
