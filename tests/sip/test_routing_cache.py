"""The routing endpoint's route cache: a committed change to a tenant, its numbers, trunks or carrier
addresses changes the very next routing answer.

The real endpoint (daphne, its own process and database connection) answers HTTP here, as it
answers Kamailio; the tenants are committed (``sip_world``) and every change below is committed
through the ordinary services before the next question. In-process checks show that a repeated
question costs no query (the cache is really used) and that nothing is cached without Redis.
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import sys
import uuid
from pathlib import Path

import pytest
import redis
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import tenant_context

from apps.sip.services import trunk_address_add, trunk_address_remove
from apps.sip.services.routing import RouteCache, did_route, route_cache
from apps.telephony.models import PhoneNumber, Trunk
from apps.tenants.choices import PoolNumberStatus
from apps.tenants.models import PoolNumber
from apps.tenants.services.platform import tenant_number_assign, tenant_resume, tenant_suspend
from tests.sip.conftest import ROOT, TRUNK_ADDRESS
from tests.sip.harness import database_url, free_port, http_ok, start, wait_for

B_CARRIER = "127.0.0.9"


@pytest.fixture(scope="module")
def endpoint(sip_world, tmp_path_factory):
    """The routing endpoint as ``sip_run routing`` runs it (kept database connection), alone."""
    port = free_port()
    secret = uuid.uuid4().hex
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.test",
        DATABASE_URL=database_url(connection.settings_dict),
        DATABASE_CONN_MAX_AGE="300",
        SIP_ROUTING_SECRET=secret,
        PYTHONPATH=str(ROOT),
    )
    daphne = str(Path(sys.executable).parent / "daphne")
    process = start(
        "routing",
        [daphne, "-b", "127.0.0.1", "-p", str(port), "apps.sip.asgi:application"],
        tmp_path_factory.mktemp("routing"),
        env=env,
    )
    try:
        wait_for(lambda: http_ok(port), "the routing endpoint")

        def route(did: str, source: str) -> dict:
            client = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            token = base64.b64encode(f"kamailio:{secret}".encode()).decode()
            body = json.dumps({"did": did, "source": source, "caller": "139", "call_id": uuid.uuid4().hex})
            headers = {"Authorization": f"Basic {token}", "Content-Type": "application/json"}
            try:
                client.request("POST", "/sip/route", body=body, headers=headers)
                reply = client.getresponse()
                assert reply.status == 200, process.tail()
                return json.loads(reply.read())
            finally:
                client.close()

        yield route
    finally:
        process.stop()


@pytest.fixture
def committed(django_db_blocker):
    """Writes outside any test transaction: committed at once, so their on-commit hooks run."""
    with django_db_blocker.unblock():
        yield
        connection.set_schema_to_public()


def test_a_suspended_tenant_stops_routing_with_the_next_invite_and_resumes(endpoint, sip_world, committed):
    a = sip_world.a
    first = endpoint(a.number, TRUNK_ADDRESS)
    assert (first["action"], first["tenant"], first["trunk"]) == ("route", a.slug, a.trunk_id)
    assert endpoint(a.number, TRUNK_ADDRESS) == first  # now from the cache
    tenant_suspend(tenant=a.tenant)
    try:
        assert endpoint(a.number, TRUNK_ADDRESS) == {"action": "unavailable"}
    finally:
        tenant_resume(tenant=a.tenant)
    assert endpoint(a.number, TRUNK_ADDRESS) == first


def test_a_removed_carrier_address_is_refused_and_a_new_channel_cap_is_used(endpoint, sip_world, committed):
    a = sip_world.a
    assert endpoint(a.number, TRUNK_ADDRESS)["action"] == "route"
    trunk_address_remove(tenant=a.tenant, trunk_id=a.trunk_id, address=TRUNK_ADDRESS)
    try:
        assert endpoint(a.number, TRUNK_ADDRESS) == {"action": "refused"}
    finally:
        trunk_address_add(tenant=a.tenant, trunk_id=a.trunk_id, address=TRUNK_ADDRESS)
    assert endpoint(a.number, TRUNK_ADDRESS)["action"] == "route"
    with tenant_context(a.tenant):
        trunk = Trunk.objects.get(pk=a.trunk_id)
        channels = trunk.channels
        trunk.channels = 7
        trunk.save(update_fields=["channels"])
    try:
        assert endpoint(a.number, TRUNK_ADDRESS)["channels"] == 7
    finally:
        with tenant_context(a.tenant):
            trunk.channels = channels
            trunk.save(update_fields=["channels"])


def test_a_repeated_question_costs_no_query_until_something_changes(sip_world, committed):
    a = sip_world.a
    route_cache.clear_local()
    with CaptureQueriesContext(connection) as first:
        decision = did_route(did=a.number, source=TRUNK_ADDRESS)
    with CaptureQueriesContext(connection) as again:
        assert did_route(did=a.number, source=TRUNK_ADDRESS) == decision
    assert len(first.captured_queries) > 0 and len(again.captured_queries) == 0
    tenant_suspend(tenant=a.tenant)
    try:
        with CaptureQueriesContext(connection) as after:
            assert did_route(did=a.number, source=TRUNK_ADDRESS).action == "unavailable"
        assert len(after.captured_queries) > 0
    finally:
        tenant_resume(tenant=a.tenant)


def test_without_redis_every_question_reads_the_database(sip_world, committed):
    cache = RouteCache()
    cache._redis = redis.Redis(unix_socket_path="/nonexistent/redis.sock", socket_timeout=0.2)
    assert cache.version() is None
    for _attempt in range(2):
        with CaptureQueriesContext(connection) as queries:
            assert cache.get(sip_world.a.number) is not None
        assert len(queries.captured_queries) > 0


def test_a_number_taken_from_one_tenant_and_given_to_another_routes_to_the_new_one(endpoint, sip_world, committed):
    # Last in the module: A keeps no number afterwards.
    a, b = sip_world.a, sip_world.b
    with tenant_context(b.tenant):
        b_trunk = Trunk.objects.get(is_default=True)
    trunk_address_add(tenant=b.tenant, trunk_id=b_trunk.pk, address=B_CARRIER)
    assert endpoint(a.number, TRUNK_ADDRESS)["tenant"] == a.slug
    # The platform takes A's number back (its PhoneNumber goes, the pool row is free again) …
    with tenant_context(a.tenant):
        PhoneNumber.objects.get(number=a.number).delete()
    assert endpoint(a.number, TRUNK_ADDRESS) == {"action": "unknown_number"}
    pool = PoolNumber.objects.get(number=a.number)
    pool.status, pool.tenant, pool.assigned_at = PoolNumberStatus.AVAILABLE, None, None
    pool.save(update_fields=["status", "tenant", "assigned_at"])
    assert endpoint(a.number, TRUNK_ADDRESS) == {"action": "unknown_number"}
    # … and gives it to B: B's carrier now reaches B; A's carrier is refused.
    tenant_number_assign(tenant=b.tenant, number=a.number)
    moved = endpoint(a.number, B_CARRIER)
    assert (moved["action"], moved["tenant"], moved["trunk"]) == ("route", b.slug, b_trunk.pk)
    with tenant_context(b.tenant):
        assert moved["number"] == PhoneNumber.objects.get(number=a.number).pk
    assert endpoint(a.number, TRUNK_ADDRESS) == {"action": "refused"}
