"""The IVR editor's diagram: the pure layout (apps/telephony/ivr/diagram.py) places every node and an
arrow per transition, keeps unreachable nodes apart and survives loops; the flow page draws it as SVG
with the validator's problems on the boxes; a node saved through htmx answers with the diagram drawn
again; the test call names queues."""

from __future__ import annotations

import json
import re

import pytest
from django_tenants.utils import tenant_context

from apps.telephony.ivr import schema
from apps.telephony.ivr.defaults import DEFAULT_FLOW_NAME
from apps.telephony.ivr.diagram import clip, layout
from apps.telephony.models import IvrFlow, Queue
from apps.telephony.services import ivr as ivr_services
from tests.accounts.helpers import web_login

MENU_GRAPH = {
    "start": "hours",
    "nodes": {
        "hours": {"type": "hours", "business_hours": 1, "open": "menu", "closed": "bye", "holiday": "bye"},
        "menu": {
            "type": "menu",
            "prompt": "Press 1 for sales, 2 for support, 9 to hear this again",
            "options": {"1": "sales", "2": "support", "9": "menu"},
            "invalid": "bye",
            "no_input": "intro",
        },
        "intro": {"type": "play", "prompt": "Welcome back", "next": "menu"},
        "sales": {"type": "queue", "queue": 7, "after_call": "survey"},
        "support": {"type": "transfer", "number": "+8613800000000"},
        "survey": {"type": "survey", "prompt": "Rate us 1 to 5"},
        "bye": {"type": "hangup"},
        "spare": {"type": "play", "prompt": "Nobody hears this", "next": "spare2"},
        "spare2": {"type": "hangup"},
    },
}


def _transitions(graph: dict) -> set[tuple[str, str, str]]:
    return {
        (node_id, field, target) for node_id, node in graph["nodes"].items() for field, target in schema.edges(node)
    }


def test_every_node_is_placed_without_overlap():
    diagram = layout(MENU_GRAPH)

    assert {node.id for node in diagram.nodes} == set(MENU_GRAPH["nodes"])
    boxes = [(n.x, n.y, n.x + n.width, n.y + n.height) for n in diagram.nodes]
    for index, a in enumerate(boxes):
        for b in boxes[index + 1 :]:
            assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1], (a, b)
        assert a[0] >= 0 and a[2] <= diagram.width and a[1] >= 0 and a[3] <= diagram.height


def test_columns_follow_the_callers_walk_from_the_start():
    diagram = layout(MENU_GRAPH)
    x = {node.id: node.x for node in diagram.nodes}

    assert diagram.node("hours").is_start
    assert x["hours"] < x["menu"] == x["bye"] < x["sales"] == x["support"] == x["intro"] < x["survey"]


def test_an_edge_for_every_transition_with_its_label():
    diagram = layout(MENU_GRAPH)

    drawn = {
        (edge.source, f"{edge.field}.{edge.key}" if edge.key else edge.field, edge.target) for edge in diagram.edges
    }
    assert drawn == _transitions(MENU_GRAPH)
    keys = {edge.key for edge in diagram.edges if edge.source == "menu" and edge.field == "options"}
    assert keys == {"1", "2", "9"}
    assert all(edge.path.startswith("M") for edge in diagram.edges)


def test_loops_are_routed_back_and_self_loops_hook_on_the_box():
    diagram = layout(MENU_GRAPH)
    kinds = {(edge.source, edge.target): edge.kind for edge in diagram.edges}

    assert kinds[("menu", "menu")] == "self"  # "9: hear this again"
    assert kinds[("intro", "menu")] == "back"  # a later column back to the menu
    assert kinds[("menu", "sales")] == "forward"


def test_unreachable_nodes_are_shown_apart_under_the_flow():
    diagram = layout(MENU_GRAPH)
    apart = [node for node in diagram.nodes if not node.reachable]

    assert {node.id for node in apart} == {"spare", "spare2"}
    assert diagram.unreachable_y is not None
    lowest_reachable = max(n.y + n.height for n in diagram.nodes if n.reachable)
    assert all(node.y > diagram.unreachable_y > lowest_reachable for node in apart)
    assert diagram.node("spare").x < diagram.node("spare2").x


def test_a_cycle_nobody_enters_and_a_dangling_edge_still_draw():
    graph = {
        "start": "a",
        "nodes": {
            "a": {"type": "play", "prompt": "x", "next": "gone"},
            "loop1": {"type": "play", "prompt": "x", "next": "loop2"},
            "loop2": {"type": "play", "prompt": "x", "next": "loop1"},
        },
    }

    diagram = layout(graph)

    assert {node.id for node in diagram.nodes} == {"a", "loop1", "loop2"}
    assert [edge.kind for edge in diagram.edges if edge.source == "a"] == ["dangling"]
    assert {edge.kind for edge in diagram.edges if edge.source.startswith("loop")} == {"forward", "back"}


def test_problems_and_warnings_land_on_their_nodes():
    problems = {"nodes.menu.options.1": ["Node “sales” does not exist."], "start": ["x"]}
    warnings = {"nodes.spare": ["Nobody reaches this node."]}

    diagram = layout(MENU_GRAPH, problems, warnings)

    assert diagram.node("menu").problems == ["Node “sales” does not exist."]
    assert diagram.node("spare").warnings == ["Nobody reaches this node."]
    assert diagram.node("hours").problems == [] and diagram.node("hours").problem_short == ""
    # A box with a problem is taller, to write it.
    assert diagram.node("intro").height < layout(MENU_GRAPH, {"nodes.intro.next": ["bad"]}).node("intro").height


def test_broken_graphs_give_an_empty_or_partial_diagram():
    assert layout({}).nodes == []
    assert layout({"start": "a", "nodes": "nonsense"}).nodes == []
    partial = layout({"start": "a", "nodes": {"a": {"type": "hangup"}, "b": "not a node"}})
    assert [node.id for node in partial.nodes] == ["a"]


def test_texts_are_cut_by_display_width():
    assert clip("short", 10) == "short"
    assert clip("a" * 30, 10) == "a" * 9 + "…"
    assert clip("欢迎致电上海启航贸易有限公司", 10) == "欢迎致电…"


# --- the flow page ------------------------------------------------------------------------------------


@pytest.fixture
def admin(acme):
    return web_login(acme, acme.admin_email)


def default_flow(acme) -> IvrFlow:
    with tenant_context(acme.tenant):
        return IvrFlow.objects.get(name=DEFAULT_FLOW_NAME)


def test_the_flow_page_draws_a_box_per_node_and_an_arrow_per_edge(acme, admin):
    flow = default_flow(acme)
    with tenant_context(acme.tenant):
        graph = flow.published.graph
        queue_name = Queue.objects.get(pk=graph["nodes"]["agent"]["queue"]).name

    page = admin.get(f"/console/ivr/flows/{flow.pk}/").content.decode()

    start = page.index('<svg class="ivr-diagram"')  # the top bar has an SVG of its own (the bell)
    svg = page[start : page.index("</svg>", start)]
    assert set(re.findall(r'id="dnode-([^"]+)"', svg)) == set(graph["nodes"])
    assert len(re.findall(r'<g class="ivr-edge ', svg)) == len(_transitions(graph))
    assert 'data-field="options.0"' in svg and ">no match<" in svg and ">open<" in svg
    assert queue_name in svg  # a queue node says which queue, by name
    assert f'href="/console/ivr/flows/{flow.pk}/nodes/menu/"' in svg
    assert "ivr_diagram.js" in page and 'data-ivr-panel="json"' in page  # the JSON stays a tab away
    assert "style=" not in svg  # the Content-Security-Policy refuses style attributes


def test_problems_are_marked_on_the_boxes(acme, admin):
    flow = default_flow(acme)
    broken = {
        "start": "welcome",
        "nodes": {"welcome": {"type": "play", "prompt": "Hi", "next": "gone"}, "spare": {"type": "hangup"}},
    }
    admin.post(f"/console/ivr/flows/{flow.pk}/json/", {"json-graph": json.dumps(broken)})

    page = admin.get(f"/console/ivr/flows/{flow.pk}/").content.decode()

    welcome = re.search(r'<a [^>]*id="dnode-welcome"[^>]*>', page).group(0)
    assert "has-problem" in welcome
    assert "Node “gone” does not exist." in page
    spare = re.search(r'<a [^>]*id="dnode-spare"[^>]*>', page).group(0)
    assert "unreachable" in spare and "has-problem" not in spare
    assert 'class="ivr-edge edge-dangling"' in page
    assert "Not reached from the start" in page


def test_saving_a_node_through_htmx_answers_with_the_diagram_drawn_again(acme, admin):
    flow = default_flow(acme)
    url = f"/console/ivr/flows/{flow.pk}/nodes/welcome/"

    panel = admin.get(url, headers={"HX-Request": "true"})
    assert panel.status_code == 200
    assert "<html" not in panel.content.decode() and f'hx-post="{url}"' in panel.content.decode()

    saved = admin.post(url, {"prompt": "Hello there", "next": "nowhere-yet"}, headers={"HX-Request": "true"})
    assert saved.status_code == 200
    page = saved.content.decode()
    assert page.lstrip().startswith('<div id="ivr-editor"') or 'id="ivr-editor"' in page[:400]
    # The form's choice of target refuses a node that does not exist: the errors come back in the panel.
    assert "has-error" in page and 'id="dnode-welcome"' in page

    saved = admin.post(url, {"prompt": "Hello there", "next": "survey"}, headers={"HX-Request": "true"})
    page = saved.content.decode()
    assert "Saved to the draft." in page and "Hello there" in page
    assert re.search(r'data-source="welcome" data-target="survey"', page)
    with tenant_context(acme.tenant):
        assert ivr_services.flow_draft(flow).graph["nodes"]["welcome"]["next"] == "survey"


def test_adding_a_node_through_htmx_opens_its_form(acme, admin):
    flow = default_flow(acme)

    response = admin.post(
        f"/console/ivr/flows/{flow.pk}/nodes/add/",
        {"add-node_id": "goodbye", "add-type": "hangup"},
        headers={"HX-Request": "true"},
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert 'id="dnode-goodbye"' in page and 'data-node="goodbye"' in page
    assert re.search(r'<a [^>]*id="dnode-goodbye"[^>]*selected', page)


def test_the_test_call_names_the_queue(acme, admin):
    flow = default_flow(acme)
    with tenant_context(acme.tenant):
        queue = Queue.objects.get(pk=flow.published.graph["nodes"]["agent"]["queue"])

    response = admin.post(
        f"/console/ivr/flows/{flow.pk}/test-call/",
        {"test-digits": "0", "test-at": "2025-10-09T12:00", "test-version": "1"},
    )

    page = response.content.decode()
    result = page[page.index('id="test-result"') :]
    assert f'<span class="test-queue">{queue.name}</span>' in result
    assert f"queue {queue.pk}<" not in result
