"""A schema built from cached DDL (``schema_create``) is identical to one built by migrations.

Both schemas are built inside a transaction (PostgreSQL DDL is transactional), so the rollback
at the end of the module drops them; nothing here commits or flushes the public tables.
"""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django_tenants.utils import schema_context

from apps.tenants.models import Plan, Tenant
from apps.tenants.services.schema import schema_create
from tests.tenants.conftest import schema_exists

MIGRATED = "t_migrated_check"
BUILT = "t_ddl_check"


def _rows(sql: str, schema: str) -> list[tuple]:
    """Rows of a catalog query for ``schema``, with the schema's own name replaced by a marker."""
    with connection.cursor() as cursor:
        cursor.execute(sql, [schema])
        rows = cursor.fetchall()
    normalised = []
    for row in rows:
        normalised.append(
            tuple(
                value.replace(f'"{schema}".', "<schema>.").replace(f"{schema}.", "<schema>.")
                if isinstance(value, str)
                else value
                for value in row
            )
        )
    return sorted(normalised, key=repr)


# Column order counts (``INSERT … SELECT *`` depends on it) but not attnum gaps left by columns
# that a migration dropped, so positions are ranked within each table.
COLUMNS = """
    SELECT table_name, column_name,
           row_number() OVER (PARTITION BY table_name ORDER BY ordinal_position),
           data_type, udt_name, is_nullable, character_maximum_length,
           numeric_precision, numeric_scale, column_default, is_identity, identity_generation
    FROM information_schema.columns WHERE table_schema = %s
"""
TABLES = """
    SELECT c.relname, c.relkind, c.relpersistence
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %s
"""
INDEXES = "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = %s"
CONSTRAINTS = """
    SELECT t.relname, con.conname, con.contype, pg_get_constraintdef(con.oid), con.condeferrable, con.condeferred
    FROM pg_constraint con
    JOIN pg_namespace n ON n.oid = con.connamespace
    JOIN pg_class t ON t.oid = con.conrelid
    WHERE n.nspname = %s
"""
SEQUENCES = """
    SELECT c.relname, format_type(s.seqtypid, NULL), s.seqstart, s.seqincrement, s.seqmax, s.seqmin, s.seqcycle
    FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = %s
"""
# Triggers and functions no model describes (apps/audit/sql.py): new schemas must get them too.
TRIGGERS = """
    SELECT c.relname, t.tgname, pg_get_triggerdef(t.oid)
    FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = %s AND NOT t.tgisinternal
"""
FUNCTIONS = """
    SELECT p.proname, pg_get_function_identity_arguments(p.oid), md5(p.prosrc)
    FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = %s
"""


def _migrations(schema: str) -> set[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT app, name FROM {connection.ops.quote_name(schema)}.django_migrations")  # noqa: S608
        return set(cursor.fetchall())


def _content_types(schema: str) -> set[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT app_label, model FROM {connection.ops.quote_name(schema)}.django_content_type")  # noqa: S608
        return set(cursor.fetchall())


def _permissions(schema: str) -> set[tuple[str, str, str]]:
    quoted = connection.ops.quote_name(schema)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT ct.app_label, ct.model, p.codename FROM {quoted}.auth_permission p "  # noqa: S608
            f"JOIN {quoted}.django_content_type ct ON ct.id = p.content_type_id"
        )
        return set(cursor.fetchall())


def _diff(migrated: list[tuple], built: list[tuple]) -> str:
    only_migrated = sorted(set(migrated) - set(built), key=repr)
    only_built = sorted(set(built) - set(migrated), key=repr)
    lines = ["only in the migrated schema:"] + [f"  {row}" for row in only_migrated]
    lines += ["only in the DDL-built schema:"] + [f"  {row}" for row in only_built]
    return "\n".join(lines)


@pytest.fixture(scope="module")
def built_schemas(django_db_setup, django_db_blocker):
    """One schema built by running every migration, one built by ``schema_create``.

    Building by migrations takes seconds, so both are built once for this module inside an
    outer transaction that is rolled back at the end; each test's own transaction nests in it
    as a savepoint. Nothing is committed and the public tables are never flushed.
    """
    with django_db_blocker.unblock(), transaction.atomic():
        with schema_context("public"):
            tenant = Tenant(
                schema_name=MIGRATED,
                slug="migrated-check",
                name="Migrated check",
                plan=Plan.objects.get(code="standard"),
            )
            # django-tenants runs ``migrate_schemas`` for this one schema on save().
            tenant.auto_create_schema = True
            tenant.save(verbosity=0)
            schema_create(BUILT)
        connection.set_schema_to_public()
        yield MIGRATED, BUILT
        transaction.set_rollback(True)
        connection.set_schema_to_public()


@pytest.fixture
def schemas(built_schemas, db):
    assert schema_exists(MIGRATED)
    assert schema_exists(BUILT)
    return built_schemas


@pytest.mark.parametrize(
    "query",
    [
        pytest.param(TABLES, id="relations"),
        pytest.param(COLUMNS, id="columns"),
        pytest.param(INDEXES, id="indexes"),
        pytest.param(CONSTRAINTS, id="constraints"),
        pytest.param(SEQUENCES, id="sequences"),
        pytest.param(TRIGGERS, id="triggers"),
        pytest.param(FUNCTIONS, id="functions"),
    ],
)
def test_ddl_schema_matches_migrated_schema(schemas, query):
    migrated, built = schemas

    migrated_rows = _rows(query, migrated)
    built_rows = _rows(query, built)

    assert migrated_rows, "the catalog query found nothing; the comparison would prove nothing"
    assert migrated_rows == built_rows, _diff(migrated_rows, built_rows)


def test_ddl_schema_has_every_tenant_table(schemas):
    _migrated, built = schemas

    tables = {row[0] for row in _rows(TABLES, built) if row[1] == "r"}

    assert {"django_migrations", "accounts_user", "telephony_seat", "telephony_trunk"} <= tables
    assert "tenants_tenant" not in tables


def test_ddl_schema_records_the_same_migrations(schemas):
    migrated, built = schemas

    migrated_rows = _migrations(migrated)
    built_rows = _migrations(built)

    assert migrated_rows == built_rows, (
        f"only migrated: {sorted(migrated_rows - built_rows)}; only built: {sorted(built_rows - migrated_rows)}"
    )


def test_ddl_schema_has_the_same_content_types(schemas):
    migrated, built = schemas

    assert _content_types(migrated) == _content_types(built)


def test_ddl_schema_has_the_same_permissions(schemas):
    migrated, built = schemas

    assert _permissions(migrated) == _permissions(built)


def test_ddl_schema_id_sequences_continue_after_seeded_rows(schemas):
    _migrated, built = schemas
    quoted = connection.ops.quote_name(built)

    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quoted}.django_content_type (app_label, model) VALUES ('check', 'row') RETURNING id"  # noqa: S608
        )
        new_id = cursor.fetchone()[0]
        cursor.execute(f"SELECT max(id) FROM {quoted}.django_content_type WHERE model <> 'row'")  # noqa: S608
        seeded_max = cursor.fetchone()[0]

    assert new_id > seeded_max
