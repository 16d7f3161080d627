from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from apps.audit.sql import APPEND_ONLY_SQL


class AuditConfig(AppConfig):
    name = "apps.audit"
    label = "audit"
    verbose_name = _("Audit log")
    # New tenant schemas are built from cached DDL, not migrations (apps/tenants/services/schema.py):
    # this adds the append-only trigger that migration 0001 creates in existing schemas.
    tenant_schema_sql = APPEND_ONLY_SQL
