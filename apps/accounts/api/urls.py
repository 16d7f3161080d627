from django.urls import include, path
from rest_framework.routers import SimpleRouter

from apps.accounts.api import views

router = SimpleRouter(trailing_slash=False)
router.register("users", views.UserViewSet, basename="user")
router.register("auth/tokens", views.ApiTokenViewSet, basename="api-token-manage")

urlpatterns = [
    path("auth/token", views.token_obtain, name="api-token"),
    path("auth/two-factor", views.two_factor_status, name="api-two-factor"),
    path("auth/security-policy", views.security_policy, name="api-security-policy"),
    path("me", views.me, name="api-me"),
    path("", include(router.urls)),
]
