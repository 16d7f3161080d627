"""The ``kamailio`` schema: what Kamailio's modules read and write, in the layout they expect.

Kamailio connects with ``search_path=kamailio`` (docs/decisions/0005-sip-plane.md), so its
modules find their usual table names here while our tables stay in ``public``:

- ``subscriber`` (auth_db): a view over the SIP directory; a seat's digest username is
  ``<extension>@<slug>``, which auth_db splits into user and domain, so the view's ``domain``
  is the tenant slug. auth_db reads ``ha1b`` (HA1 over "user@domain") for such usernames; both
  columns carry the same digest. Suspended tenants' seats are absent: they cannot register or call.
- ``trusted`` (permissions, allow_trusted without caching): a view over trunk addresses.
- ``location`` (usrloc, write-through): Kamailio's own table; the app reads it.
- ``version``: Kamailio refuses tables whose layout version it does not know.
"""

from django.db import migrations

FORWARD = """
CREATE SCHEMA IF NOT EXISTS kamailio;

CREATE TABLE kamailio.version (
    id SERIAL PRIMARY KEY NOT NULL,
    table_name VARCHAR(32) NOT NULL,
    table_version INTEGER DEFAULT 0 NOT NULL,
    CONSTRAINT version_table_name_idx UNIQUE (table_name)
);
INSERT INTO kamailio.version (table_name, table_version) VALUES
    ('version', 1), ('location', 9), ('location_attrs', 1), ('subscriber', 7), ('trusted', 6);

CREATE VIEW kamailio.subscriber AS
    SELECT entry.id::integer AS id,
           entry.extension::varchar(64) AS username,
           tenant.slug::varchar(64) AS domain,
           ''::varchar(64) AS password,
           entry.ha1::varchar(128) AS ha1,
           entry.ha1::varchar(128) AS ha1b
      FROM public.tenants_sipdirectoryentry entry
      JOIN public.tenants_tenant tenant ON tenant.id = entry.tenant_id
     WHERE tenant.status = 'active';

CREATE VIEW kamailio.trusted AS
    SELECT address.id::integer AS id,
           host(address.address)::varchar(50) AS src_ip,
           'any'::varchar(4) AS proto,
           NULL::varchar(64) AS from_pattern,
           NULL::varchar(64) AS ruri_pattern,
           NULL::varchar(64) AS tag,
           0 AS priority
      FROM public.sip_trunkaddress address
      JOIN public.tenants_tenant tenant ON tenant.id = address.tenant_id
     WHERE tenant.status = 'active';

CREATE TABLE kamailio.location (
    id SERIAL PRIMARY KEY NOT NULL,
    ruid VARCHAR(64) DEFAULT '' NOT NULL,
    username VARCHAR(64) DEFAULT '' NOT NULL,
    domain VARCHAR(64) DEFAULT NULL,
    contact VARCHAR(512) DEFAULT '' NOT NULL,
    received VARCHAR(128) DEFAULT NULL,
    path VARCHAR(512) DEFAULT NULL,
    expires TIMESTAMP WITHOUT TIME ZONE DEFAULT '2030-05-28 21:32:15' NOT NULL,
    q REAL DEFAULT 1.0 NOT NULL,
    callid VARCHAR(255) DEFAULT 'Default-Call-ID' NOT NULL,
    cseq INTEGER DEFAULT 1 NOT NULL,
    last_modified TIMESTAMP WITHOUT TIME ZONE DEFAULT '2000-01-01 00:00:01' NOT NULL,
    flags INTEGER DEFAULT 0 NOT NULL,
    cflags INTEGER DEFAULT 0 NOT NULL,
    user_agent VARCHAR(255) DEFAULT '' NOT NULL,
    socket VARCHAR(64) DEFAULT NULL,
    methods INTEGER DEFAULT NULL,
    instance VARCHAR(255) DEFAULT NULL,
    reg_id INTEGER DEFAULT 0 NOT NULL,
    server_id INTEGER DEFAULT 0 NOT NULL,
    connection_id INTEGER DEFAULT 0 NOT NULL,
    keepalive INTEGER DEFAULT 0 NOT NULL,
    partition INTEGER DEFAULT 0 NOT NULL,
    CONSTRAINT location_ruid_idx UNIQUE (ruid)
);
CREATE INDEX location_account_contact_idx ON kamailio.location (username, domain, contact);
CREATE INDEX location_expires_idx ON kamailio.location (expires);
CREATE INDEX location_tcpcon_idx ON kamailio.location (connection_id);
CREATE INDEX location_connection_idx ON kamailio.location (server_id, connection_id);

CREATE TABLE kamailio.location_attrs (
    id SERIAL PRIMARY KEY NOT NULL,
    ruid VARCHAR(64) DEFAULT '' NOT NULL,
    username VARCHAR(64) DEFAULT '' NOT NULL,
    domain VARCHAR(64) DEFAULT NULL,
    aname VARCHAR(64) DEFAULT '' NOT NULL,
    atype INTEGER DEFAULT 0 NOT NULL,
    avalue VARCHAR(512) DEFAULT '' NOT NULL,
    last_modified TIMESTAMP WITHOUT TIME ZONE DEFAULT '2000-01-01 00:00:01' NOT NULL
);
CREATE INDEX location_attrs_account_record_idx ON kamailio.location_attrs (username, domain, ruid);
CREATE INDEX location_attrs_last_modified_idx ON kamailio.location_attrs (last_modified);
"""

REVERSE = "DROP SCHEMA IF EXISTS kamailio CASCADE;"


class Migration(migrations.Migration):
    dependencies = [("sip", "0001_initial")]

    operations = [migrations.RunSQL(FORWARD, REVERSE)]
