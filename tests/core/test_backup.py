"""Backup and restore: a backup restored into a new database holds every tenant and every file."""

from __future__ import annotations

import subprocess
import uuid

import psycopg
import psycopg.sql
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from apps.core.backup import BackupError, _server_args, backup_create, backup_restore, pg_tool

pytestmark = pytest.mark.django_db


def _connect(database: str) -> psycopg.Connection:
    config = connection.settings_dict
    return psycopg.connect(
        host=config.get("HOST") or None,
        port=config.get("PORT") or None,
        user=config.get("USER") or None,
        password=config.get("PASSWORD") or None,
        dbname=database,
        autocommit=True,
    )


@pytest.fixture
def new_database():
    name = f"restore_{uuid.uuid4().hex[:10]}"
    yield name
    args, environment = _server_args()
    subprocess.run([pg_tool("dropdb"), "--if-exists", *args, name], env=environment, check=False, timeout=60)  # noqa: S603


def test_backup_then_restore_into_a_new_database(tmp_path, new_database, acme, globex):
    media = tmp_path / "media"
    (media / "tenants" / "acme" / "recordings").mkdir(parents=True)
    (media / "tenants" / "acme" / "recordings" / "call.wav").write_bytes(b"RIFF-audio-bytes")

    result = backup_create(directory=tmp_path / "backup", media_root=media)
    assert {acme.tenant.schema_name, globex.tenant.schema_name} <= set(result.manifest["tenant_schemas"])

    restored_media = tmp_path / "restored"
    backup_restore(directory=tmp_path / "backup", database=new_database, media_root=restored_media)

    with _connect(new_database) as restored:
        slugs = {row[0] for row in restored.execute("SELECT slug FROM public.tenants_tenant")}
        assert {"acme", "globex"} <= slugs
        restored.execute(
            psycopg.sql.SQL("SET search_path TO {}").format(psycopg.sql.Identifier(acme.tenant.schema_name))
        )
        admins = [row[0] for row in restored.execute("SELECT email FROM accounts_user")]
        assert "admin@acme.test" in admins
    assert (restored_media / "tenants" / "acme" / "recordings" / "call.wav").read_bytes() == b"RIFF-audio-bytes"


def test_a_damaged_backup_is_refused_before_anything_is_created(tmp_path, new_database):
    backup_create(directory=tmp_path / "backup", media_root=tmp_path / "no-media")
    with (tmp_path / "backup" / "database.dump").open("r+b") as dump:
        dump.seek(100)
        dump.write(b"garbage")
    with pytest.raises(BackupError, match="damaged"):
        backup_restore(directory=tmp_path / "backup", database=new_database)
    with _connect("postgres") as admin:
        assert admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [new_database]).fetchone() is None


def test_commands_refuse_a_non_empty_directory(tmp_path):
    (tmp_path / "something").write_text("x")
    with pytest.raises(CommandError, match="not empty"):
        call_command("backup", str(tmp_path))
