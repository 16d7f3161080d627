"""Celery wiring. Tasks carry the tenant schema in their headers (tenant-schemas-celery):
a task sent from inside a tenant context runs in that tenant's schema."""

from tenant_schemas_celery.app import CeleryApp

from config.entrypoint import require_settings_module

require_settings_module()

app = CeleryApp("config")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
