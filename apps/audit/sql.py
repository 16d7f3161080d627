"""The database half of "append-only": a trigger that refuses UPDATE and DELETE on audit rows.

The ORM already refuses (``apps.audit.models``); the trigger also stops raw SQL, a shell, a
stray ``_raw_delete`` or a future bug. Only a transaction that has run ``SET LOCAL
audit.purge = 'on'`` may delete (the retention purge, ``audit_purge_expired``); updates are
refused always. The same SQL is run by the migration (existing schemas) and appended to the
cached tenant DDL (new schemas, ``apps.tenants.services.schema``), because a trigger is a
database object no model describes. Changing this SQL needs a new migration that runs the new
version in existing schemas (migration 0001 keeps its own copy of the original).
"""

TABLE = "audit_auditentry"
PURGE_FLAG = "audit.purge"

# Unqualified names: both run with the tenant schema first on the search_path.
APPEND_ONLY_SQL = f"""
CREATE OR REPLACE FUNCTION audit_entry_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND coalesce(current_setting('{PURGE_FLAG}', true), '') = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit entries are append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER audit_entry_append_only BEFORE UPDATE OR DELETE ON {TABLE}
    FOR EACH ROW EXECUTE FUNCTION audit_entry_append_only();
CREATE TRIGGER audit_entry_no_truncate BEFORE TRUNCATE ON {TABLE}
    FOR EACH STATEMENT EXECUTE FUNCTION audit_entry_append_only();
"""

DROP_SQL = f"""
DROP TRIGGER IF EXISTS audit_entry_no_truncate ON {TABLE};
DROP TRIGGER IF EXISTS audit_entry_append_only ON {TABLE};
DROP FUNCTION IF EXISTS audit_entry_append_only();
"""
