"""Adherence and conformance from synthetic agent-state events against a published shift,
per agent and team, the pause-reason mapping, the live (wallboard) flag and who sees what.

Ann's published shift on Monday 3 March 2025 (Asia/Shanghai) runs 09:00–17:00 with a meal
12:00–13:00. Her states: Ready 08:55, Lunch 12:05, Ready 13:00, Break 15:00, Ready 15:30,
Offline 16:30. Scheduled 480 min; in the scheduled activity: 09:00–12:00 (180), 12:05–13:00
(55), 13:00–15:00 (120), 15:30–16:30 (60) = 415 → adherence 86.5%. On queue 08:55–12:05 (190),
13:00–15:00 (120), 15:30–16:30 (60) = 370 of 420 scheduled on queue → conformance 88.1%.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import jsonschema
import pytest
from django.conf import settings
from django.test import override_settings
from django_tenants.utils import tenant_context

from apps.accounts.choices import Role
from apps.accounts.models import Team
from apps.core import events
from apps.telephony.models import AgentStateEvent, PauseReason
from apps.telephony.realtime_schema import schema_for
from apps.workforce import adherence as rules
from apps.workforce.choices import ActivityKind, ShiftStatus
from apps.workforce.models import Shift, ShiftActivity, ShiftType, WorkforceProfile
from apps.workforce.selectors import adherence as selectors
from apps.workforce.services.adherence import adherence_publish_live
from tests.factories import AgentFactory, UserFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY = dt.date(2025, 3, 3)


def at(hour: int, minute: int = 0, day: dt.date = DAY) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=SHANGHAI)


# --- plain rules -----------------------------------------------------------------------------------


def test_states_map_to_activities_by_pause_reason():
    pauses = rules.DEFAULT_PAUSE_ACTIVITIES
    assert rules.activity_of("talking", None, pauses) == ActivityKind.ON_QUEUE
    assert rules.activity_of("wrap_up", None, pauses) == ActivityKind.ON_QUEUE
    assert rules.activity_of("not_ready", "lunch", pauses) == ActivityKind.MEAL
    assert rules.activity_of("not_ready", "break", pauses) == ActivityKind.BREAK
    assert rules.activity_of("not_ready", "missed", pauses) == rules.OTHER
    assert rules.activity_of("offline", None, pauses) == rules.OTHER
    assert rules.activity_of("not_ready", "huddle", {**pauses, "huddle": ActivityKind.MEETING}) == ActivityKind.MEETING


def test_a_shift_without_activities_has_its_break_mid_shift():
    stretches = rules.scheduled_stretches(start=at(9), end=at(17), break_minutes=60, activities=[])
    assert [(s.start, s.end, s.activity) for s in stretches] == [
        (at(9), at(12, 30), ActivityKind.ON_QUEUE),
        (at(12, 30), at(13, 30), ActivityKind.BREAK),
        (at(13, 30), at(17), ActivityKind.ON_QUEUE),
    ]


def _ann_changes() -> list[rules.StateChange]:
    return [
        rules.StateChange(at(8, 55), "ready"),
        rules.StateChange(at(12, 5), "not_ready", "lunch"),
        rules.StateChange(at(13), "ready"),
        rules.StateChange(at(15), "not_ready", "break"),
        rules.StateChange(at(15, 30), "ready"),
        rules.StateChange(at(16, 30), "offline"),
    ]


def test_adherence_counts_minutes_in_the_scheduled_activity():
    scheduled = rules.scheduled_stretches(
        start=at(9), end=at(17), break_minutes=60, activities=[(at(12), at(13), ActivityKind.MEAL)]
    )
    actual = rules.actual_stretches(
        _ann_changes(), since=at(9), until=at(17), initial=None, pause_activities=rules.DEFAULT_PAUSE_ACTIVITIES
    )
    result = rules.figures(scheduled, actual)
    assert result.scheduled_seconds == 480 * 60
    assert result.adherent_seconds == 415 * 60
    assert result.adherence == pytest.approx(415 / 480)


def test_the_real_time_flag_waits_for_the_grace_period():
    scheduled = rules.scheduled_stretches(start=at(9), end=at(17), break_minutes=0, activities=[])
    on_break = rules.StateChange(at(15), "not_ready", "break")
    pauses = rules.DEFAULT_PAUSE_ACTIVITIES
    early = rules.current_status(
        now=at(15) + dt.timedelta(seconds=30),
        scheduled=scheduled,
        state=on_break,
        grace_seconds=60,
        pause_activities=pauses,
    )
    late = rules.current_status(
        now=at(15, 2), scheduled=scheduled, state=on_break, grace_seconds=60, pause_activities=pauses
    )
    assert not early.out_of_adherence
    assert late.out_of_adherence and late.since == at(15)
    assert (late.scheduled, late.actual) == (ActivityKind.ON_QUEUE, ActivityKind.BREAK)
    off_shift = rules.current_status(
        now=at(18), scheduled=scheduled, state=on_break, grace_seconds=60, pause_activities=pauses
    )
    assert off_shift.scheduled is None and not off_shift.out_of_adherence


def test_a_mismatch_starts_at_the_schedule_boundary_when_the_state_is_older():
    scheduled = rules.scheduled_stretches(
        start=at(9), end=at(17), break_minutes=0, activities=[(at(12), at(13), ActivityKind.MEAL)]
    )
    ready_since_morning = rules.StateChange(at(9), "ready")
    status = rules.current_status(
        now=at(12, 3),
        scheduled=scheduled,
        state=ready_since_morning,
        grace_seconds=60,
        pause_activities=rules.DEFAULT_PAUSE_ACTIVITIES,
    )
    assert status.out_of_adherence and status.since == at(12)


# --- selectors on the database ---------------------------------------------------------------------


def _event(agent, when, state, reason_code=None, previous="offline"):
    reason = (
        PauseReason.objects.get_or_create(code=reason_code, defaults={"name": reason_code})[0] if reason_code else None
    )
    return AgentStateEvent.objects.create(agent=agent, at=when, from_state=previous, to_state=state, reason=reason)


@pytest.fixture
def ann_world(acme):
    with tenant_context(acme.tenant):
        day_type = ShiftType.objects.create(code="D", name="Day", start=dt.time(9), end=dt.time(17), break_minutes=60)
        ann = UserFactory(roles=[Role.AGENT], name="Ann")
        bob = UserFactory(roles=[Role.AGENT], name="Bob")
        red = Team.objects.create(name="Red")
        red.members.add(ann)
        WorkforceProfile.objects.create(user=ann, team=red)
        agent = AgentFactory(user=ann)
        AgentFactory(user=bob)
        shift = Shift.objects.create(
            user=ann,
            date=DAY,
            shift_type=day_type,
            start=at(9),
            end=at(17),
            break_minutes=60,
            status=ShiftStatus.PUBLISHED,
        )
        ShiftActivity.objects.create(shift=shift, kind=ActivityKind.MEAL, start=at(12), end=at(13))
        # Bob's shift is a draft: it promises nothing and is not measured.
        Shift.objects.create(user=bob, date=DAY, shift_type=day_type, start=at(9), end=at(17))
        _event(agent, at(8, 55), "ready")
        _event(agent, at(12, 5), "not_ready", "lunch", previous="ready")
        _event(agent, at(13), "ready", previous="not_ready")
        _event(agent, at(15), "not_ready", "break", previous="ready")
        _event(agent, at(15, 30), "ready", previous="not_ready")
        _event(agent, at(16, 30), "offline", previous="ready")
    return {"ann": ann, "bob": bob, "agent": agent, "red": red, "shift": shift}


def test_adherence_by_agent_and_team_from_state_events(acme, ann_world):
    with tenant_context(acme.tenant):
        entries = selectors.adherence_by_agent(since=DAY, until=DAY + dt.timedelta(days=1))
        teams = selectors.adherence_by_team(entries)
    assert [entry.user_id for entry in entries] == [ann_world["ann"].pk]
    row = entries[0].row()
    assert row["scheduled_minutes"] == 480
    assert row["adherent_minutes"] == 415
    assert row["adherence_percent"] == 86.5
    assert row["conformance_percent"] == 88.1
    assert row["team"] == "Red"
    assert teams == [
        {
            "team": "Red",
            "people": 1,
            "scheduled_minutes": 480.0,
            "adherent_minutes": 415.0,
            "adherence_percent": 86.5,
            "conformance_percent": 88.1,
        }
    ]


def test_a_pause_reason_mapped_in_settings_counts_as_its_activity(acme, ann_world):
    # Mapping "break" to a meal: the 15:00 break no longer matches "on queue" either way, but
    # "lunch" mapped to break makes the scheduled meal a miss.
    mapping = {"pause_activities": {"lunch": ActivityKind.BREAK}}
    with override_settings(WORKFORCE_STAFFING=mapping), tenant_context(acme.tenant):
        row = selectors.adherence_by_agent(since=DAY, until=DAY + dt.timedelta(days=1))[0].row()
    assert row["adherent_minutes"] == 415 - 55


def test_live_adherence_flags_an_agent_on_break_during_queue_time(acme, ann_world):
    with tenant_context(acme.tenant):
        agent = ann_world["agent"]
        agent.state, agent.reason, agent.state_since = "not_ready", PauseReason.objects.get(code="break"), at(15)
        agent.save()
        flagged = selectors.live_adherence(now=at(15, 3))
        in_grace = selectors.live_adherence(now=at(15, 0) + dt.timedelta(seconds=20))
        after_shift = selectors.live_adherence(now=at(17, 5))
    assert flagged == [
        {
            "agent_id": agent.pk,
            "user_id": ann_world["ann"].pk,
            "scheduled": "on_queue",
            "actual": "break",
            "out_of_adherence": True,
            "since": "2025-03-03T07:00:00.000Z",
        }
    ]
    assert in_grace[0]["out_of_adherence"] is False
    assert after_shift == []


def test_a_supervisor_sees_only_their_teams(acme, ann_world):
    with tenant_context(acme.tenant):
        lead = UserFactory(roles=[Role.SUPERVISOR])
        blue = Team.objects.create(name="Blue")
        blue.supervisors.add(lead)
        assert selectors.adherence_by_agent(since=DAY, until=DAY + dt.timedelta(days=1), viewer=lead) == []
        ann_world["red"].supervisors.add(lead)
        seen = selectors.adherence_by_agent(since=DAY, until=DAY + dt.timedelta(days=1), viewer=lead)
    assert [entry.user_id for entry in seen] == [ann_world["ann"].pk]


def test_another_tenant_sees_no_adherence(acme, globex, ann_world):
    with tenant_context(globex.tenant):
        assert selectors.adherence_by_agent(since=DAY, until=DAY + dt.timedelta(days=1)) == []
        assert selectors.live_adherence(now=at(15, 3)) == []


# --- the real-time flag on the wallboard --------------------------------------------------------------


def test_live_adherence_is_published_to_the_wallboard_in_its_documented_shape(
    acme, ann_world, monkeypatch, django_capture_on_commit_callbacks
):
    sent: list[tuple[str, str, dict]] = []
    monkeypatch.setattr(
        "apps.core.events.publish", lambda schema, topic, message: sent.append((schema, topic, message))
    )
    with tenant_context(acme.tenant), django_capture_on_commit_callbacks(execute=True):
        agent = ann_world["agent"]
        agent.state, agent.reason, agent.state_since = "not_ready", PauseReason.objects.get(code="break"), at(15)
        agent.save()
        assert adherence_publish_live(now=at(15, 3)) == 1
        # Nobody on shift: one empty message clears the flags, then nothing.
        assert adherence_publish_live(now=at(18)) == 0
        assert adherence_publish_live(now=at(18, 1)) == 0
    assert [(schema, topic) for schema, topic, _message in sent] == [(acme.tenant.schema_name, "wallboard")] * 2
    first, cleared = sent[0][2], sent[1][2]
    jsonschema.validate(events._envelope(first)["event"], schema_for("wallboard", "adherence.update"))
    assert first["agents"][0]["out_of_adherence"] is True
    assert first["agents"][0]["agent_id"] == agent.pk
    assert cleared == {"type": "adherence.update", "agents": []}
    # The beat runs it every 5 s: a flagged agent is highlighted within 5 s of the grace ending.
    entry = settings.CELERY_BEAT_SCHEDULE["workforce-adherence-live"]
    assert entry["task"] == "workforce.adherence_live" and entry["schedule"] <= 5
