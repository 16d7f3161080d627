"""URLs of the public host: landing page, sign-up, platform operator console."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from apps.core.api.docs import api_docs_view
from apps.tenants.views import public as public_views

urlpatterns = [
    path("", public_views.landing, name="landing"),
    path("signup/", public_views.signup, name="signup"),
    path("platform/", include("apps.tenants.urls_platform")),
    path("accounts/", include("apps.accounts.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include("apps.tenants.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(urlconf="config.urls_public"), name="schema"),
    path("api/docs/", api_docs_view("schema"), name="api-docs"),
    path("django-admin/", admin.site.urls),
]
# MEDIA_ROOT is never served as files, not even under DEBUG: recordings and prompts are
# tenant data, reachable only through their views' signed-link and role checks
# (apps/telephony/views/calls.py recording_file). tests/core/test_media.py keeps it so.

# Error pages rendered in the request's tenant schema (apps/core/views.py explains why).
handler403 = "apps.core.views.permission_denied"
handler404 = "apps.core.views.page_not_found"
