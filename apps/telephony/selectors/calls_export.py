"""The calls export: every CDR field of docs/calls-and-recordings.md §1 with the names behind its
links, one row per call that arrived in ``[since, until)``, oldest first.

:data:`COLUMNS` is the one definition of the export's columns — their keys (the CSV/XLSX header
and the API contract), labels and SQL — so the API (``GET /api/v1/calls/export``), the report
framework and the benchmarks read the same columns the same way.

Two readers share that definition:

- :func:`calls_csv_chunks` has PostgreSQL write the CSV itself (``COPY (SELECT …) TO STDOUT``):
  no Python object per row or per cell, so the rate is PostgreSQL's (about 60,000 rows per
  second of its CPU, ``bench/calls_export.py``) and memory is one chunk. The cell safety of
  :func:`apps.core.exports.safe_cell` is applied in the SELECT
  (:func:`apps.core.exports.safe_cell_sql`), and times are formatted by PostgreSQL in the tenant's
  time zone, with their offset.
- :func:`calls_export_rows` reads the same SELECT through a server-side cursor in chunks (XLSX,
  reports): Python values, times as aware datetimes in the tenant's time zone.

Names come from the small tables (queues, agents, campaigns, dispositions, trunks, numbers) read
once per export into materialised CTEs — made safe there, once per name, not once per call — and
hash-joined; customers by their primary key. Never a query per row.
"""

from __future__ import annotations

import datetime
import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from apps.core.exports import safe_cell_sql
from apps.crm.models import Customer
from apps.telephony.models import Agent, Call, Campaign, Disposition, PhoneNumber, Queue, Trunk

#: Rows fetched per round trip by the server-side cursor of :func:`calls_export_rows`.
CHUNK_ROWS = 5000
#: Bytes gathered before :func:`calls_csv_chunks` yields (PostgreSQL sends one row per message).
CHUNK_BYTES = 256 * 1024


@dataclass(frozen=True)
class ExportColumn:
    """One column. ``kind``: ``text`` (typed by people or the network, made safe per row),
    ``name`` (a name from a small table, made safe once per name), ``code`` (our own enum or
    slug), ``datetime``, ``seconds``, ``count``, ``bool``."""

    key: str
    label: Promise
    kind: str
    sql: str  # over the aliases of _joins()

    def csv_sql(self, value: str) -> str:
        """The cell as the CSV writes it from its typed ``value`` (NULL: an empty cell)."""
        if self.kind == "text":
            return f"NULLIF({safe_cell_sql(value)}, '')"
        if self.kind in ("name", "code"):
            return f"NULLIF({value}, '')"
        if self.kind == "datetime":
            # ISO 8601 in the session's time zone with its offset, fraction without trailing zeros:
            # 2026-03-02T10:00:00.5+08:00 (cheaper than to_char, and what iso() writes too).
            return f"to_json({value}) #>> '{{}}'"
        if self.kind == "bool":
            return f"({value})::text"
        return value


def _col(key: str, label: Promise, kind: str, sql: str) -> ExportColumn:
    return ExportColumn(key, label, kind, sql)


COLUMNS: tuple[ExportColumn, ...] = (
    _col("uid", _("call ID"), "code", "c.uid"),
    _col("direction", _("direction"), "code", "c.direction"),
    _col("status", _("status"), "code", "c.status"),
    _col("caller", _("caller (ANI)"), "text", "c.caller"),
    _col("callee", _("callee (DNIS)"), "text", "c.callee"),
    _col("trunk", _("trunk"), "name", "t.name"),
    _col("number", _("number"), "name", "n.number"),
    _col("queue_name", _("queue"), "name", "q.name"),
    _col("agent_email", _("agent e-mail"), "name", "u.email"),
    _col("agent_name", _("agent"), "name", "u.name"),
    _col("campaign", _("campaign"), "name", "k.name"),
    _col("customer", _("customer"), "text", "cu.name"),
    _col("priority", _("priority"), "count", "c.priority"),
    _col("arrived_at", _("arrived"), "datetime", "c.arrived_at"),
    _col("ivr_exited_at", _("left IVR"), "datetime", "c.ivr_exited_at"),
    _col("queued_at", _("queued"), "datetime", "c.queued_at"),
    _col("offered_at", _("first offered"), "datetime", "c.offered_at"),
    _col("answered_at", _("answered"), "datetime", "c.answered_at"),
    _col("ended_at", _("ended"), "datetime", "c.ended_at"),
    _col("wrapup_ended_at", _("wrap-up ended"), "datetime", "c.wrapup_ended_at"),
    _col("ivr_seconds", _("IVR (s)"), "seconds", "c.ivr_seconds"),
    _col("wait_seconds", _("wait (s)"), "seconds", "c.wait_seconds"),
    _col("talk_seconds", _("talk (s)"), "seconds", "c.talk_seconds"),
    _col("hold_seconds", _("hold (s)"), "seconds", "c.hold_seconds"),
    _col("wrapup_seconds", _("wrap-up (s)"), "seconds", "c.wrapup_seconds"),
    _col("offer_count", _("offers"), "count", "c.offer_count"),
    _col("end_reason", _("end reason"), "code", "c.end_reason"),
    _col("abandoned", _("abandoned"), "bool", "c.abandoned"),
    _col("short_abandon", _("short abandon"), "bool", "c.short_abandon"),
    _col("blocked", _("blocked"), "bool", "c.blocked"),
    _col("answered_within_sl", _("answered within SL"), "bool", "c.answered_within_sl"),
    _col("sl_threshold_seconds", _("SL threshold (s)"), "count", "c.sl_threshold_seconds"),
    _col("disposition", _("disposition code"), "code", "d.code"),
    _col("disposition_name", _("disposition"), "name", "d.name"),
    _col("is_resolved", _("resolves the contact"), "bool", "d.is_resolved"),
    _col("survey_score", _("survey score"), "count", "c.survey_score"),
    _col("notes", _("notes"), "text", "c.notes"),
    _col("is_simulated", _("simulated"), "bool", "c.is_simulated"),
)

KEYS: tuple[str, ...] = tuple(column.key for column in COLUMNS)


def export_columns() -> list[tuple[str, Promise]]:
    """``(key, label)`` of every column, in order (the renderers' ``view.export_columns``)."""
    return [(column.key, column.label) for column in COLUMNS]


def _table(model: Any) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _dimensions(safe: bool) -> dict[str, str]:
    """The small tables as the joins see them, by alias. With ``safe``, each name is made safe
    once per row of its table (a materialised CTE), not once per call."""

    def name(column: str) -> str:
        return f"{safe_cell_sql(column)} AS {column.split('.')[-1]}" if safe else column

    # Every piece is ours (table names from the models, fixed expressions): no input in the text.
    user_table = _table(Agent._meta.get_field("user").related_model)
    return {
        "q": f"SELECT q.id, {name('q.name')} FROM {_table(Queue)} q",  # noqa: S608
        "u": f"SELECT a.id, {name('u.email')}, {name('u.name')} FROM {_table(Agent)} a"  # noqa: S608
        f" JOIN {user_table} u ON u.id = a.user_id",
        "k": f"SELECT k.id, {name('k.name')} FROM {_table(Campaign)} k",  # noqa: S608
        "d": f"SELECT d.id, d.code, {name('d.name')}, d.is_resolved FROM {_table(Disposition)} d",  # noqa: S608
        "t": f"SELECT t.id, {name('t.name')} FROM {_table(Trunk)} t",  # noqa: S608
        "n": f"SELECT n.id, {name('n.number')} FROM {_table(PhoneNumber)} n",  # noqa: S608
    }


_JOIN_ON = {"q": "c.queue_id", "u": "c.agent_id", "k": "c.campaign_id", "d": "c.disposition_id"}
_JOIN_ON |= {"t": "c.trunk_id", "n": "c.number_id"}


def _select(csv: bool) -> str:
    """The one SELECT of the export: typed values, or (``csv``) the CSV's text cells.

    The rows are sorted as typed values in a subquery (``OFFSET 0`` keeps PostgreSQL from merging
    it into the outer query), and the outer query only turns each sorted row into text: a sort
    of text cells would be wider and would format every cell before sorting."""
    dimensions = _dimensions(safe=csv)
    ctes = ", ".join(f"{alias} AS MATERIALIZED ({sql})" for alias, sql in dimensions.items())
    joins = " ".join(f"LEFT JOIN {alias} ON {alias}.id = {_JOIN_ON[alias]}" for alias in dimensions)
    values = ", ".join(f"{column.sql} AS v{index}" for index, column in enumerate(COLUMNS))
    rows = (
        f"SELECT {values} FROM {_table(Call)} c {joins}"  # noqa: S608
        f" LEFT JOIN {_table(Customer)} cu ON cu.id = c.customer_id"
        " WHERE c.arrived_at >= %(since)s AND c.arrived_at < %(until)s"
        " ORDER BY c.arrived_at, c.id"
    )
    if csv:
        cells = ", ".join(column.csv_sql(f"s.v{index}") for index, column in enumerate(COLUMNS))
        return f"WITH {ctes} SELECT {cells} FROM ({rows} OFFSET 0) s"  # noqa: S608
    return f"WITH {ctes} {rows}"


def calls_export_count(*, since: datetime.datetime, until: datetime.datetime) -> int:
    """How many calls the export of ``[since, until)`` holds (the XLSX cap is checked with it)."""
    return Call.objects.filter(arrived_at__gte=since, arrived_at__lt=until).count()


def calls_csv_chunks(
    *, since: datetime.datetime, until: datetime.datetime, tz: datetime.tzinfo, header: bool = True
) -> Iterator[bytes]:
    """The export as UTF-8 CSV bytes (a BOM, the header of :data:`KEYS`, one line per call), in
    chunks of about :data:`CHUNK_BYTES`, written by PostgreSQL's COPY.

    The COPY runs in a transaction whose time zone is ``tz`` (``set_config(…, true)`` lasts until
    its end), so ``to_char`` prints local times with their offset. Closing the generator early
    (a client that went away) cancels the COPY and rolls the transaction back."""
    if header:
        yield ("\ufeff" + ",".join(KEYS) + "\r\n").encode("utf-8")
    statement = f"COPY ({_select(csv=True)}) TO STDOUT WITH (FORMAT csv)"
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('TimeZone')")
        (previous,) = cursor.fetchone()
        cursor.execute("SELECT set_config('TimeZone', %s, true)", [_tz_name(tz)])
        buffer = bytearray()
        # psycopg's own cursor: Django's debug wrapper (DEBUG=True) takes no COPY parameters.
        with cursor.cursor.copy(statement, {"since": since, "until": until}) as copy:
            for data in copy:
                buffer += data
                if len(buffer) >= CHUNK_BYTES:
                    yield bytes(buffer)
                    buffer.clear()
        # Back to the connection's own zone: inside an outer transaction (a test, a task) the
        # setting would otherwise outlive this export.
        cursor.execute("SELECT set_config('TimeZone', %s, true)", [previous])
        if buffer:
            yield bytes(buffer)


def calls_export_rows(
    *, since: datetime.datetime, until: datetime.datetime, tz: datetime.tzinfo
) -> Iterator[tuple[Any, ...]]:
    """One tuple per call in the order of :data:`COLUMNS`, read :data:`CHUNK_ROWS` at a time
    through a server-side cursor; times are aware datetimes in ``tz``."""
    positions = [index for index, column in enumerate(COLUMNS) if column.kind == "datetime"]
    with connection.chunked_cursor() as cursor:
        cursor.execute(_select(csv=False), {"since": since, "until": until})
        while rows := cursor.fetchmany(CHUNK_ROWS):
            for row in rows:
                if positions:
                    values = list(row)
                    for index in positions:
                        if values[index] is not None:
                            values[index] = values[index].astimezone(tz)
                    row = tuple(values)
                yield row


def iso(value: Any) -> Any:
    """A datetime as the CSV writes it (``2026-03-02T10:00:00.5+08:00``: ISO 8601 with the offset,
    the fraction of a second without trailing zeros, as PostgreSQL's ``to_json``); other values
    unchanged."""
    if not isinstance(value, datetime.datetime):
        return value
    text = value.isoformat()
    if value.microsecond:
        head, _dot, rest = text.partition(".")
        digits, offset = rest[:6], rest[6:]
        text = f"{head}.{digits.rstrip('0')}{offset}"
    return text


def _tz_name(tz: datetime.tzinfo) -> str:
    if isinstance(tz, zoneinfo.ZoneInfo):
        return tz.key
    name = str(tz)
    return "UTC" if name in ("UTC", "utc") else name
