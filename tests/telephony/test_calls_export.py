"""GET /api/v1/calls/export: every CDR column with its names, times with the tenant's offset,
cells safe for spreadsheets, CSV from PostgreSQL's COPY and XLSX row by row, both streamed (also
under ASGI), bounded ranges, roles, tenant isolation, the audit log, and the OpenAPI schema."""

from __future__ import annotations

import asyncio
import csv
import io
import warnings
import zoneinfo
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import pytest
from asgiref.sync import async_to_sync
from django.core import signals
from django.core.asgi import get_asgi_application
from django.core.management import call_command
from django.db import close_old_connections, connection
from django_tenants.utils import tenant_context
from openpyxl import load_workbook

from apps.accounts.choices import Role
from apps.audit.models import AuditEntry
from apps.core.exports import safe_cell, safe_cell_sql
from apps.crm.models import Customer
from apps.telephony.models import Call
from apps.telephony.selectors import calls_export
from apps.tenants.models import Tenant
from tests.factories import AgentFactory, CallFactory, DispositionFactory, PhoneNumberFactory, QueueFactory
from tests.telephony.campaign_factories import make_campaign

# Tuesday 3 March 2026, 02:00 UTC = 10:00 in Shanghai.
T0 = datetime(2026, 3, 3, 2, 0, tzinfo=UTC)
URL = "/api/v1/calls/export"
RANGE = {"since": "2026-03-03T00:00:00+08:00", "until": "2026-03-04T00:00:00+08:00"}


@pytest.fixture
def world(acme):
    """Four calls in acme on 3 March (Shanghai) and one the day after; one call in globex."""
    with tenant_context(acme.tenant):
        queue = QueueFactory(name="Sales 销售")
        agent = AgentFactory(user__email="li.na@acme.test", user__name="李娜")
        resolved = DispositionFactory(code="sold", name="Sold 成交", is_resolved=True)
        open_ = DispositionFactory(code="call-back", name="=Call back", is_resolved=False)
        number = PhoneNumberFactory(number="4008001000", trunk__name="China Telecom")
        customer = Customer.objects.create(name="@Wang Wei", phones=["+8613800138000"])
        campaign = make_campaign(name="Spring 春季")
        inbound = CallFactory(
            uid="in-1",
            caller="+8613800138000",
            callee="4008001000",
            trunk=number.trunk,
            number=number,
            queue=queue,
            agent=agent,
            customer=customer,
            arrived_at=T0,
            queued_at=T0 + timedelta(seconds=4),
            offered_at=T0 + timedelta(seconds=6),
            answered_at=T0 + timedelta(seconds=9, microseconds=500000),
            ended_at=T0 + timedelta(seconds=69, microseconds=500000),
            wrapup_ended_at=T0 + timedelta(seconds=79, microseconds=500000),
            ivr_seconds=4.0,
            wait_seconds=5.5,
            talk_seconds=50.0,
            hold_seconds=10.0,
            wrapup_seconds=10.0,
            offer_count=1,
            status="ended",
            end_reason="completed",
            answered_within_sl=True,
            sl_threshold_seconds=15,
            disposition=resolved,
            survey_score=5,
            notes='=HYPERLINK("http://evil.example","click")',
            priority=10,
        )
        outbound = CallFactory(
            uid="out-1",
            direction="outbound",
            caller="4008001000",
            callee="-13900001111",
            queue=queue,
            agent=agent,
            campaign=campaign,
            arrived_at=T0 + timedelta(hours=1),
            answered_at=T0 + timedelta(hours=1, seconds=12),
            ended_at=T0 + timedelta(hours=1, seconds=42),
            wrapup_ended_at=T0 + timedelta(hours=1, seconds=42),
            talk_seconds=30.0,
            status="ended",
            end_reason="completed",
            disposition=open_,
        )
        abandoned = CallFactory(
            uid="ab-1",
            caller="13700000000",
            queue=queue,
            arrived_at=T0 + timedelta(hours=2),
            queued_at=T0 + timedelta(hours=2),
            ended_at=T0 + timedelta(hours=2, seconds=3),
            wait_seconds=3.0,
            status="ended",
            end_reason="abandoned",
            abandoned=True,
            short_abandon=True,
            answered_within_sl=False,
            sl_threshold_seconds=15,
        )
        # Exactly at since (in) and exactly at until (out).
        first = CallFactory(uid="edge-in", arrived_at=datetime(2026, 3, 2, 16, 0, tzinfo=UTC))
        CallFactory(uid="edge-out", arrived_at=datetime(2026, 3, 3, 16, 0, tzinfo=UTC))
    return {"inbound": inbound, "outbound": outbound, "abandoned": abandoned, "first": first}


@pytest.fixture
def supervisor_api(acme):
    return acme.api(acme.user(Role.SUPERVISOR))


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def csv_dicts(response) -> list[dict[str, str]]:
    text = body(response).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:])))


def test_csv_has_every_column_and_the_values_of_known_calls(acme, world, supervisor_api):
    response = supervisor_api.get(URL, {**RANGE, "format": "csv"})

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="calls-20260303-20260304.csv"'
    rows = csv_dicts(response)
    assert list(rows[0]) == list(calls_export.KEYS)
    assert [row["uid"] for row in rows] == ["edge-in", "in-1", "out-1", "ab-1"]
    inbound = rows[1]
    assert inbound == {
        **inbound,
        "direction": "inbound",
        "status": "ended",
        "caller": "+8613800138000",
        "callee": "4008001000",
        "trunk": "China Telecom",
        "number": "4008001000",
        "queue_name": "Sales 销售",
        "agent_email": "li.na@acme.test",
        "agent_name": "李娜",
        "campaign": "",
        "customer": "'@Wang Wei",
        "priority": "10",
        "arrived_at": "2026-03-03T10:00:00+08:00",
        "ivr_exited_at": "",
        "queued_at": "2026-03-03T10:00:04+08:00",
        "answered_at": "2026-03-03T10:00:09.5+08:00",
        "wrapup_ended_at": "2026-03-03T10:01:19.5+08:00",
        "ivr_seconds": "4",
        "wait_seconds": "5.5",
        "talk_seconds": "50",
        "offer_count": "1",
        "end_reason": "completed",
        "abandoned": "false",
        "short_abandon": "false",
        "answered_within_sl": "true",
        "sl_threshold_seconds": "15",
        "disposition": "sold",
        "disposition_name": "Sold 成交",
        "is_resolved": "true",
        "survey_score": "5",
        "notes": '\'=HYPERLINK("http://evil.example","click")',
        "is_simulated": "false",
    }
    outbound = rows[2]
    assert (outbound["direction"], outbound["campaign"], outbound["callee"]) == (
        "outbound",
        "Spring 春季",
        "-13900001111",
    )
    assert (outbound["disposition_name"], outbound["is_resolved"]) == ("'=Call back", "false")
    assert outbound["wait_seconds"] == "" and outbound["answered_within_sl"] == ""
    abandoned = rows[3]
    assert (abandoned["abandoned"], abandoned["short_abandon"], abandoned["agent_email"]) == ("true", "true", "")
    assert (abandoned["disposition"], abandoned["is_resolved"], abandoned["answered_within_sl"]) == ("", "", "false")


def test_times_carry_the_offset_of_the_tenants_zone_on_each_date(acme, supervisor_api):
    """New York changes from -05:00 to -04:00 on 8 March 2026: one export shows both offsets."""
    with tenant_context(acme.tenant):
        Tenant.objects.filter(pk=acme.tenant.pk).update(time_zone="America/New_York")
        CallFactory(uid="ny-1", arrived_at=datetime(2026, 3, 7, 15, 0, tzinfo=UTC))
        CallFactory(uid="ny-2", arrived_at=datetime(2026, 3, 9, 15, 0, tzinfo=UTC))

    response = supervisor_api.get(URL, {"since": "2026-03-07T00:00:00", "until": "2026-03-10T00:00:00"})

    rows = csv_dicts(response)
    assert [(row["uid"], row["arrived_at"]) for row in rows] == [
        ("ny-1", "2026-03-07T10:00:00-05:00"),
        ("ny-2", "2026-03-09T11:00:00-04:00"),
    ]


def test_xlsx_opens_with_the_same_columns_and_text(acme, world, supervisor_api):
    response = supervisor_api.get(URL, {**RANGE, "format": "xlsx"})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(body(response))).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0] == list(calls_export.KEYS)
    by_key = dict(zip(rows[0], rows[2], strict=True))
    assert by_key["uid"] == "in-1"
    assert by_key["arrived_at"] == "2026-03-03T10:00:00+08:00"
    assert by_key["notes"] == '\'=HYPERLINK("http://evil.example","click")'
    assert by_key["customer"] == "'@Wang Wei"
    assert (by_key["wait_seconds"], by_key["is_resolved"], by_key["priority"]) == (5.5, True, 10)
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


def test_xlsx_over_one_sheet_is_a_json_400_telling_to_use_csv(acme, world, supervisor_api, monkeypatch):
    monkeypatch.setattr("apps.telephony.api.calls_export.XLSX_MAX_ROWS", 3)

    response = supervisor_api.get(URL, {**RANGE, "format": "xlsx"})

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "too_large" and "CSV" in response.json()["message"]
    assert supervisor_api.get(URL, {**RANGE, "format": "csv"}).status_code == 200


@pytest.mark.parametrize(
    ("query", "fields"),
    [
        ({}, ["since", "until"]),
        ({"since": "yesterday", "until": "2026-03-04T00:00:00+08:00"}, ["since"]),
        ({"since": "2026-03-04T00:00:00+08:00", "until": "2026-03-04T00:00:00+08:00"}, ["until"]),
        ({"since": "2026-03-05T00:00:00+08:00", "until": "2026-03-04T00:00:00+08:00"}, ["until"]),
        ({"since": "2025-01-01T00:00:00+08:00", "until": "2026-03-04T00:00:00+08:00"}, ["until"]),
        ({**RANGE, "format": "pdf"}, ["format"]),
        ({**RANGE, "format": "json"}, ["format"]),
    ],
)
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_bad_ranges_are_json_400s_with_field_messages_and_not_audited(acme, supervisor_api, query, fields, fmt):
    response = supervisor_api.get(URL, {"format": fmt, **query})

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "invalid"
    assert sorted(response.json()["fields"]) == fields
    with tenant_context(acme.tenant):
        assert not AuditEntry.objects.filter(action="export.downloaded", extra__kind="calls").exists()


def test_an_unencoded_plus_in_the_offset_and_a_366_day_range_are_accepted(acme, world, supervisor_api):
    response = supervisor_api.get(f"{URL}?since=2025-03-03T00:00:00+08:00&until=2026-03-04T00:00:00+08:00&format=csv")

    assert response.status_code == 200
    assert [row["uid"] for row in csv_dicts(response)] == ["edge-in", "in-1", "out-1", "ab-1"]


@pytest.mark.parametrize(
    ("role", "status"), [(Role.TENANT_ADMIN, 200), (Role.SUPERVISOR, 200), (Role.AGENT, 403), (Role.QA, 403)]
)
def test_who_may_export(acme, world, role, status):
    response = acme.api(acme.user(role)).get(URL, {**RANGE, "format": "csv"})

    assert response.status_code == status
    if status == 403:
        assert response["Content-Type"] == "application/json"


def test_anonymous_is_refused(acme, world):
    assert acme.api().get(URL, RANGE).status_code in (401, 403)


def test_another_tenants_calls_never_appear(acme, globex, world):
    with tenant_context(globex.tenant):
        CallFactory(uid="globex-secret", arrived_at=T0)

    acme_rows = csv_dicts(acme.api(acme.user(Role.SUPERVISOR)).get(URL, RANGE))
    globex_rows = csv_dicts(globex.api(globex.user(Role.SUPERVISOR)).get(URL, RANGE))

    assert "globex-secret" not in [row["uid"] for row in acme_rows]
    assert [row["uid"] for row in globex_rows] == ["globex-secret"]


def test_every_export_is_audited_with_its_range_and_format(acme, world, supervisor_api):
    body(supervisor_api.get(URL, {**RANGE, "format": "csv"}))
    body(supervisor_api.get(URL, {**RANGE, "format": "xlsx"}))

    with tenant_context(acme.tenant):
        entries = list(AuditEntry.objects.filter(action="export.downloaded", extra__kind="calls").order_by("id"))
    assert [entry.extra["format"] for entry in entries] == ["csv", "xlsx"]
    assert entries[0].extra["since"] == "2026-03-02T16:00:00+00:00"
    assert entries[0].extra["until"] == "2026-03-03T16:00:00+00:00"


def test_csv_is_streamed_in_chunks(acme, world, supervisor_api, monkeypatch):
    monkeypatch.setattr(calls_export, "CHUNK_BYTES", 1)

    response = supervisor_api.get(URL, RANGE)

    assert response.streaming
    chunks = list(response.streaming_content)
    assert len(chunks) == 1 + 4  # the header, then one chunk per row at this size
    assert b"".join(chunks).count(b"\n") == 5


def asgi_get(
    host: str, path: str, query: dict, token: str, leave_after: int | None = None
) -> tuple[int, dict, list[bytes]]:
    """A GET through Django's ASGI application (as daphne calls it): the status, the headers and
    the body messages as they were sent. Like Django's test clients, the request's end does not
    close the test's database connection (it holds the test's transaction). ``leave_after``: the
    client disconnects once it has that many body messages."""

    async def scenario():
        application = get_asgi_application()
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": urlencode(query).encode(),
            "headers": [(b"host", host.encode()), (b"authorization", f"Token {token}".encode())],
            "client": ["127.0.0.1", 50000],
            "server": ["127.0.0.1", 80],
        }
        received = False
        never = asyncio.Event()
        sent: list[dict] = []

        async def receive():
            nonlocal received
            if not received:
                received = True
                return {"type": "http.request", "body": b"", "more_body": False}
            await never.wait()  # the client stays connected
            return {"type": "http.disconnect"}

        async def send(message):
            sent.append(message)
            if leave_after is not None and sum(1 for m in sent if m.get("body")) >= leave_after:
                never.set()

        await application(scope, receive, send)
        return sent

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        sent = async_to_sync(scenario)()
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)
    start = sent[0]
    headers = {key.decode().lower(): value.decode() for key, value in start["headers"]}
    return start["status"], headers, [message["body"] for message in sent[1:] if message.get("body")]


def test_under_asgi_the_export_streams_chunk_by_chunk_without_djangos_warning(acme, world, monkeypatch):
    token = acme.token(acme.user(Role.SUPERVISOR))
    monkeypatch.setattr(calls_export, "CHUNK_BYTES", 1)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        status, headers, chunks = asgi_get(acme.host, URL, {**RANGE, "format": "csv"}, token)

    assert status == 200 and headers["content-type"] == "text/csv; charset=utf-8"
    assert not [w for w in caught if "synchronous iterators" in str(w.message)]
    assert len(chunks) == 1 + 4  # sent as produced: the header, then each row
    rows = list(csv.DictReader(io.StringIO(b"".join(chunks).decode("utf-8")[1:])))
    assert [row["uid"] for row in rows] == ["edge-in", "in-1", "out-1", "ab-1"]


def test_a_client_that_leaves_mid_stream_cancels_the_copy_and_leaves_the_connection_clean(acme, world, monkeypatch):
    token = acme.token(acme.user(Role.SUPERVISOR))
    monkeypatch.setattr(calls_export, "CHUNK_BYTES", 1)

    status, _headers, chunks = asgi_get(acme.host, URL, {**RANGE, "format": "csv"}, token, leave_after=2)

    assert status == 200
    assert 2 <= len(chunks) < 5  # not the whole file
    with tenant_context(acme.tenant), connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('TimeZone')")
        assert cursor.fetchone() == ("UTC",)  # the export's zone went with its rolled-back savepoint
        assert Call.objects.filter(uid="in-1").exists()  # the connection and the test's transaction work


def test_under_asgi_the_xlsx_streams_too(acme, world):
    token = acme.token(acme.user(Role.SUPERVISOR))

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        status, _headers, chunks = asgi_get(acme.host, URL, {**RANGE, "format": "xlsx"}, token)

    assert status == 200
    assert not [w for w in caught if "synchronous iterators" in str(w.message)]
    sheet = load_workbook(io.BytesIO(b"".join(chunks))).active
    assert [row[0].value for row in sheet.iter_rows(min_row=2)] == ["edge-in", "in-1", "out-1", "ab-1"]


def test_under_asgi_a_bad_range_is_json(acme):
    token = acme.token(acme.user(Role.SUPERVISOR))

    status, headers, chunks = asgi_get(acme.host, URL, {"format": "csv", "since": "x"}, token)

    assert status == 400 and headers["content-type"] == "application/json"
    assert b'"fields"' in b"".join(chunks)


def test_the_typed_rows_match_the_csv(acme, world):
    """The report framework reads calls_export_rows; the API's CSV comes from COPY: same columns."""
    tz = zoneinfo.ZoneInfo("Asia/Shanghai")
    since, until = datetime(2026, 3, 2, 16, tzinfo=UTC), datetime(2026, 3, 3, 16, tzinfo=UTC)
    with tenant_context(acme.tenant):
        rows = list(calls_export.calls_export_rows(since=since, until=until, tz=tz))
        text = b"".join(calls_export.calls_csv_chunks(since=since, until=until, tz=tz)).decode("utf-8")[1:]
    from_csv = list(csv.reader(io.StringIO(text)))[1:]

    def as_csv(value):
        value = safe_cell(calls_export.iso(value))
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, float):
            return value
        return str(value)

    assert len(rows) == len(from_csv) == 4
    for row, cells in zip(rows, from_csv, strict=True):
        expected = [as_csv(value) for value in row]
        assert [float(c) if isinstance(e, float) else c for c, e in zip(cells, expected, strict=True)] == expected
    assert rows[1][calls_export.KEYS.index("arrived_at")].utcoffset() == timedelta(hours=8)


TRICKY = [
    "=1+1",
    "+SUM(A1)",
    "-cmd",
    "@x",
    "\tx",
    "\rx",
    "-12.5",
    "+8613800138000",
    ".5",
    "-.5",
    "+",
    "-",
    "12-",
    "a=b",
    "",
    "王伟",
    "\x01=1",
    "=\x02x",
    "ok\x0bhere",
    "tab\tinside",
    "-12\n",
    "-１２",
    "x\ufffey",
]


def test_the_sql_cell_rule_is_the_python_rule(acme):
    with tenant_context(acme.tenant), connection.cursor() as cursor:
        sql = f"SELECT {safe_cell_sql('v')} FROM unnest(%s::text[]) WITH ORDINALITY AS t(v, i) ORDER BY i"  # noqa: S608
        cursor.execute(sql, [TRICKY])  # the expression is ours, the values are parameters
        from_sql = [row[0] for row in cursor.fetchall()]

    assert from_sql == [safe_cell(value) for value in TRICKY]
    assert safe_cell_sql("NULL")  # an expression, usable on NULL too
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {safe_cell_sql('NULL::text')}")  # noqa: S608 - a constant
        assert cursor.fetchone() == (None,)


def test_the_openapi_schema_still_generates_with_the_export(tmp_path):
    target = tmp_path / "schema.yaml"

    call_command("spectacular", "--file", str(target), "--validate")

    schema = target.read_text()
    assert "/api/v1/calls/export:" in schema
    assert "text/csv" in schema and "spreadsheetml" in schema


def test_calls_of_the_range_are_counted_for_the_xlsx_cap(acme, world):
    with tenant_context(acme.tenant):
        since, until = datetime(2026, 3, 2, 16, tzinfo=UTC), datetime(2026, 3, 3, 16, tzinfo=UTC)
        assert calls_export.calls_export_count(since=since, until=until) == 4
        assert Call.objects.count() >= 5
