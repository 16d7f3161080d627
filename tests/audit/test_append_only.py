"""The log is append-only (ORM and database), survives the people it names, and only the
retention purge deletes — and only rows older than the tenant's retention."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import DatabaseError, connection, transaction
from django.test import RequestFactory, override_settings
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django_tenants.utils import schema_context, tenant_context

from apps.accounts.choices import Role
from apps.accounts.models import User
from apps.audit.choices import ActorKind, AuditAction
from apps.audit.models import AppendOnlyError, AuditEntry
from apps.audit.services import (
    AuditTarget,
    audit_purge_expired,
    audit_record,
    audit_retention_days,
    audit_retention_set,
)
from apps.audit.tasks import audit_purge_task
from apps.core.errors import ApplicationError
from tests.audit.conftest import rows


@pytest.fixture
def entry(acme):
    with tenant_context(acme.tenant):
        return audit_record(action=AuditAction.SEAT_CHANGED, actor=acme.admin(), after={"x": 1})


# --- the ORM refuses -------------------------------------------------------------------------------


def test_saving_an_existing_entry_is_refused(acme, entry):
    entry.after = {"x": 2}

    with tenant_context(acme.tenant), pytest.raises(AppendOnlyError):
        entry.save()

    assert rows(acme, AuditAction.SEAT_CHANGED)[-1].after == {"x": 1}


def test_deleting_an_entry_is_refused(acme, entry):
    with tenant_context(acme.tenant), pytest.raises(AppendOnlyError):
        entry.delete()

    assert rows(acme, AuditAction.SEAT_CHANGED)[-1].pk == entry.pk


@pytest.mark.parametrize(
    "operation",
    [
        pytest.param(lambda qs, e: qs.update(action="user.deleted"), id="update"),
        pytest.param(lambda qs, e: qs.delete(), id="delete"),
        pytest.param(lambda qs, e: qs.bulk_update([e], ["action"]), id="bulk_update"),
        pytest.param(lambda qs, e: qs.update_or_create(pk=e.pk, defaults={"action": "x"}), id="update_or_create"),
        pytest.param(lambda qs, e: AuditEntry.objects.filter(pk=e.pk).update(extra={}), id="manager-update"),
    ],
)
def test_queryset_changes_are_refused(acme, entry, operation):
    with tenant_context(acme.tenant):
        with pytest.raises(AppendOnlyError):
            operation(AuditEntry.objects.filter(pk=entry.pk), entry)
        stored = AuditEntry.objects.get(pk=entry.pk)

    assert (stored.action, stored.after) == (AuditAction.SEAT_CHANGED, {"x": 1})


# --- the database refuses too ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_auditentry SET action = 'user.deleted' WHERE id = %s",
        "DELETE FROM audit_auditentry WHERE id = %s",
    ],
)
def test_raw_sql_cannot_change_or_delete_entries(acme, entry, sql):
    with tenant_context(acme.tenant):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [entry.pk])
        assert AuditEntry.objects.get(pk=entry.pk).action == AuditAction.SEAT_CHANGED


def test_raw_sql_cannot_truncate_the_log(acme, entry):
    with tenant_context(acme.tenant):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("TRUNCATE audit_auditentry")
        assert AuditEntry.objects.filter(pk=entry.pk).exists()


def test_updates_are_refused_even_with_the_purge_flag(acme, entry):
    with tenant_context(acme.tenant):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT set_config('audit.purge', 'on', true)")
            cursor.execute("UPDATE audit_auditentry SET action = 'x' WHERE id = %s", [entry.pk])
        assert AuditEntry.objects.get(pk=entry.pk).action == AuditAction.SEAT_CHANGED


# --- people come and go, the log stays ------------------------------------------------------------


def test_deleting_a_user_keeps_their_rows_readable(acme):
    person = acme.user(Role.SUPERVISOR, email="leaver@acme.test")
    with tenant_context(acme.tenant):
        User.objects.filter(pk=person.pk).update(name="Li Lei")
        person.refresh_from_db()
        mine = audit_record(action=AuditAction.EXPORT_DOWNLOADED, actor=person, extra={"kind": "test"})
        about = audit_record(action=AuditAction.USER_ROLE_CHANGED, actor=acme.admin(), target=person)
        person_id = person.pk
        person.delete()
        kept = {entry.pk: entry for entry in AuditEntry.objects.filter(pk__in=[mine.pk, about.pk])}

    assert kept[mine.pk].actor_email == "leaver@acme.test"
    assert kept[mine.pk].actor_name == "Li Lei"
    assert kept[mine.pk].actor_id == person_id
    assert kept[mine.pk].actor_display == "Li Lei"
    assert kept[about.pk].target_repr == "leaver@acme.test"
    assert kept[about.pk].target_id == str(person_id)


def test_deleting_a_user_through_the_api_keeps_the_log_page_readable(acme):
    person = acme.user(Role.AGENT, email="gone@acme.test")
    api = acme.api(acme.admin())
    with tenant_context(acme.tenant):
        audit_record(action=AuditAction.TOKEN_CREATED, actor=person, target=AuditTarget("accounts.apitoken", 1, "x"))

    assert api.delete(f"/api/v1/users/{person.pk}").status_code == 204
    listed = api.get("/api/v1/audit", {"actor": "gone@acme.test"}).json()["results"]

    assert [row["action"] for row in listed] == [AuditAction.TOKEN_CREATED]
    assert listed[0]["actor"] == {"kind": "user", "id": person.pk, "email": "gone@acme.test", "name": "gone"}


# --- the service --------------------------------------------------------------------------------


def test_unknown_action_codes_are_refused(acme):
    with tenant_context(acme.tenant), pytest.raises(ValueError, match="unknown audit action"):
        audit_record(action="user.teleported", actor=acme.admin())


def test_outside_a_request_the_actor_is_the_system(acme):
    with tenant_context(acme.tenant):
        entry = audit_record(action=AuditAction.SEAT_CHANGED)

    assert (entry.actor_kind, entry.actor_id, entry.ip_address, entry.user_agent) == (ActorKind.SYSTEM, None, None, "")
    assert entry.actor_display == "System"


def test_address_and_agent_come_from_the_request_given(acme):
    request = RequestFactory().get("/", REMOTE_ADDR="198.51.100.23", HTTP_USER_AGENT="x" * 500)
    request.user = acme.admin()
    with tenant_context(acme.tenant):
        entry = audit_record(action=AuditAction.SEAT_CHANGED, request=request)

    assert entry.actor_id == request.user.pk
    assert entry.ip_address == "198.51.100.23"
    assert entry.user_agent == "x" * 400


@override_settings(TRUSTED_PROXIES=["10.0.0.0/8"])
def test_the_client_address_behind_our_proxy_is_the_forwarded_one(acme):
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="192.0.2.77, 10.0.0.9")
    request.user = acme.admin()
    with tenant_context(acme.tenant):
        entry = audit_record(action=AuditAction.SEAT_CHANGED, request=request)

    assert entry.ip_address == "192.0.2.77"


def test_values_that_are_not_json_are_stored_as_iso_dates_or_text(acme):
    moment = timezone.now()
    with tenant_context(acme.tenant):
        entry = audit_record(action=AuditAction.SEAT_CHANGED, before={"at": moment}, after={"what": object})
        entry.refresh_from_db()

    assert abs(parse_datetime(entry.before["at"]) - moment) < timedelta(milliseconds=1)  # ISO 8601, ms precision
    assert entry.after == {"what": str(object)}


def test_the_public_schema_has_no_log_and_writes_nothing(db):
    with schema_context("public"):
        assert audit_record(action=AuditAction.TOKEN_CREATED) is None


def test_a_failed_change_leaves_no_row(acme):
    with tenant_context(acme.tenant):
        before = AuditEntry.objects.count()
        with pytest.raises(RuntimeError), transaction.atomic():
            audit_record(action=AuditAction.SEAT_CHANGED, actor=acme.admin())
            raise RuntimeError("the change failed after its audit row")
        assert AuditEntry.objects.count() == before


# --- retention --------------------------------------------------------------------------------------


def _aged(world, days: float, action=AuditAction.SEAT_CHANGED) -> AuditEntry:
    with tenant_context(world.tenant):
        entry = AuditEntry(action=action, actor_kind=ActorKind.SYSTEM, created_at=timezone.now() - timedelta(days=days))
        entry.save()
        return entry


def test_purge_deletes_only_rows_older_than_the_retention(acme):
    old = _aged(acme, 400)
    edge = _aged(acme, 364)
    fresh = _aged(acme, 1)

    with tenant_context(acme.tenant):
        deleted = audit_purge_expired()
        left = set(AuditEntry.objects.filter(pk__in=[old.pk, edge.pk, fresh.pk]).values_list("pk", flat=True))

    assert deleted >= 1
    assert left == {edge.pk, fresh.pk}


def test_purge_follows_the_tenants_own_retention(acme):
    with tenant_context(acme.tenant):
        audit_retention_set(days=100, actor=acme.admin())
    old = _aged(acme, 101)
    kept = _aged(acme, 99)

    with tenant_context(acme.tenant):
        audit_purge_expired()
        left = set(AuditEntry.objects.filter(pk__in=[old.pk, kept.pk]).values_list("pk", flat=True))

    assert left == {kept.pk}


def test_after_the_purge_the_database_refuses_deletes_again(acme, entry):
    with tenant_context(acme.tenant):
        audit_purge_expired()
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM audit_auditentry WHERE id = %s", [entry.pk])
        assert AuditEntry.objects.filter(pk=entry.pk).exists()


def test_beat_task_purges_every_tenant_and_only_old_rows(acme, globex):
    acme_old, acme_new = _aged(acme, 500), _aged(acme, 10)
    globex_old, globex_new = _aged(globex, 500), _aged(globex, 10)

    total = audit_purge_task()

    assert total >= 2
    with tenant_context(acme.tenant):
        assert set(AuditEntry.objects.filter(pk__in=[acme_old.pk, acme_new.pk]).values_list("pk", flat=True)) == {
            acme_new.pk
        }
    with tenant_context(globex.tenant):
        assert set(AuditEntry.objects.filter(pk__in=[globex_old.pk, globex_new.pk]).values_list("pk", flat=True)) == {
            globex_new.pk
        }


def test_retention_default_is_the_platform_setting(acme):
    with tenant_context(acme.tenant), override_settings(AUDIT_RETENTION_DAYS=400):
        assert audit_retention_days() == 400


@pytest.mark.parametrize("days", [1, 89, 3651])
def test_retention_outside_the_bounds_is_refused_and_changes_nothing(acme, days):
    with tenant_context(acme.tenant):
        before = audit_retention_days()
        count = AuditEntry.objects.count()
        with pytest.raises(ApplicationError) as error:
            audit_retention_set(days=days, actor=acme.admin())
        assert audit_retention_days() == before
        assert AuditEntry.objects.count() == count

    assert "retention_days" in error.value.fields


def test_changing_the_retention_is_audited(acme):
    with tenant_context(acme.tenant):
        audit_retention_set(days=730, actor=acme.admin())
        audit_retention_set(days=None, actor=acme.admin())

    first, second = rows(acme, AuditAction.AUDIT_RETENTION_CHANGED)[-2:]
    assert first.before == {"retention_days": None, "effective_days": 365}
    assert first.after == {"retention_days": 730, "effective_days": 730}
    assert second.after == {"retention_days": None, "effective_days": 365}
