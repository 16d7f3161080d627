"""The IVR graph validator: every class of problem, pointed at its node and field."""

from __future__ import annotations

import pytest

from apps.telephony.ivr.defaults import default_graph
from apps.telephony.ivr.validator import Problem, validate_graph

QUEUES = {7}
HOURS = {3}


def check(graph, **lookups):
    lookups.setdefault("queue_exists", QUEUES.__contains__)
    lookups.setdefault("hours_exists", HOURS.__contains__)
    return validate_graph(graph, **lookups)


def graph(start="menu", **nodes):
    return {"start": start, "nodes": nodes}


def menu(**fields):
    node = {"type": "menu", "prompt": "Press 1", "options": {"1": "sales"}}
    node.update(fields)
    return node


def sales():
    return {"type": "queue", "queue": 7}


def problems(result, code):
    return [(p.node, p.field) for p in result.errors if p.code == code]


# --- a good graph ----------------------------------------------------------------------------------


def test_a_simple_menu_to_a_queue_is_valid():
    result = check(graph(menu=menu(), sales=sales()))

    assert result.ok
    assert result.errors == []
    assert result.warnings == []


def test_the_default_tenant_flow_is_valid():
    result = check(default_graph(company="Acme", queue_id=7, hours_id=3))

    assert result.ok, result.errors
    assert result.warnings == []


def test_every_node_type_with_its_fields_is_valid():
    nodes = {
        "hours": {"type": "hours", "business_hours": 3, "open": "welcome", "closed": "vm", "holiday": "cb"},
        "welcome": {"type": "play", "prompt": "欢迎 Welcome", "next": "menu", "label": "Greeting"},
        "menu": menu(
            options={"1": "account", "2": "out", "0": "sales", "#": "ext"},
            timeout=8,
            retries=1,
            retry_prompt="Again",
            invalid="sales",
            no_input="sales",
            agent_options=["0"],
        ),
        "account": {
            "type": "gather",
            "prompt": "Account?",
            "max_digits": 8,
            "timeout": 10,
            "variable": "account",
            "next": "sales",
        },
        "sales": {"type": "queue", "queue": 7, "after_call": "survey"},
        "survey": {"type": "survey", "prompt": "Rate us", "next": "bye"},
        "bye": {"type": "hangup"},
        "vm": {"type": "voicemail", "queue": 7, "prompt": "Leave a message"},
        "cb": {"type": "callback", "queue": 7},
        "out": {"type": "transfer", "number": "+8613800000000"},
        "ext": {"type": "transfer", "queue": 7},
    }

    result = check(graph(start="hours", **nodes))

    assert result.ok, result.errors


# --- shape -------------------------------------------------------------------------------------------


def test_a_graph_that_is_not_an_object_is_refused():
    result = check(["not", "a", "graph"])

    assert result.codes() == {"not_an_object"}


def test_a_graph_without_nodes_is_refused():
    result = check({"start": "a", "nodes": {}})

    assert problems(result, "no_nodes") == [(None, "nodes")]


def test_unknown_top_level_fields_are_refused():
    result = check({"start": "menu", "nodes": {"menu": menu(), "sales": sales()}, "colour": "blue"})

    assert problems(result, "unknown_field") == [(None, "colour")]


def test_a_missing_start_is_refused():
    result = check({"nodes": {"menu": menu(), "sales": sales()}})

    assert problems(result, "required") == [(None, "start")]


def test_a_start_naming_no_node_is_a_dangling_edge():
    result = check(graph(start="nowhere", menu=menu(), sales=sales()))

    assert problems(result, "dangling_edge") == [(None, "start")]
    assert result.error_fields()["start"] == ["The start node “nowhere” does not exist."]


def test_bad_node_ids_are_refused():
    result = check(graph(start="menu", menu=menu(), sales=sales(), **{"bad id!": {"type": "hangup"}}))

    assert problems(result, "bad_id") == [("bad id!", None)]


def test_a_node_that_is_not_an_object_is_refused():
    result = check(graph(menu=menu(), sales="queue please"))

    assert ("sales", None) in problems(result, "not_an_object")


# --- node fields -------------------------------------------------------------------------------------


def test_unknown_node_types_are_refused():
    result = check(graph(menu=menu(), sales={"type": "teleport"}))

    assert problems(result, "unknown_type") == [("sales", "type")]
    assert "teleport" in result.error_fields()["nodes.sales.type"][0]


def test_unknown_node_fields_are_refused():
    result = check(graph(menu=menu(nxt="sales"), sales=sales()))

    assert problems(result, "unknown_field") == [("menu", "nxt")]


def test_missing_required_fields_name_node_and_field():
    result = check(graph(menu={"type": "menu", "options": {"1": "sales"}}, sales={"type": "queue"}))

    assert sorted(problems(result, "required")) == [("menu", "prompt"), ("sales", "queue")]
    assert result.error_fields()["nodes.menu.prompt"] == ["A menu node needs “prompt”."]


def test_a_menu_without_options_is_refused():
    result = check(graph(menu=menu(options={}), sales=sales()))

    assert problems(result, "required") == [("menu", "options")]


def test_blank_prompts_are_refused():
    result = check(graph(start="hi", hi={"type": "play", "prompt": "   ", "next": "bye"}, bye={"type": "hangup"}))

    assert problems(result, "bad_value") == [("hi", "prompt")]


def test_an_edge_to_a_missing_node_is_dangling():
    result = check(graph(start="hi", hi={"type": "play", "prompt": "Hi", "next": "gone"}))

    assert problems(result, "dangling_edge") == [("hi", "next")]
    assert result.error_fields() == {"nodes.hi.next": ["Node “gone” does not exist."]}


def test_a_menu_option_to_a_missing_node_is_dangling():
    result = check(graph(menu=menu(options={"1": "sales", "2": "support"}), sales=sales()))

    assert problems(result, "dangling_edge") == [("menu", "options.2")]


def test_menu_option_keys_are_single_dtmf_keys():
    result = check(graph(menu=menu(options={"1": "sales", "12": "sales"}), sales=sales()))

    assert problems(result, "bad_value") == [("menu", "options.12")]


def test_whole_numbers_are_required_for_timeouts():
    result = check(graph(menu=menu(timeout="5"), sales=sales()))

    assert problems(result, "bad_value") == [("menu", "timeout")]


@pytest.mark.parametrize(("field", "value"), [("timeout", 0), ("timeout", 61), ("retries", 11)])
def test_numbers_out_of_range_are_refused(field, value):
    result = check(graph(menu=menu(**{field: value}), sales=sales()))

    assert problems(result, "out_of_range") == [("menu", field)]


def test_agent_options_must_be_keys():
    result = check(graph(menu=menu(agent_options=["agent"]), sales=sales()))

    assert problems(result, "bad_value") == [("menu", "agent_options")]


def test_agent_options_must_be_menu_options():
    result = check(graph(menu=menu(agent_options=["0"]), sales=sales()))

    assert problems(result, "bad_value") == [("menu", "agent_options")]


def test_a_missing_queue_is_refused():
    result = check(graph(menu=menu(), sales={"type": "queue", "queue": 99}))

    assert problems(result, "missing_reference") == [("sales", "queue")]
    assert result.error_fields()["nodes.sales.queue"] == ["Queue 99 does not exist."]


def test_missing_business_hours_are_refused():
    nodes = {"hours": {"type": "hours", "business_hours": 42, "open": "sales", "closed": "sales"}, "sales": sales()}

    result = check(graph(start="hours", **nodes))

    assert problems(result, "missing_reference") == [("hours", "business_hours")]


def test_references_must_be_ids():
    result = check(graph(menu=menu(), sales={"type": "queue", "queue": "general"}))

    assert problems(result, "bad_value") == [("sales", "queue")]


def test_references_are_not_checked_without_lookups():
    result = validate_graph(graph(menu=menu(), sales={"type": "queue", "queue": 99}))

    assert result.ok


def test_transfer_numbers_must_be_dialable():
    result = check(graph(start="out", out={"type": "transfer", "number": "call me"}))

    assert problems(result, "bad_value") == [("out", "number")]


@pytest.mark.parametrize("node", [{"type": "transfer"}, {"type": "transfer", "number": "10086", "queue": 7}])
def test_a_transfer_needs_exactly_one_target(node):
    result = check(graph(start="out", out=node))

    assert problems(result, "transfer_target") == [("out", "number")]


def test_gather_variables_must_be_names():
    node = {"type": "gather", "prompt": "Id?", "max_digits": 4, "variable": "1st id", "next": "sales"}

    result = check(graph(start="ask", ask=node, sales=sales()))

    assert problems(result, "bad_value") == [("ask", "variable")]


# --- paths -------------------------------------------------------------------------------------------


def test_a_loop_of_prompts_without_exit_is_refused():
    nodes = {"a": {"type": "play", "prompt": "A", "next": "b"}, "b": {"type": "play", "prompt": "B", "next": "a"}}

    result = check(graph(start="a", **nodes))

    assert sorted(problems(result, "no_exit")) == [("a", None), ("b", None)]
    assert result.error_fields()["nodes.a"][0].startswith("Every path from this node loops forever")


def test_a_menu_that_loops_back_on_itself_is_fine_when_it_has_an_exit():
    node = menu(options={"1": "sales", "9": "menu"}, invalid="menu", no_input="menu")

    result = check(graph(menu=node, sales=sales()))

    assert result.ok


def test_a_menu_whose_every_branch_returns_to_it_is_refused():
    node = menu(options={"9": "menu"}, invalid="menu", no_input="menu")

    result = check(graph(menu=node))

    assert problems(result, "no_exit") == [("menu", None)]


def test_a_menu_without_a_fallback_ends_by_hanging_up():
    node = menu(options={"9": "menu"}, invalid="menu")

    result = check(graph(menu=node))

    assert result.ok


def test_a_survey_without_next_ends_the_call():
    result = check(graph(start="survey", survey={"type": "survey", "prompt": "Rate us"}))

    assert result.ok


def test_hours_nodes_that_branch_back_to_each_other_are_refused():
    nodes = {
        "h1": {"type": "hours", "business_hours": 3, "open": "h2", "closed": "bye"},
        "h2": {"type": "hours", "business_hours": 3, "open": "h1", "closed": "bye"},
        "bye": {"type": "hangup"},
    }

    result = check(graph(start="h1", **nodes))

    assert sorted(problems(result, "hours_loop")) == [("h1", None), ("h2", None)]


def test_unreachable_nodes_are_warnings_not_errors():
    result = check(graph(menu=menu(), sales=sales(), spare={"type": "hangup"}))

    assert result.ok
    assert [(p.code, p.node) for p in result.warnings] == [("unreachable", "spare")]
    assert result.warning_fields() == {"nodes.spare": ["No path from the start reaches this node."]}


def test_problem_keys_point_at_node_and_field():
    assert Problem("x", "m", node="menu", field="options.1").key == "nodes.menu.options.1"
    assert Problem("x", "m", node="menu").key == "nodes.menu"
    assert Problem("x", "m", field="start").key == "start"
    assert Problem("x", "m").key == "graph"
