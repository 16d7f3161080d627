"""Tenant schemas built from cached DDL instead of running migrations per tenant.

Running every migration for each new tenant costs seconds and grows with the migration
history; cloning with django-tenants' ``clone_schema`` walks ``information_schema``, which
gets slower as tenants accumulate (every tenant adds dozens of relations to the catalog).
Instead, the SQL that creates the tenant apps' tables is generated once per process with
Django's schema editor (``collect_sql``), sent to the server in one round trip with the
new schema first on the ``search_path``, and the migration history is recorded as applied.
Later migrations still run per schema through ``migrate_schemas``.

``tests/tenants/test_schema.py`` proves that a schema built this way is identical (tables,
columns, types, nullability, indexes, constraints) to one built by running migrations.
"""

from __future__ import annotations

import functools

from django.apps import apps
from django.conf import settings
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.db.models import Model
from django_tenants.utils import get_public_schema_name, schema_context


def tenant_app_labels() -> list[str]:
    labels = []
    for app_path in settings.TENANT_APPS:
        config = next(c for c in apps.get_app_configs() if c.name == app_path)
        labels.append(config.label)
    return labels


@functools.cache
def _migration_loader() -> MigrationLoader:
    return MigrationLoader(None, ignore_no_migrations=True, load=True)


@functools.cache
def tenant_schema_sql() -> str:
    """The DDL for one tenant schema, unqualified (it runs under the new schema's search_path)."""
    # Models as the migrations leave them, not the live ones: they differ where Django renders
    # migration state differently (auth's auto-created M2M ids are bigint after migrations).
    state_apps = _migration_loader().project_state().apps
    models: list[type[Model]] = [MigrationRecorder.Migration]
    for label in tenant_app_labels():
        if label not in state_apps.app_configs:
            continue  # an app without migrations gets no tables from migrate either
        for model in state_apps.get_app_config(label).get_models():
            if model._meta.managed and not model._meta.proxy:
                models.append(model)
    with connection.schema_editor(collect_sql=True, atomic=False) as editor:
        for model in models:
            editor.create_model(model)
    statements = [s if s.rstrip().endswith(";") else s + ";" for s in editor.collected_sql]
    # Database objects no model describes (the audit log's append-only trigger): an app lists
    # them as ``tenant_schema_sql`` on its AppConfig, and its migration runs the same SQL.
    for label in tenant_app_labels():
        extra = getattr(apps.get_app_config(label), "tenant_schema_sql", "")
        if extra:
            statements.append(extra)
    return "\n".join(statements)


@functools.cache
def tenant_migration_rows() -> list[tuple[str, str]]:
    """Every migration, as ``migrate_schemas`` records them in a tenant schema.

    It records shared-only apps' migrations too (the router makes their operations no-ops), so
    a schema missing those rows would show them as unapplied.
    """
    graph = _migration_loader().graph
    rows = set(graph.nodes)
    for key in graph.nodes:
        rows.update(graph.nodes[key].replaces)
    return sorted(rows)


# Tables whose rows a tenant needs from the start (content types back generic relations and
# permissions); the public schema holds identical rows for every installed app.
_SEEDED_FROM_PUBLIC = ["django_content_type", "auth_permission"]


def schema_create(schema_name: str) -> None:
    """Create ``schema_name`` with every tenant table. Call inside a transaction."""
    public = get_public_schema_name()
    ddl = tenant_schema_sql()
    rows = tenant_migration_rows()
    quoted = connection.ops.quote_name(schema_name)
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE SCHEMA {quoted}")
    with schema_context(schema_name), connection.cursor() as cursor:
        cursor.execute(ddl)
        values = ",".join(["(%s, %s, now())"] * len(rows))
        params = [item for row in rows for item in row]
        # Identifiers below are schema names validated by SLUG_RE and fixed table names.
        cursor.execute(f"INSERT INTO django_migrations (app, name, applied) VALUES {values}", params)  # noqa: S608
        for table in _SEEDED_FROM_PUBLIC:
            source = f"{connection.ops.quote_name(public)}.{table}"
            cursor.execute(f"INSERT INTO {quoted}.{table} SELECT * FROM {source}")  # noqa: S608
            next_id = f"COALESCE((SELECT max(id) FROM {quoted}.{table}), 0) + 1"  # noqa: S608
            cursor.execute(f"SELECT setval(pg_get_serial_sequence(%s, 'id'), {next_id}, false)", [f"{quoted}.{table}"])
