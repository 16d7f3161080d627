"""Editing an IVR draft node by node: ivr/editing.py (pure), services/ivr.py draft_edit (row lock),
the console editor and its API twin (/api/v1/ivr-flows/{id}/nodes, /nodes/{node_id}, /start)."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connections
from django_tenants.utils import tenant_context

from apps.accounts.choices import Role
from apps.telephony.ivr import editing, schema
from apps.telephony.ivr.editing import GraphEditError
from apps.telephony.models import IvrFlow
from apps.telephony.services import ivr as ivr_services
from tests.accounts.helpers import web_login

# --- the pure operations -----------------------------------------------------------------------------


def test_operations_return_a_new_graph_and_leave_theirs_alone():
    graph = schema.empty_graph()
    before = schema.empty_graph()

    added = editing.add_node(graph, "menu", schema.MENU)
    changed = editing.update_node(added, "menu", {"prompt": "Press 1", "options": {"1": "hangup"}})
    started = editing.set_start(changed, "menu")

    assert graph == before
    assert added["nodes"]["menu"] == {"type": "menu"}
    assert changed["nodes"]["menu"] == {"type": "menu", "prompt": "Press 1", "options": {"1": "hangup"}}
    assert started["start"] == "menu" and changed["start"] == "hangup"
    assert "menu" not in editing.remove_node(started, "menu")["nodes"]


def test_the_first_node_of_an_empty_graph_becomes_the_start():
    assert editing.add_node({"nodes": {}}, "hello", schema.PLAY)["start"] == "hello"


def test_update_merges_and_null_removes_but_replace_sets_every_field():
    graph = editing.add_node(schema.empty_graph(), "hi", schema.PLAY, {"prompt": "Hello", "label": "greeting"})

    merged = editing.update_node(graph, "hi", {"next": "hangup", "label": None})
    replaced = editing.update_node(graph, "hi", {"prompt": "Bye"}, replace=True)

    assert merged["nodes"]["hi"] == {"type": "play", "prompt": "Hello", "next": "hangup"}
    assert replaced["nodes"]["hi"] == {"type": "play", "prompt": "Bye"}


@pytest.mark.parametrize(
    ("edit", "field"),
    [
        (lambda g: editing.add_node(g, "bad id!", schema.PLAY), "node_id"),
        (lambda g: editing.add_node(g, "hangup", schema.PLAY), "node_id"),
        (lambda g: editing.add_node(g, "x", "dance"), "type"),
        (lambda g: editing.update_node(g, "menu", {"timeout": 500}), "timeout"),
        (lambda g: editing.update_node(g, "menu", {"timeout": "soon"}), "timeout"),
        (lambda g: editing.update_node(g, "menu", {"options": {"1": "nowhere"}}), "options.1"),
        (lambda g: editing.update_node(g, "menu", {"colour": "red"}), "colour"),
        (lambda g: editing.update_node(g, "menu", {"type": "play"}), "type"),
        (lambda g: editing.set_start(g, "nowhere"), "start"),
    ],
)
def test_bad_edits_name_the_field(edit: Callable[[dict], dict], field: str):
    graph = editing.add_node(schema.empty_graph(), "menu", schema.MENU)

    with pytest.raises(GraphEditError) as caught:
        edit(graph)

    assert caught.value.code == "invalid"
    assert field in caught.value.fields


def test_a_draft_may_stay_incomplete_while_it_is_edited():
    """Required fields wait for publishing: a node is filled in one field at a time."""
    graph = editing.add_node(schema.empty_graph(), "menu", schema.MENU)

    assert editing.update_node(graph, "menu", {"retries": 0})["nodes"]["menu"] == {"type": "menu", "retries": 0}


def test_editing_a_node_that_does_not_exist_is_not_found():
    for edit in (
        lambda g: editing.update_node(g, "ghost", {"prompt": "x"}),
        lambda g: editing.remove_node(g, "ghost"),
    ):
        with pytest.raises(GraphEditError) as caught:
            edit(schema.empty_graph())
        assert caught.value.code == "not_found"


# --- page and API: the same edits, the same graph ----------------------------------------------------


def _new_flow(acme, name: str) -> IvrFlow:
    with tenant_context(acme.tenant):
        return ivr_services.flow_create(name=name)


def _draft_graph(acme, flow: IvrFlow) -> dict[str, Any]:
    with tenant_context(acme.tenant):
        return ivr_services.flow_draft(flow).graph


def test_the_page_and_the_api_make_the_same_graph(acme):
    page_flow = _new_flow(acme, "By page")
    api_flow = _new_flow(acme, "By API")
    page = web_login(acme, acme.admin_email)
    api = acme.api(acme.admin())

    base = f"/console/ivr/flows/{page_flow.pk}"
    assert page.post(f"{base}/nodes/add/", {"add-node_id": "menu", "add-type": "menu"}).status_code == 302
    assert page.post(f"{base}/nodes/add/", {"add-node_id": "spare", "add-type": "play"}).status_code == 302
    response = page.post(
        f"{base}/nodes/menu/", {"prompt": "Press 1", "option_1": "hangup", "timeout": "5", "retries": "0"}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert page.post(f"{base}/start/", {"start-start": "menu"}).status_code == 302
    assert page.post(f"{base}/nodes/spare/remove/").status_code == 302

    url = f"/api/v1/ivr-flows/{api_flow.pk}"
    assert api.post(f"{url}/nodes", {"node_id": "menu", "type": "menu"}, format="json").status_code == 201
    assert api.post(f"{url}/nodes", {"node_id": "spare", "type": "play"}, format="json").status_code == 201
    changes = {"prompt": "Press 1", "options": {"1": "hangup"}, "timeout": 5, "retries": 0}
    response = api.patch(f"{url}/nodes/menu", changes, format="json")
    assert response.status_code == 200, response.json()
    response = api.post(f"{url}/start", {"node_id": "menu"}, format="json")
    assert response.status_code == 200, response.json()
    assert api.delete(f"{url}/nodes/spare").status_code == 204

    graph = _draft_graph(acme, page_flow)
    assert graph == _draft_graph(acme, api_flow)
    assert graph == {
        "start": "menu",
        "nodes": {
            "hangup": {"type": "hangup"},
            "menu": {"type": "menu", "prompt": "Press 1", "options": {"1": "hangup"}, "timeout": 5, "retries": 0},
        },
    }
    assert api.get(f"{url}/draft").json()["graph"] == graph


def test_editing_a_published_flow_starts_a_draft_from_it(acme):
    flow = _new_flow(acme, "Live")
    api = acme.api(acme.admin())
    assert api.post(f"/api/v1/ivr-flows/{flow.pk}/publish").status_code == 200

    response = api.post(f"/api/v1/ivr-flows/{flow.pk}/nodes", {"node_id": "spare", "type": "hangup"}, format="json")

    assert response.status_code == 201
    assert (response.json()["number"], response.json()["status"]) == (2, "draft")
    with tenant_context(acme.tenant):
        assert flow.published.graph == schema.empty_graph()


# --- bad input: 400 with the field, nothing saved -----------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("post", "nodes", {"node_id": "bad id!", "type": "play"}, "node_id"),
        ("post", "nodes", {"node_id": "hangup", "type": "play"}, "node_id"),
        ("post", "nodes", {"node_id": "x", "type": "dance"}, "type"),
        ("post", "nodes", {"node_id": "x", "type": "play", "fields": {"next": "nowhere"}}, "next"),
        ("patch", "nodes/menu", {"timeout": 500}, "timeout"),
        ("patch", "nodes/menu", {"options": {"1": "nowhere"}}, "options.1"),
        ("patch", "nodes/menu", {"audio": "no-such-prompt"}, "audio"),
        ("patch", "nodes/menu", {"type": "play"}, "type"),
        ("patch", "nodes/menu", {"prompt": "a\u0000b"}, "prompt"),
        ("post", "start", {"node_id": "nowhere"}, "start"),
    ],
)
def test_bad_input_answers_400_with_the_field_and_changes_nothing(acme, method, path, body, field):
    flow = _new_flow(acme, "Careful")
    with tenant_context(acme.tenant):
        ivr_services.node_add(flow=flow, node_id="menu", node_type=schema.MENU)
    before = _draft_graph(acme, flow)
    api = acme.api(acme.admin())

    response = getattr(api, method)(f"/api/v1/ivr-flows/{flow.pk}/{path}", body, format="json")

    assert response.status_code == 400, response.json()
    assert field in response.json()["fields"], response.json()
    assert response.json()["fields"][field]
    assert _draft_graph(acme, flow) == before


def test_a_node_the_draft_lacks_is_404(acme):
    flow = _new_flow(acme, "Sparse")
    api = acme.api(acme.admin())

    assert api.patch(f"/api/v1/ivr-flows/{flow.pk}/nodes/ghost", {"prompt": "x"}, format="json").status_code == 404
    assert api.delete(f"/api/v1/ivr-flows/{flow.pk}/nodes/ghost").status_code == 404


def test_supervisors_read_but_do_not_edit(acme):
    flow = _new_flow(acme, "Read only")
    api = acme.api(acme.user(Role.SUPERVISOR))

    response = api.post(f"/api/v1/ivr-flows/{flow.pk}/nodes", {"node_id": "x", "type": "hangup"}, format="json")

    assert response.status_code == 403
    assert "x" not in _draft_graph(acme, flow)["nodes"]


def test_another_tenants_flow_is_404(acme, globex):
    flow = _new_flow(acme, "Acme only")
    with tenant_context(globex.tenant):
        assert not IvrFlow.objects.filter(pk=flow.pk).exists()
    api = globex.api(globex.admin())
    url = f"/api/v1/ivr-flows/{flow.pk}"

    assert api.post(f"{url}/nodes", {"node_id": "x", "type": "hangup"}, format="json").status_code == 404
    assert api.patch(f"{url}/nodes/hangup", {"label": "x"}, format="json").status_code == 404
    assert api.delete(f"{url}/nodes/hangup").status_code == 404
    assert api.post(f"{url}/start", {"node_id": "hangup"}, format="json").status_code == 404
    assert _draft_graph(acme, flow) == schema.empty_graph()


# --- concurrent edits ----------------------------------------------------------------------------------


def _in_threads(tenant, works: list[Callable[[], None]]) -> None:
    """Run each of ``works`` in its own thread and connection (committed, outside the test's
    transaction), all released at once."""
    barrier = threading.Barrier(len(works))
    errors: list[BaseException] = []

    def run(work: Callable[[], None]) -> None:
        try:
            with tenant_context(tenant):
                barrier.wait()
                work()
        except BaseException as error:  # reported by the test's thread
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(work,)) for work in works]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


def _in_own_connection(tenant, function: Callable[[], Any]) -> Any:
    box: dict[str, Any] = {}

    def work() -> None:
        box["value"] = function()

    _in_threads(tenant, [work])
    return box.get("value")


def test_concurrent_edits_of_different_nodes_both_persist(acme):
    name = f"Race {uuid.uuid4().hex[:8]}"
    rounds = 8

    def create() -> int:
        flow = ivr_services.flow_create(name=name)
        ivr_services.node_add(flow=flow, node_id="a", node_type=schema.PLAY)
        ivr_services.node_add(flow=flow, node_id="b", node_type=schema.PLAY)
        return flow.pk

    pk = _in_own_connection(acme.tenant, create)
    try:

        def editor(node_id: str) -> Callable[[], None]:
            def work() -> None:
                flow = IvrFlow.objects.get(pk=pk)
                for n in range(rounds):
                    ivr_services.node_update(flow=flow, node_id=node_id, changes={"prompt": f"{node_id} {n}"})
                    ivr_services.node_add(flow=flow, node_id=f"{node_id}{n}", node_type=schema.HANGUP)

            return work

        _in_threads(acme.tenant, [editor("a"), editor("b")])

        graph = _in_own_connection(acme.tenant, lambda: ivr_services.flow_draft(IvrFlow.objects.get(pk=pk)).graph)
        assert graph["nodes"]["a"]["prompt"] == f"a {rounds - 1}"
        assert graph["nodes"]["b"]["prompt"] == f"b {rounds - 1}"
        assert {f"{x}{n}" for x in "ab" for n in range(rounds)} <= set(graph["nodes"])
    finally:
        _in_own_connection(acme.tenant, lambda: IvrFlow.objects.filter(pk=pk).delete())
