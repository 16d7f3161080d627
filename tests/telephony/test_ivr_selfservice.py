"""IVR self-service: http, set, branch and say nodes — the runner, the validator, and the engine
calling a real local HTTP endpoint off its loop (signed; time-out, error and non-2xx take the
fallback; private addresses refused unless allowed)."""

from __future__ import annotations

import asyncio
import datetime as dt
import time

import pytest
from django_tenants.utils import tenant_context

from apps.telephony.engine.clock import RealClock
from apps.telephony.engine.config import NumberSettings, QueueSettings
from apps.telephony.engine.drivers.sim import CallerBehaviour, SimDriver, SimNumber
from apps.telephony.engine.state import QUEUED
from apps.telephony.ivr.http import perform
from apps.telephony.ivr.runner import Digits, HttpRequest, HttpResult, IvrSession, PlayDone, Say, ToQueue
from apps.telephony.ivr.validator import validate_graph
from apps.webhooks import signing
from tests.accounts.helpers import web_login
from tests.recording_store import RecordingStore
from tests.telephony.harness import make_controller
from tests.telephony.ivr_endpoint import IvrEndpoint

SECRET = "whsec_test-integration-secret"
QUEUE = 1
NOW = dt.datetime(2026, 12, 8, 10, 0, tzinfo=dt.UTC)


def graph(url: str, *, timeout_ms: int = 2000) -> dict:
    return {
        "start": "ask",
        "nodes": {
            "ask": {
                "type": "gather",
                "prompt": "Your order number",
                "max_digits": 8,
                "variable": "order",
                "next": "lookup",
            },
            "lookup": {
                "type": "http",
                "url": url,
                "timeout_ms": timeout_ms,
                "variable_prefix": "order",
                "next": "check",
                "fallback": "sorry",
            },
            "check": {
                "type": "branch",
                "variable": "order_status",
                "conditions": [
                    {"op": "equals", "value": "shipped", "next": "when"},
                    {"op": "in", "value": ["lost", "late"], "next": "sorry"},
                ],
                "default": "agent",
            },
            "when": {
                "type": "say",
                "kind": "date",
                "variable": "order_delivery",
                "language": "en",
                "prompt": "It arrives on",
                "next": "amount",
            },
            "amount": {"type": "say", "kind": "amount", "variable": "order_amount", "next": "agent"},
            "sorry": {"type": "set", "variable": "lookup_failed", "value": "order {order}", "next": "agent"},
            "agent": {"type": "queue", "queue": QUEUE},
        },
    }


def _session(url="https://crm.example.com/order", language="zh-Hans"):
    return IvrSession(graph(url), now_local=NOW, hours_lookup=lambda _id: None, language=language)


# --- the runner (pure) -------------------------------------------------------------------------------


def test_http_success_stores_namespaced_scalars_then_branch_and_say():
    session = _session()
    session.start()
    request = session.feed(Digits("12345"))
    assert isinstance(request, HttpRequest)
    assert request.url == "https://crm.example.com/order" and request.timeout_ms == 2000
    assert request.variables == {"order": "12345"}
    said = session.feed(
        HttpResult(
            True,
            200,
            {
                "status": "shipped",
                "delivery": "2026-12-10",
                "amount": "128.5",
                "items": [1],
                "meta": {"a": 1},
                "x" * 40: "too long a name",
            },
        )
    )
    assert session.variables == {
        "order": "12345",
        "order_status": "shipped",
        "order_delivery": "2026-12-10",
        "order_amount": "128.5",
    }
    assert isinstance(said, Say) and said.text == "december tenth twenty twenty six" and said.prompt == "It arrives on"
    amount = session.feed(PlayDone())
    assert isinstance(amount, Say) and amount.text == "一百二十八元五角"  # the session's language
    assert isinstance(session.feed(PlayDone()), ToQueue)
    outcomes = [(step["node"], step.get("outcome")) for step in session.path]
    assert outcomes == [
        ("ask", "stored"),
        ("lookup", "ok"),
        ("check", "conditions.0"),
        ("when", "said"),
        ("amount", "said"),
        ("agent", None),
    ]


@pytest.mark.parametrize(
    "result", [HttpResult(False, error="timeout"), HttpResult(False, 500, error="status"), HttpResult(True, 200, None)]
)
def test_http_failure_takes_the_fallback_and_set_renders_variables(result):
    session = _session()
    session.start()
    session.feed(Digits("777"))
    end = session.feed(result)
    assert isinstance(end, ToQueue)
    assert session.variables == {"order": "777", "lookup_failed": "order 777"}
    assert session.path[1]["outcome"] == "fallback"


def test_branch_numbers_empty_and_default_and_unspeakable_say_is_skipped():
    nodes = {
        "b": {
            "type": "branch",
            "variable": "n",
            "default": "d",
            "conditions": [
                {"op": "empty", "next": "e"},
                {"op": "less", "value": 10, "next": "small"},
                {"op": "greater", "value": "99.5", "next": "big"},
            ],
        },
        "small": {"type": "say", "kind": "number", "variable": "n", "next": "d"},
        "big": {"type": "hangup"},
        "e": {"type": "hangup"},
        "d": {"type": "hangup"},
    }

    def run(value):
        session = IvrSession(
            {"start": "b", "nodes": nodes}, now_local=NOW, hours_lookup=lambda _id: None, language="en"
        )
        if value is not None:
            session.variables["n"] = value
        first = session.start()
        return session.path[0]["outcome"], first

    assert run(None)[0] == "conditions.0"
    outcome, said = run("7")
    assert outcome == "conditions.1" and isinstance(said, Say) and said.words == ("say.en.seven",)
    assert run("100")[0] == "conditions.2"
    assert run("50")[0] == "default"
    assert run("abc")[0] == "default"  # not a number: neither less nor greater
    session = IvrSession({"start": "small", "nodes": nodes}, now_local=NOW, hours_lookup=lambda _id: None)
    session.variables["n"] = "x1"
    assert session.start().kind == "hangup" and session.path[0]["outcome"] == "unspeakable"


# --- the validator -----------------------------------------------------------------------------------


def test_the_validator_checks_the_new_nodes(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = False
    assert validate_graph(graph("https://crm.example.com/order")).ok
    bad = graph("http://crm.example.com/order", timeout_ms=100)
    nodes = bad["nodes"]
    nodes["lookup"]["variable_prefix"] = "9bad"
    nodes["check"]["conditions"] = [
        {"op": "like", "value": "x", "next": "when"},
        {"op": "less", "value": "ten", "next": "when"},
        {"op": "in", "value": [], "next": "when"},
        {"op": "equals", "value": "a", "next": "nowhere"},
    ]
    nodes["when"]["kind"] = "colour"
    nodes["when"]["language"] = "fr"
    nodes["sorry"]["value"] = "x" * 201
    fields = validate_graph(bad).error_fields()
    for key in (
        "nodes.lookup.url",
        "nodes.lookup.timeout_ms",
        "nodes.lookup.variable_prefix",
        "nodes.check.conditions.0",
        "nodes.check.conditions.1",
        "nodes.check.conditions.2",
        "nodes.check.conditions.3",
        "nodes.when.kind",
        "nodes.when.language",
        "nodes.sorry.value",
    ):
        assert key in fields, (key, fields)
    private = graph("https://10.0.0.5/order")
    assert "nodes.lookup.url" in validate_graph(private).error_fields()
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = True  # development: http and private addresses allowed
    assert validate_graph(graph("http://127.0.0.1:8000/order")).ok
    loop = {
        "start": "a",
        "nodes": {
            "a": {"type": "set", "variable": "v", "value": "1", "next": "b"},
            "b": {
                "type": "branch",
                "variable": "v",
                "default": "a",
                "conditions": [{"op": "equals", "value": "2", "next": "h"}],
            },
            "h": {"type": "hangup"},
        },
    }
    assert "automatic_loop" in validate_graph(loop).codes()
    missing = {"start": "h", "nodes": {"h": {"type": "http", "url": "https://x.example.com"}}}
    assert {"nodes.h.next", "nodes.h.fallback"} <= set(validate_graph(missing).error_fields())


# --- a real endpoint -------------------------------------------------------------------------------------


def test_perform_signs_and_reads_the_answer(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = True
    with IvrEndpoint(SECRET, slow_seconds=1.5) as endpoint:
        body = b'{"variables": {"order": "12345"}}'
        stamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            signing.TIMESTAMP_HEADER: stamp,
            signing.SIGNATURE_HEADER: signing.signature(SECRET, stamp, body),
        }
        ok = perform(f"{endpoint.url}/order", body, headers, 2.0)
        assert ok.ok and ok.status == 200 and ok.data["status"] == "shipped"
        assert endpoint.requests[-1][3] is True  # the server verified the signature
        assert perform(f"{endpoint.url}/fail", body, headers, 2.0) == HttpResult(False, 500, error="status")
        assert perform(f"{endpoint.url}/html", body, headers, 2.0).error == "not_json"
        assert perform(f"{endpoint.url}/slow", body, headers, 0.5).error == "timeout"
        settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = False
        refused = perform(f"{endpoint.url}/order", body, headers, 2.0)
        assert refused == HttpResult(False, error="private_address")
        assert len(endpoint.requests) == 4  # the refused one never left


def _engine_call(url: str, *, timeout_ms: int = 2000, secret: str = SECRET):
    """One simulated caller (keys 12345) through the flow on a real loop; returns what happened."""

    async def scenario():
        clock = RealClock()
        driver = SimDriver(
            clock, caller=CallerBehaviour(prompt_seconds=0.05, think=(0.01, 0.02), choices={"ask": "12345"})
        )
        store = RecordingStore(clock)
        number = NumberSettings(
            number_id=1,
            number="4001",
            trunk_id=None,
            queue_id=QUEUE,
            ivr_graph=graph(url, timeout_ms=timeout_ms),
            ivr_version_id=1,
        )
        controller = make_controller(
            clock=clock,
            driver=driver,
            store=store,
            use_ivr=True,
            queues=[QueueSettings(queue_id=QUEUE, name="Orders")],
            numbers=[number],
        )
        controller.ivr.http.secret = secret
        controller.ivr.language = "en"
        uid = driver.inject(SimNumber(number_id=1, number="4001", trunk_id=None), caller="13900000001")
        started = time.monotonic()
        while time.monotonic() - started < 30:
            call = controller.calls.get(uid)
            if call is not None and call.status == QUEUED:
                break
            await asyncio.sleep(0.02)
        call = controller.calls[uid]
        controller.ivr.http.close()
        return call, driver, store

    return asyncio.run(scenario())


def test_the_engine_looks_up_the_order_and_says_it(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = True
    with IvrEndpoint(SECRET) as endpoint:
        call, driver, store = _engine_call(f"{endpoint.url}/order")
    path, headers, body, valid = endpoint.requests[0]
    assert valid and headers[signing.SIGNATURE_HEADER].startswith("sha256=")
    assert body["caller"] == "13900000001" and body["callee"] == "4001" and body["call_uid"] == call.uid
    assert body["digits"] == {"order": "12345"} and body["variables"] == {"order": "12345"}
    assert call.status == QUEUED
    assert call.ivr.variables["order_status"] == "shipped"
    assert [text for _uid, _prompt, text in driver.transcript] == [
        "december tenth twenty twenty six",
        "one hundred twenty eight yuan and fifty fen",
    ]
    kinds = [kind for _uid, kind, _data in store.events]
    assert "ivr_http" in kinds and "ivr_http_result" in kinds


@pytest.mark.parametrize(("path", "error"), [("/slow", "timeout"), ("/fail", "status")])
def test_the_engine_takes_the_fallback(settings, path, error):
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = True
    with IvrEndpoint(SECRET, slow_seconds=3.0) as endpoint:
        began = time.monotonic()
        call, driver, store = _engine_call(f"{endpoint.url}{path}", timeout_ms=500)
        waited = time.monotonic() - began
    assert call.status == QUEUED and call.ivr.variables["lookup_failed"] == "order 12345"
    lookup = next(step for step in call.ivr.path if step["node"] == "lookup")
    assert lookup["outcome"] == "fallback" and lookup["error"] == error
    assert driver.transcript == []
    if error == "timeout":
        assert waited < 3.0  # the engine did not wait for the slow endpoint


def test_the_engine_refuses_a_private_address_when_not_allowed(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = False
    with IvrEndpoint(SECRET) as endpoint:
        call, _driver, _store = _engine_call(f"{endpoint.url}/order")
    assert endpoint.requests == []
    lookup = next(step for step in call.ivr.path if step["node"] == "lookup")
    assert lookup["error"] == "private_address"


def test_a_wrong_secret_is_refused_by_the_endpoint(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = True
    with IvrEndpoint(SECRET) as endpoint:
        call, _driver, _store = _engine_call(f"{endpoint.url}/order", secret="whsec_other")
    assert endpoint.requests[0][3] is False
    lookup = next(step for step in call.ivr.path if step["node"] == "lookup")
    assert lookup["outcome"] == "fallback" and lookup["status"] == 401


# --- the test call (API and console) --------------------------------------------------------------


@pytest.fixture
def self_service(acme):
    from apps.telephony.models import Queue

    with tenant_context(acme.tenant):
        queue = Queue.objects.create(code="orders", name="Orders")
    return acme, queue


def _graph_for(queue_id: int, url: str) -> dict:
    found = graph(url)
    found["nodes"]["agent"]["queue"] = queue_id
    return found


def test_the_test_call_calls_the_endpoint_for_real_signed_with_the_tenants_secret(self_service, settings):
    from apps.webhooks.services.integration import integration_secret

    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = True
    acme, queue = self_service
    with tenant_context(acme.tenant):
        secret = integration_secret()
    api = acme.api(acme.admin())
    with IvrEndpoint(secret) as endpoint:
        flow = api.post(
            "/api/v1/ivr-flows",
            {"name": "Orders", "graph": _graph_for(queue.pk, f"{endpoint.url}/order")},
            format="json",
        ).json()
        response = api.post(f"/api/v1/ivr-flows/{flow['id']}/test-call", {"digits": ["12345"]}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert endpoint.requests[0][3] is True  # signed with the tenant's integration secret
    assert body["variables"]["order_status"] == "shipped"
    said = [action["text"] for action in body["actions"] if action["type"] == "say"]
    assert said == [
        "december tenth twenty twenty six",
        "one hundred twenty eight yuan and fifty fen",
    ]  # acme speaks English
    assert body["result"]["type"] == "queue"


def test_the_test_call_takes_typed_answers_and_refuses_bad_ones(self_service):
    acme, queue = self_service
    api = acme.api(acme.admin())
    flow = api.post(
        "/api/v1/ivr-flows",
        {"name": "Orders", "graph": _graph_for(queue.pk, "https://crm.example.com/o")},
        format="json",
    ).json()
    url = f"/api/v1/ivr-flows/{flow['id']}/test-call"
    typed = {"lookup": {"status": "shipped", "delivery": "2027-01-02", "amount": "3"}}
    body = api.post(url, {"digits": ["1"], "http_responses": typed}, format="json").json()
    assert [a["text"] for a in body["actions"] if a["type"] == "say"] == [
        "january second twenty twenty seven",
        "three yuan",
    ]
    failed = api.post(url, {"digits": ["1"], "http_responses": {"lookup": "timeout"}}, format="json").json()
    assert failed["variables"]["lookup_failed"] == "order 1"
    assert failed["path"][1]["error"] == "timeout"
    bad = api.post(url, {"http_responses": {"lookup": 5}}, format="json")
    assert bad.status_code == 400 and "http_responses" in bad.json()["fields"]


def test_the_console_test_call_shows_what_is_said(self_service):
    acme, queue = self_service
    admin = web_login(acme, acme.admin_email)
    api = acme.api(acme.admin())
    flow = api.post(
        "/api/v1/ivr-flows",
        {"name": "Orders", "graph": _graph_for(queue.pk, "https://crm.example.com/o")},
        format="json",
    ).json()
    typed = '{"lookup": {"status": "shipped", "delivery": "2027-01-02", "amount": "3"}}'
    response = admin.post(
        f"/console/ivr/flows/{flow['id']}/test-call/",
        {"test-digits": "1", "test-version": "1", "test-http_responses": typed},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "january second twenty twenty seven" in page and "three yuan" in page
    response = admin.post(
        f"/console/ivr/flows/{flow['id']}/test-call/",
        {"test-digits": "1", "test-version": "1", "test-http_responses": "[1]"},
    )
    assert response.status_code == 400


def test_the_console_edits_branch_http_and_say_nodes(self_service):
    acme, queue = self_service
    admin = web_login(acme, acme.admin_email)
    api = acme.api(acme.admin())
    flow = api.post(
        "/api/v1/ivr-flows",
        {"name": "Orders", "graph": _graph_for(queue.pk, "https://crm.example.com/o")},
        format="json",
    ).json()
    base = f"/console/ivr/flows/{flow['id']}/nodes"
    for node_id in ("check", "lookup", "when", "sorry"):
        page = admin.get(f"{base}/{node_id}/")
        assert page.status_code == 200, node_id
    conditions = '[{"op": "greater", "value": 100, "next": "when"}]'
    saved = admin.post(f"{base}/check/", {"variable": "order_amount", "conditions": conditions, "default": "agent"})
    assert saved.status_code == 302
    bad = admin.post(f"{base}/check/", {"variable": "order_amount", "conditions": "{oops", "default": "agent"})
    assert "Enter a JSON list." in bad.content.decode()  # the form again, with the field's message
    saved = admin.post(
        f"{base}/when/",
        {"kind": "number", "variable": "order_amount", "language": "zh-Hans", "currency": "CNY", "next": "amount"},
    )
    assert saved.status_code == 302
    refused = admin.post(
        f"{base}/lookup/",
        {
            "url": "ftp://crm.example.com",
            "timeout_ms": "1500",
            "variable_prefix": "order",
            "next": "check",
            "fallback": "sorry",
        },
    )
    assert "Enter an https:// URL" in refused.content.decode()
    with tenant_context(acme.tenant):
        from apps.telephony.models import IvrFlow
        from apps.telephony.services import ivr as ivr_services

        graph = ivr_services.flow_draft(IvrFlow.objects.get(pk=flow["id"])).graph
    assert graph["nodes"]["check"]["conditions"] == [{"op": "greater", "value": 100, "next": "when"}]
    assert graph["nodes"]["when"] == {
        "type": "say",
        "kind": "number",
        "variable": "order_amount",
        "language": "zh-Hans",
        "currency": "CNY",
        "next": "amount",
    }
    assert graph["nodes"]["lookup"]["url"] == "https://crm.example.com/o"
    diagram = admin.get(f"/console/ivr/flows/{flow['id']}/").content.decode()
    assert "&gt; 100" in diagram or "> 100" in diagram
