from django.urls import include, path
from rest_framework.routers import SimpleRouter

from apps.audit.api import views

router = SimpleRouter(trailing_slash=False)
router.register("audit", views.AuditEntryViewSet, basename="audit-entry")

urlpatterns = [
    path("audit/settings", views.audit_settings, name="audit-settings"),
    path("", include(router.urls)),
]
