"""IvrSession: walking a flow with key presses, retries, hours branches and the survey."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest

from apps.telephony.ivr.defaults import default_graph
from apps.telephony.ivr.hours import HoursSpec, OverrideSpec
from apps.telephony.ivr.runner import (
    Callback,
    Digits,
    Gather,
    Hangup,
    IvrSession,
    IvrSessionError,
    NoInput,
    Play,
    PlayDone,
    Survey,
    ToQueue,
    Transfer,
    Voicemail,
    action_dict,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
WORKDAY = [["09:00", "18:00"]]
OFFICE = HoursSpec(
    time_zone="Asia/Shanghai",
    weekly={"mon": WORKDAY, "tue": WORKDAY, "wed": WORKDAY, "thu": WORKDAY, "fri": WORKDAY, "sat": [], "sun": []},
    follow_chinese_holidays=True,
)
THURSDAY_NOON = dt.datetime(2025, 10, 9, 12, 0, tzinfo=SHANGHAI)


def session(graph, *, at=THURSDAY_NOON, hours=OFFICE, queues=None):
    return IvrSession(
        graph,
        now_local=at,
        hours_lookup=lambda hours_id: hours if hours_id == 3 else None,
        queue_lookup=None if queues is None else queues.__contains__,
    )


def menu_graph(**menu_fields):
    menu = {
        "type": "menu",
        "prompt": "Press 1 for sales, 0 for an agent",
        "options": {"1": "sales", "0": "agent", "2": "account"},
        "agent_options": ["0"],
        "retries": 2,
        "timeout": 4,
    }
    menu.update(menu_fields)
    return {
        "start": "welcome",
        "nodes": {
            "welcome": {"type": "play", "prompt": "Welcome", "next": "menu"},
            "menu": menu,
            "sales": {"type": "queue", "queue": 7, "after_call": "survey"},
            "agent": {"type": "queue", "queue": 8},
            "account": {
                "type": "gather",
                "prompt": "Account?",
                "max_digits": 6,
                "variable": "account",
                "next": "sales",
            },
            "fallback": {"type": "voicemail", "queue": 7},
            "silent": {"type": "callback", "queue": 7},
            "survey": {"type": "survey", "prompt": "Rate us 1-5"},
        },
    }


def to_menu(s: IvrSession):
    assert s.start() == Play("welcome", "Welcome")
    return s.feed(PlayDone())


# --- plays and menus ---------------------------------------------------------------------------------


def test_start_plays_the_first_prompt():
    s = session(menu_graph())

    assert s.start() == Play("welcome", "Welcome")
    assert not s.done


def test_after_the_prompt_the_menu_gathers_one_key():
    action = to_menu(session(menu_graph()))

    assert action == Gather("menu", "Press 1 for sales, 0 for an agent", 1, 4, ["0", "1", "2"])


def test_a_menu_key_leads_to_its_queue():
    s = session(menu_graph())
    to_menu(s)

    action = s.feed(Digits("1"))

    assert action == ToQueue("sales", 7, "survey")
    assert s.done


def test_the_path_records_nodes_and_keys():
    s = session(menu_graph())
    to_menu(s)
    s.feed(Digits("1"))

    assert s.path == [
        {"node": "welcome", "type": "play"},
        {"node": "menu", "type": "menu", "input": "1", "outcome": "option"},
        {"node": "sales", "type": "queue"},
    ]


def test_an_agent_option_marks_the_call_as_asking_for_an_agent():
    s = session(menu_graph())
    to_menu(s)

    assert s.feed(Digits("0")) == ToQueue("agent", 8, None)
    assert s.reached_agent_request is True


def test_other_options_do_not_mark_an_agent_request():
    s = session(menu_graph())
    to_menu(s)
    s.feed(Digits("1"))

    assert s.reached_agent_request is False


def test_a_wrong_key_prompts_again_with_the_retry_prompt():
    s = session(menu_graph(retry_prompt="Sorry. Press 1 or 0"))
    to_menu(s)

    action = s.feed(Digits("7"))

    assert action == Gather("menu", "Sorry. Press 1 or 0", 1, 4, ["0", "1", "2"])
    assert s.path[-2] == {"node": "menu", "type": "menu", "input": "7", "outcome": "invalid"}
    assert s.path[-1] == {"node": "menu", "type": "menu", "retry": 1}


def test_a_retry_without_retry_prompt_repeats_the_prompt():
    s = session(menu_graph())
    to_menu(s)

    action = s.feed(NoInput())

    assert action.prompt == "Press 1 for sales, 0 for an agent"


def test_a_right_key_after_a_retry_is_taken():
    s = session(menu_graph())
    to_menu(s)
    s.feed(Digits("9"))

    assert s.feed(Digits("1")) == ToQueue("sales", 7, "survey")


def test_too_many_wrong_keys_go_to_the_invalid_node():
    s = session(menu_graph(invalid="fallback", no_input="silent"))
    to_menu(s)
    s.feed(Digits("9"))
    s.feed(Digits("9"))

    action = s.feed(Digits("9"))

    assert action == Voicemail("fallback", 7)
    assert [step.get("outcome") for step in s.path if step["node"] == "menu"] == ["invalid"] * 3


def test_too_many_silences_go_to_the_no_input_node():
    s = session(menu_graph(invalid="fallback", no_input="silent"))
    to_menu(s)
    s.feed(NoInput())
    s.feed(NoInput())

    assert s.feed(NoInput()) == Callback("silent", 7)


def test_retries_count_wrong_keys_and_silences_together():
    s = session(menu_graph(invalid="fallback", no_input="silent"))
    to_menu(s)
    s.feed(NoInput())
    s.feed(Digits("9"))

    assert s.feed(NoInput()) == Callback("silent", 7)


def test_a_missing_fallback_uses_the_other_one():
    s = session(menu_graph(invalid="fallback", retries=0))
    to_menu(s)

    assert s.feed(NoInput()) == Voicemail("fallback", 7)


def test_a_menu_without_fallbacks_hangs_up_after_the_retries():
    s = session(menu_graph(retries=1))
    to_menu(s)
    s.feed(Digits("5"))

    action = s.feed(Digits("5"))

    assert action == Hangup("menu", "max_retries")
    assert s.done


def test_re_entering_a_menu_resets_its_retries():
    graph = menu_graph(retries=1)
    graph["nodes"]["menu"]["options"]["9"] = "welcome"
    s = session(graph)
    to_menu(s)
    s.feed(Digits("5"))  # one retry used
    s.feed(Digits("9"))  # back to the welcome prompt
    s.feed(PlayDone())

    assert isinstance(s.feed(Digits("5")), Gather)


# --- gather, transfer, hangup ------------------------------------------------------------------------


def test_gather_stores_the_digits_in_its_variable():
    s = session(menu_graph())
    to_menu(s)
    assert s.feed(Digits("2")) == Gather("account", "Account?", 6, 5, [])

    action = s.feed(Digits("123456"))

    assert action == ToQueue("sales", 7, "survey")
    assert s.variables == {"account": "123456"}
    assert s.path[-2] == {"node": "account", "type": "gather", "input": "123456", "outcome": "stored"}


def test_gather_keeps_at_most_max_digits():
    s = session(menu_graph())
    to_menu(s)
    s.feed(Digits("2"))
    s.feed(Digits("1234567890"))

    assert s.variables["account"] == "123456"


def test_gather_without_input_stores_nothing_and_moves_on():
    s = session(menu_graph())
    to_menu(s)
    s.feed(Digits("2"))

    assert s.feed(NoInput()) == ToQueue("sales", 7, "survey")
    assert s.variables == {"account": ""}
    assert s.path[-2]["outcome"] == "no_input"


def test_transfer_to_a_number():
    s = session({"start": "out", "nodes": {"out": {"type": "transfer", "number": "10086"}}})

    assert s.start() == Transfer("out", "10086", None)
    assert s.done


def test_a_hangup_node_ends_the_call():
    s = session({"start": "bye", "nodes": {"bye": {"type": "hangup"}}})

    assert s.start() == Hangup("bye", "ivr_end")


def test_a_queue_that_no_longer_exists_hangs_up_as_unavailable():
    s = session(menu_graph(), queues={8})
    to_menu(s)

    assert s.feed(Digits("1")) == Hangup("sales", "unavailable")


def test_feeding_a_finished_session_is_refused():
    s = session({"start": "bye", "nodes": {"bye": {"type": "hangup"}}})
    s.start()

    with pytest.raises(IvrSessionError):
        s.feed(Digits("1"))


def test_starting_twice_is_refused():
    s = session(menu_graph())
    s.start()

    with pytest.raises(IvrSessionError):
        s.start()


def test_a_graph_it_cannot_follow_hangs_up_with_an_error():
    s = session({"start": "nowhere", "nodes": {}})

    assert s.start() == Hangup("nowhere", "error")


def test_actions_serialise_with_their_type():
    assert action_dict(ToQueue("sales", 7, "survey")) == {
        "type": "queue",
        "node": "sales",
        "queue_id": 7,
        "after_call_node": "survey",
    }


# --- the survey after the call -----------------------------------------------------------------------


def queued_for_survey():
    s = session(menu_graph())
    to_menu(s)
    s.feed(Digits("1"))
    return s


def test_after_the_agent_leaves_the_survey_asks_for_a_score():
    s = queued_for_survey()

    action = s.after_call()

    assert action == Survey("survey", "Rate us 1-5", 5)
    assert not s.done


def test_a_survey_key_from_1_to_5_is_the_score():
    s = queued_for_survey()
    s.after_call()

    action = s.feed(Digits("4"))

    assert action == Hangup("survey", "ivr_end")
    assert s.survey_score == 4
    assert s.path[-1] == {"node": "survey", "type": "survey", "input": "4", "outcome": "score"}


@pytest.mark.parametrize("received", [Digits("9"), Digits("0"), NoInput()])
def test_a_survey_without_a_valid_key_stores_no_score(received):
    s = queued_for_survey()
    s.after_call()
    s.feed(received)

    assert s.survey_score is None
    assert s.path[-1]["outcome"] == "no_score"


def test_a_survey_moves_on_to_its_next_node():
    graph = {
        "start": "survey",
        "nodes": {
            "survey": {"type": "survey", "prompt": "Rate", "next": "thanks"},
            "thanks": {"type": "play", "prompt": "Thanks", "next": "bye"},
            "bye": {"type": "hangup"},
        },
    }
    s = session(graph)
    s.start()

    assert s.feed(Digits("5")) == Play("thanks", "Thanks")
    assert s.survey_score == 5


def test_after_call_without_an_after_call_node_hangs_up():
    s = session(menu_graph())
    to_menu(s)
    s.feed(Digits("0"))

    assert s.after_call() == Hangup("agent", "ivr_end")


def test_after_call_is_only_for_queued_calls():
    s = session(menu_graph())
    s.start()

    with pytest.raises(IvrSessionError):
        s.after_call()


# --- opening hours -----------------------------------------------------------------------------------


def hours_graph(holiday=True):
    nodes = {
        "hours": {"type": "hours", "business_hours": 3, "open": "sales", "closed": "closed"},
        "sales": {"type": "queue", "queue": 7},
        "closed": {"type": "voicemail"},
        "holiday": {"type": "hangup"},
    }
    if holiday:
        nodes["hours"]["holiday"] = "holiday"
    return {"start": "hours", "nodes": nodes}


def first_action(at, hours=OFFICE, holiday=True):
    return session(hours_graph(holiday), at=at, hours=hours).start()


def test_within_weekly_hours_the_open_branch_is_taken():
    s = session(hours_graph(), at=THURSDAY_NOON)

    assert s.start() == ToQueue("sales", 7)
    assert s.path[0] == {"node": "hours", "type": "hours", "outcome": "open"}


def test_after_hours_the_closed_branch_is_taken():
    assert first_action(dt.datetime(2025, 10, 9, 18, 0, tzinfo=SHANGHAI)) == Voicemail("closed")


def test_on_a_weekend_the_closed_branch_is_taken():
    assert first_action(dt.datetime(2025, 9, 27, 10, 0, tzinfo=SHANGHAI)) == Voicemail("closed")


def test_national_day_is_a_holiday():
    day = dt.date(2025, 10, 1)
    assert chinese_calendar.is_holiday(day)
    assert day.weekday() == 2  # a Wednesday: open by the weekly hours

    assert first_action(dt.datetime(2025, 10, 1, 10, 0, tzinfo=SHANGHAI)) == Hangup("holiday", "ivr_end")


def test_a_holiday_without_a_holiday_branch_takes_the_closed_one():
    at = dt.datetime(2025, 10, 1, 10, 0, tzinfo=SHANGHAI)

    assert first_action(at, holiday=False) == Voicemail("closed")


def test_a_make_up_workday_is_open():
    day = dt.date(2025, 9, 28)
    assert chinese_calendar.is_workday(day)
    assert day.weekday() == 6  # a Sunday worked for National Day (调休)

    assert first_action(dt.datetime(2025, 9, 28, 10, 0, tzinfo=SHANGHAI)) == ToQueue("sales", 7)


def test_a_make_up_workday_uses_its_own_hours():
    hours = HoursSpec(weekly=OFFICE.weekly, makeup_day_hours=[["13:00", "17:00"]])

    assert first_action(dt.datetime(2025, 9, 28, 10, 0, tzinfo=SHANGHAI), hours) == Voicemail("closed")
    assert first_action(dt.datetime(2025, 9, 28, 14, 0, tzinfo=SHANGHAI), hours) == ToQueue("sales", 7)


def test_holidays_are_ignored_when_the_hours_do_not_follow_them():
    hours = HoursSpec(weekly=OFFICE.weekly, follow_chinese_holidays=False)

    assert first_action(dt.datetime(2025, 10, 1, 10, 0, tzinfo=SHANGHAI), hours) == ToQueue("sales", 7)
    assert first_action(dt.datetime(2025, 9, 28, 10, 0, tzinfo=SHANGHAI), hours) == Voicemail("closed")


def test_a_closing_override_is_a_holiday():
    hours = HoursSpec(weekly=OFFICE.weekly, overrides={dt.date(2025, 10, 9): OverrideSpec(is_open=False, name="Party")})

    assert first_action(THURSDAY_NOON, hours) == Hangup("holiday", "ivr_end")


def test_an_opening_override_opens_a_saturday():
    hours = HoursSpec(
        weekly=OFFICE.weekly,
        overrides={dt.date(2025, 9, 27): OverrideSpec(is_open=True, open_hours=[["10:00", "12:00"]])},
    )

    assert first_action(dt.datetime(2025, 9, 27, 11, 0, tzinfo=SHANGHAI), hours) == ToQueue("sales", 7)
    assert first_action(dt.datetime(2025, 9, 27, 12, 0, tzinfo=SHANGHAI), hours) == Voicemail("closed")


def test_hours_are_read_in_their_own_time_zone():
    # 02:00 UTC is 10:00 in Shanghai.
    at = dt.datetime(2025, 10, 9, 2, 0, tzinfo=dt.UTC)

    assert first_action(at) == ToQueue("sales", 7)


def test_missing_business_hours_take_the_closed_branch():
    graph = hours_graph()
    graph["nodes"]["hours"]["business_hours"] = 4

    assert session(graph).start() == Voicemail("closed")


def test_the_default_flow_welcomes_callers_on_a_workday():
    s = session(default_graph(company="Acme", queue_id=7, hours_id=3))
    assert s.start().node == "welcome"
    assert s.feed(PlayDone()).node == "menu"

    assert s.feed(Digits("0")) == ToQueue("agent", 7, "survey")
    assert s.reached_agent_request


def test_the_default_flow_sends_holiday_callers_to_voicemail():
    s = session(default_graph(company="Acme", queue_id=7, hours_id=3), at=dt.datetime(2025, 10, 1, 10, tzinfo=SHANGHAI))

    assert s.start().node == "holiday"
    assert s.feed(PlayDone()) == Voicemail(
        "voicemail",
        7,
        "请在提示音后留言，我们会尽快回复您。",
    )
