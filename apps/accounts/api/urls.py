from django.urls import include, path
from rest_framework.routers import SimpleRouter

from apps.accounts.api import views

router = SimpleRouter(trailing_slash=False)
router.register("users", views.UserViewSet, basename="user")
router.register("auth/tokens", views.ApiTokenViewSet, basename="api-token-manage")

urlpatterns = [
    path("auth/token", views.token_obtain, name="api-token"),
    path("me", views.me, name="api-me"),
    path("", include(router.urls)),
]
