"""Inbound agent scripts per queue: rendering, the desk's offer and snapshot, the console page, the API."""

from __future__ import annotations

from typing import Any

import pytest
from django_tenants.utils import tenant_context

from apps.crm.services.custom_fields import custom_field_create
from apps.crm.services.customers import customer_create
from apps.telephony import agent_states
from apps.telephony.engine.clock import VirtualClock
from apps.telephony.engine.config import AgentSettings, NumberSettings, QueueSettings
from apps.telephony.engine.dbstore import DbStore
from apps.telephony.engine.drivers.sim import CallerBehaviour, Duration, SimDriver, SimNumber
from apps.telephony.models import Call, PhoneNumber, Queue, Trunk
from apps.telephony.queue_scripts import queue_script_render, render, script_errors, script_values
from apps.telephony.selectors.wallboard import agent_desktop_snapshot
from tests.accounts.helpers import web_login
from tests.telephony.agent_helpers import make_agent
from tests.telephony.harness import make_controller

CALLER = "13812345678"
SCRIPT = (
    "您好 {{customer.name}}（{{customer.level}}），证件 {{customer.id_no}}。\n"
    "订单 {{ivr.order}}，来电 {{call.caller}} / {{call.queue}}。{{customer.secret_note}}{{ivr.missing}}"
)
GRAPH: dict[str, Any] = {
    "start": "order",
    "nodes": {
        "order": {"type": "gather", "prompt": "Order number?", "max_digits": 6, "variable": "order", "next": "q"},
        "q": {"type": "queue", "queue": 0},
    },
}


# --- rendering (plain Python) ---------------------------------------------------------------------


def test_render_fills_every_namespace_and_leaves_unknown_names_empty():
    values = script_values(
        customer={
            "name": "Li Lei",
            "vip_level": 3,
            "tags": ["gold", "b2b"],
            "custom_fields": [{"key": "city", "value": "Hangzhou"}],
        },
        variables={"order": "123456", "paid": True},
        caller="138",
        queue_name="Billing",
    )
    text = render(
        "{{customer.name}}|{{ customer.city }}|{{customer.tags}}|{{customer.vip_level}}|{{ivr.order}}|"
        "{{ivr.paid}}|{{call.caller}}|{{call.queue}}|{{customer.nope}}|{{ivr.nope}}",
        values,
    )
    assert text == "Li Lei|Hangzhou|gold, b2b|3|123456|Yes|138|Billing||"
    assert render("Hello {{customer.name}}", script_values()) == "Hello "


def test_values_are_text_inserted_once_never_markup_or_placeholders():
    values = script_values(
        customer={"name": "<img src=x onerror=alert(1)>{{ivr.pin}}", "custom_fields": []},
        variables={"pin": "9999", "ctl": "a\x00b\x1bc"},
    )
    text = render("Hi {{customer.name}} {{ivr.ctl}}", values)
    # One pass: the customer's text that looks like a placeholder stays as typed; control characters go.
    assert text == "Hi <img src=x onerror=alert(1)>{{ivr.pin}} abc"


def test_script_errors_name_the_bad_placeholder():
    assert script_errors("Hello {{customer.name}} {{ivr.order_no}} {{call.caller}}") == []
    assert script_errors("Hello {{contact.name}}")[0].startswith("Unknown placeholder {{contact.name}}")
    assert script_errors("{{call.secret}}")
    assert script_errors("{{customer.na me}}")
    assert script_errors("x" * 5001)


# --- the engine's offer and the desk snapshot ---------------------------------------------------------


@pytest.fixture
def scripted(acme):
    """Queue "billing" with a script, a number with an IVR asking for an order number, a known caller
    with a sensitive field (masked for agents) and a field agents may not see at all."""
    with tenant_context(acme.tenant):
        trunk = Trunk.objects.create(name="script test", channels=10)
        queue = Queue.objects.create(code="billing", name="Billing", script=SCRIPT, ring_timeout_seconds=15)
        number = PhoneNumber.objects.create(number="4009990010", trunk=trunk, queue=queue)
        custom_field_create(key="level", label="等级", field_type="text")
        custom_field_create(key="id_no", label="证件号", field_type="text", sensitive=True)
        custom_field_create(key="secret_note", label="内部", field_type="text", visible_roles=["tenant_admin"])
        customer_create(
            name="<b>李雷</b>",
            phones=[CALLER],
            custom={"level": "金卡", "id_no": "110101199001011234", "secret_note": "do not read"},
        )
    person = make_agent(acme, state="ready")
    return {"world": acme, "trunk": trunk, "queue": queue, "number": number, "agent": person.agent}


def _run_call(scripted, *, ivr: bool, answer: bool = False):
    world, queue, number, trunk = scripted["world"], scripted["queue"], scripted["number"], scripted["trunk"]
    clock = VirtualClock()
    caller = CallerBehaviour(talk_with_human=Duration(600, "fixed"), choices={"order": "424242"})
    driver = SimDriver(clock, seed=3, caller=caller, default_trunk_id=trunk.pk)
    driver.set_trunk(trunk.pk, trunk.channels)
    store = DbStore(world.tenant, clock)
    graph = {**GRAPH, "nodes": {**GRAPH["nodes"], "q": {"type": "queue", "queue": queue.pk}}} if ivr else None
    settings = NumberSettings(
        number_id=number.pk, number=number.number, trunk_id=trunk.pk, queue_id=queue.pk, ivr_graph=graph
    )
    controller = make_controller(
        clock=clock,
        driver=driver,
        store=store,
        queues=[QueueSettings.from_model(queue, {})],
        numbers=[settings],
        use_ivr=ivr,
    )
    agent_id = scripted["agent"].pk
    controller.set_agent(AgentSettings(agent_id=agent_id, name="Ann", state=agent_states.READY))
    uid = driver.inject(SimNumber(number_id=number.pk, number=number.number, trunk_id=trunk.pk), caller=CALLER)

    def offers():
        return [m for topic, m in store.published if m["type"] == "call.offer" and topic == f"agent.{agent_id}"]

    while not offers() and clock.now() < 60:  # the IVR first: prompt, digits, then the queue
        clock.run_until(clock.now() + 1)
    if answer:
        controller.handle_message({"type": "call.answer", "agent_id": agent_id, "call_uid": uid})
        clock.run_until(clock.now() + 5)
    return uid, offers()


def test_the_offer_carries_the_script_with_masked_customer_data_and_ivr_variables(
    scripted, django_capture_on_commit_callbacks
):
    with tenant_context(scripted["world"].tenant), django_capture_on_commit_callbacks(execute=True):
        uid, offers = _run_call(scripted, ivr=True)
    [offer] = offers
    assert offer["script"] == (
        "您好 <b>李雷</b>（金卡），证件 1101**********1234。\n订单 424242，来电 13812345678 / Billing。"
    )
    assert "110101199001011234" not in offer["script"] and "do not read" not in offer["script"]
    with tenant_context(scripted["world"].tenant):
        call = Call.objects.get(uid=uid)
        assert call.queue_id == scripted["queue"].pk


def test_a_queue_without_a_script_sends_none(scripted, django_capture_on_commit_callbacks):
    with tenant_context(scripted["world"].tenant):
        Queue.objects.filter(pk=scripted["queue"].pk).update(script="")
        scripted["queue"].refresh_from_db()
    with tenant_context(scripted["world"].tenant), django_capture_on_commit_callbacks(execute=True):
        _uid, [offer] = _run_call(scripted, ivr=False)
    assert "script" not in offer


def test_a_reloaded_desk_gets_the_script_back(scripted, django_capture_on_commit_callbacks):
    with tenant_context(scripted["world"].tenant), django_capture_on_commit_callbacks(execute=True):
        _run_call(scripted, ivr=True, answer=True)
    with tenant_context(scripted["world"].tenant):
        snapshot = agent_desktop_snapshot(scripted["agent"])
    # The IVR's variables come back from the call's timeline (event ivr_variables).
    assert snapshot["call"]["script"] == (
        "您好 <b>李雷</b>（金卡），证件 1101**********1234。\n订单 424242，来电 13812345678 / Billing。"
    )
    assert "do not read" not in snapshot["call"]["script"]


def test_the_desk_shows_the_script_as_text():
    with open("static/js/desktop.js", encoding="utf-8") as source:
        desk = source.read()
    assert '$("call-script").textContent = script' in desk
    assert 'call-script").innerHTML' not in desk


def test_queue_script_render_is_what_the_store_uses():
    customer = {"name": "Han Meimei", "custom_fields": [{"key": "id_no", "value": "1101****"}]}
    text = queue_script_render("{{customer.name}} {{customer.id_no}} {{ivr.x}}", customer=customer, variables={"x": 1})
    assert text == "Han Meimei 1101**** 1"


# --- the console page -----------------------------------------------------------------------------------


def _page(world, *roles):
    user = world.user(*roles)
    return web_login(world, user.email)


def _url(queue: Queue) -> str:
    return f"/console/queues/{queue.pk}/script/"


def test_script_page_previews_with_a_customer_as_an_agent_sees_it(scripted):
    browser = _page(scripted["world"], "supervisor")
    queue = scripted["queue"]
    response = browser.get(_url(queue))
    assert response.status_code == 200
    page = response.content.decode()
    assert "‹customer.name›" in page  # no number chosen: the sample customer
    response = browser.post(
        _url(queue),
        {"script": SCRIPT, "preview_phone": CALLER, "preview_variables": "order=777", "action": "preview"},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "&lt;b&gt;李雷&lt;/b&gt;" in page and "<b>李雷</b>" not in page
    assert "1101**********1234" in page and "110101199001011234" not in page
    assert "订单 777" in page
    with tenant_context(scripted["world"].tenant):
        assert Queue.objects.get(pk=queue.pk).script == SCRIPT  # a preview saves nothing


def test_script_page_saves_and_refuses_a_bad_placeholder_with_400(scripted):
    browser = _page(scripted["world"], "tenant_admin")
    queue = scripted["queue"]
    response = browser.post(_url(queue), {"script": "Hi {{customer.name}}", "action": "save"})
    assert response.status_code == 302
    with tenant_context(scripted["world"].tenant):
        assert Queue.objects.get(pk=queue.pk).script == "Hi {{customer.name}}"
    response = browser.post(_url(queue), {"script": "Hi {{contact.name}}", "action": "save"})
    assert response.status_code == 400
    assert "Unknown placeholder" in response.content.decode()
    response = browser.post(_url(queue), {"script": "x", "preview_variables": "no equals sign", "action": "preview"})
    assert response.status_code == 400
    with tenant_context(scripted["world"].tenant):
        assert Queue.objects.get(pk=queue.pk).script == "Hi {{customer.name}}"


@pytest.mark.parametrize("role", ["agent", "qa", "hr"])
def test_script_page_is_for_administrators_and_supervisors(scripted, role):
    browser = _page(scripted["world"], role)
    assert browser.get(_url(scripted["queue"])).status_code == 403
    assert browser.post(_url(scripted["queue"]), {"script": "x", "action": "save"}).status_code == 403
    with tenant_context(scripted["world"].tenant):
        assert Queue.objects.get(pk=scripted["queue"].pk).script == SCRIPT


def test_preview_never_finds_another_tenants_customer(scripted, globex):
    with tenant_context(globex.tenant):
        customer_create(name="Globex person", phones=["13900001111"])
    browser = _page(scripted["world"], "tenant_admin")
    response = browser.post(
        _url(scripted["queue"]), {"script": "{{customer.name}}", "preview_phone": "13900001111", "action": "preview"}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Globex person" not in page and "‹customer.name›" in page


def test_queue_edit_page_links_to_the_script(scripted):
    browser = _page(scripted["world"], "tenant_admin")
    page = browser.get(f"/console/queues/{scripted['queue'].pk}/").content.decode()
    assert f'href="{_url(scripted["queue"])}"' in page


# --- the API ----------------------------------------------------------------------------------------------


def test_api_reads_and_writes_the_script(scripted):
    api = scripted["world"].api(scripted["world"].admin())
    path = f"/api/v1/queues/{scripted['queue'].pk}"
    assert api.get(path).json()["script"] == SCRIPT
    response = api.patch(path, {"script": "Hello {{customer.name}}"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["script"] == "Hello {{customer.name}}"
    response = api.patch(path, {"script": "Hello {{contact.name}}"}, format="json")
    assert response.status_code == 400
    assert "script" in response.json()["fields"]
    with tenant_context(scripted["world"].tenant):
        assert Queue.objects.get(pk=scripted["queue"].pk).script == "Hello {{customer.name}}"


def test_api_previews_a_script_as_an_agent_sees_it_and_saves_nothing(scripted):
    world, queue = scripted["world"], scripted["queue"]
    path = f"/api/v1/queues/{queue.pk}/script-preview"
    supervisor = world.api(world.user("supervisor"))
    response = supervisor.post(path, {"phone": CALLER, "variables": {"order": "55"}}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["real"] is True and set(body["custom_fields"]) == {"level", "id_no", "secret_note"}
    assert body["text"].startswith("您好 <b>李雷</b>（金卡），证件 1101**********1234。\n订单 55，")
    assert "do not read" not in body["text"]
    response = supervisor.post(path, {"script": "{{customer.name}}/{{ivr.order}}"}, format="json")
    assert response.json() == {
        "text": "‹customer.name›/",
        "real": False,
        "custom_fields": ["level", "id_no", "secret_note"],
    }
    response = supervisor.post(path, {"script": "{{contact.name}}"}, format="json")
    assert response.status_code == 400 and "script" in response.json()["fields"]
    response = supervisor.post(path, {"variables": ["not", "a", "dict"]}, format="json")
    assert response.status_code == 400 and "variables" in response.json()["fields"]
    assert world.api(world.user("agent")).post(path, {}, format="json").status_code == 403
    with tenant_context(world.tenant):
        assert Queue.objects.get(pk=queue.pk).script == SCRIPT


def test_script_page_and_the_queue_form_speak_chinese(scripted):
    from django.conf import settings

    from tests.pending_po import pending_translations

    browser = _page(scripted["world"], "tenant_admin")
    browser.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    with pending_translations("bullseye_scripts"):
        page = browser.get(_url(scripted["queue"])).content.decode()
        form = browser.get(f"/console/queues/{scripted['queue'].pk}/").content.decode()
        refused = browser.post(_url(scripted["queue"]), {"script": "{{contact.name}}", "action": "save"})
    for words in ("座席话术", "坐席看到的效果", "用此号码对应的客户预览", "用 IVR 变量预览"):
        assert words in page, words
    for words in ("As the agent sees it", "Preview with IVR variables"):
        assert words not in page, words
    for words in ("靶心分环", "靶心（按技能等级分环）"):
        assert words in form, words
    assert refused.status_code == 400 and "未知占位符 {{contact.name}}" in refused.content.decode()
