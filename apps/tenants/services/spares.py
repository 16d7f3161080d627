"""A small pool of tenant schemas built ahead of time.

Building a schema (tables, indexes, foreign keys) is most of a sign-up's cost, and it grows
a little as the catalog grows. With a spare ready, sign-up renames it (``ALTER SCHEMA ...
RENAME``, constant time) inside its transaction; if the sign-up fails, the rename rolls back
and the spare is still there. A Celery task refills the pool after each sign-up and every
minute (``TENANT_SPARE_SCHEMAS`` spares; 0 turns the pool off). Spares built from an older
schema version are dropped, so a deploy with new migrations never hands out a stale schema.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import uuid

from django.conf import settings
from django.db import connection, transaction

from apps.tenants.models import SpareSchema
from apps.tenants.services.schema import schema_create, tenant_migration_rows, tenant_schema_sql

logger = logging.getLogger(__name__)

# Any fixed number: only one refill runs at a time across all processes.
_FILL_LOCK_KEY = 7_246_001


@functools.cache
def schema_version() -> str:
    digest = hashlib.sha256(tenant_schema_sql().encode())
    digest.update(repr(tenant_migration_rows()).encode())
    return digest.hexdigest()[:16]


def spare_schema_take(*, schema_name: str) -> bool:
    """Rename a current-version spare to ``schema_name``; False if none is free.

    Call inside the sign-up transaction: ``SKIP LOCKED`` lets concurrent sign-ups take
    different spares, and a rollback gives the spare back.
    """
    spare = SpareSchema.objects.select_for_update(skip_locked=True).filter(version=schema_version()).first()
    if spare is None:
        return False
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER SCHEMA {quote(spare.name)} RENAME TO {quote(schema_name)}")
    spare.delete()
    return True


def spare_schemas_fill(*, target: int | None = None) -> int:
    """Drop stale spares and build new ones until ``target`` are ready. Returns how many were built."""
    target = settings.TENANT_SPARE_SCHEMAS if target is None else target
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [_FILL_LOCK_KEY])
        if not cursor.fetchone()[0]:
            return 0  # another process is filling
    try:
        _drop_stale()
        built = 0
        while SpareSchema.objects.filter(version=schema_version()).count() < target:
            name = f"spare_{uuid.uuid4().hex[:16]}"
            with transaction.atomic():
                schema_create(name)
                SpareSchema.objects.create(name=name, version=schema_version())
            built += 1
        return built
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [_FILL_LOCK_KEY])


def _drop_stale() -> None:
    quote = connection.ops.quote_name
    for spare in SpareSchema.objects.exclude(version=schema_version()):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"DROP SCHEMA IF EXISTS {quote(spare.name)} CASCADE")
            spare.delete()
        logger.info("dropped stale spare schema %s", spare.name)


def spare_schemas_refill_soon() -> None:
    """After a sign-up commits: ask a worker to top the pool up."""
    if settings.TENANT_SPARE_SCHEMAS <= 0:
        return
    from apps.tenants.tasks import spare_schemas_fill_task  # noqa: PLC0415 -- import cycle: the task runs this module's fill

    spare_schemas_fill_task.delay()
