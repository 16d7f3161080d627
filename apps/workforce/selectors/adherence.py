"""Adherence reads: per shift, agent and team over a period, and live (for the wallboard).

The schedule is the *published* roster (drafts promise nothing); the states come from
``apps.telephony.selectors.agent_states`` (``AgentStateEvent`` rows and each agent's current
state). The rules are apps/workforce/adherence.py.

Pause reasons map to activities by code: :data:`apps.workforce.adherence.DEFAULT_PAUSE_ACTIVITIES`
merged with ``settings.WORKFORCE_STAFFING["pause_activities"]`` (no model holds the mapping yet).
``adherence_grace_seconds`` (60) is how long a mismatch may last before the wallboard flags it;
``conformance_margin_minutes`` (60) how far around a shift on-queue time still counts for
conformance (an agent who starts an hour early and leaves an hour early conforms).
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from apps.accounts.models import User
from apps.telephony.selectors.agent_states import agents_of_users, current_states, state_timelines
from apps.workforce import adherence as rules
from apps.workforce.choices import ShiftStatus
from apps.workforce.models import Shift, WorkforceProfile
from apps.workforce.selectors.people import scope_user_ids
from apps.workforce.selectors.policy import tenant_zone
from apps.workforce.selectors.staffing import staffing_settings

DEFAULTS = {"adherence_grace_seconds": 60, "conformance_margin_minutes": 60}


def adherence_settings() -> dict[str, Any]:
    config = {**DEFAULTS, **staffing_settings()}
    config["pause_activities"] = {**rules.DEFAULT_PAUSE_ACTIVITIES, **config.get("pause_activities", {})}
    return config


def _scheduled(shift: Shift) -> list[rules.Stretch]:
    return rules.scheduled_stretches(
        start=shift.start,
        end=shift.end,
        break_minutes=shift.break_minutes,
        activities=[(a.start, a.end, a.kind) for a in shift.activities.all()],
    )


def _slice(
    timeline: tuple[rules.StateChange | None, list[rules.StateChange]],
    since: dt.datetime,
    until: dt.datetime,
    pause_activities: dict[str, str],
) -> list[rules.Stretch]:
    """The agent's activities over [since, until) from a longer timeline (bisect, no query)."""
    initial, changes = timeline
    times = [change.at for change in changes]
    first = bisect.bisect_right(times, since)
    if first > 0:
        initial = changes[first - 1]
    last = bisect.bisect_left(times, until)
    return rules.actual_stretches(
        changes[first:last], since=since, until=until, initial=initial, pause_activities=pause_activities
    )


@dataclass
class AgentAdherence:
    user_id: int
    name: str
    email: str
    team: str
    shifts: int
    figures: rules.AdherenceFigures

    def row(self) -> dict[str, Any]:
        adherence, conformance = self.figures.adherence, self.figures.conformance
        return {
            "user_id": self.user_id,
            "user": self.name,
            "email": self.email,
            "team": self.team,
            "shifts": self.shifts,
            "scheduled_minutes": round(self.figures.scheduled_seconds / 60, 1),
            "adherent_minutes": round(self.figures.adherent_seconds / 60, 1),
            "adherence_percent": None if adherence is None else round(adherence * 100, 1),
            "conformance_percent": None if conformance is None else round(conformance * 100, 1),
        }


def adherence_by_agent(
    *, since: dt.date, until: dt.date, user_ids: set[int] | None = None, viewer: User | None = None
) -> list[AgentAdherence]:
    """Published shifts dated ``since`` ≤ date < ``until``; one entry per person with a shift,
    by name. ``viewer`` limits the people to those they may see (supervisors: their teams)."""
    config = adherence_settings()
    pauses = config["pause_activities"]
    margin = dt.timedelta(minutes=int(config["conformance_margin_minutes"]))
    shifts = Shift.objects.filter(date__gte=since, date__lt=until, status=ShiftStatus.PUBLISHED)
    scope = scope_user_ids(viewer) if viewer is not None else None
    if scope is not None:
        user_ids = scope if user_ids is None else user_ids & scope
    if user_ids is not None:
        shifts = shifts.filter(user_id__in=list(user_ids))
    shift_list = list(shifts.select_related("user").prefetch_related("activities").order_by("user_id", "start"))
    if not shift_list:
        return []
    agents = agents_of_users(sorted({shift.user_id for shift in shift_list}))
    window_start = min(shift.start for shift in shift_list) - margin
    window_end = max(shift.end for shift in shift_list) + margin
    raw = state_timelines(agent_ids=list(agents.values()), since=window_start, until=window_end)
    timelines = {
        agent_id: (
            rules.StateChange(*initial) if initial else None,
            [rules.StateChange(*change) for change in changes],
        )
        for agent_id, (initial, changes) in raw.items()
    }
    teams = dict(
        WorkforceProfile.objects.filter(user_id__in=list(agents) or [0], team__isnull=False).values_list(
            "user_id", "team__name"
        )
    )
    per_user: dict[int, AgentAdherence] = {}
    for shift in shift_list:
        timeline = timelines.get(agents.get(shift.user_id, -1), (None, []))
        scheduled = _scheduled(shift)
        during = _slice(timeline, shift.start, shift.end, pauses)
        around = _slice(timeline, shift.start - margin, shift.end + margin, pauses)
        result = rules.figures(scheduled, during)
        on_queue_around = sum(s.seconds for s in around if s.activity == rules.ActivityKind.ON_QUEUE)
        result = rules.AdherenceFigures(
            result.scheduled_seconds, result.adherent_seconds, result.scheduled_on_queue_seconds, on_queue_around
        )
        entry = per_user.get(shift.user_id)
        if entry is None:
            user = shift.user
            entry = per_user[shift.user_id] = AgentAdherence(
                shift.user_id,
                user.get_full_name() or user.email,
                user.email,
                teams.get(shift.user_id, ""),
                0,
                rules.ZERO,
            )
        entry.shifts += 1
        entry.figures = entry.figures + result
    return sorted(per_user.values(), key=lambda entry: (entry.name.lower(), entry.user_id))


def adherence_by_team(entries: list[AgentAdherence]) -> list[dict[str, Any]]:
    """Team totals (minutes summed, so a team's % weighs each person by scheduled time)."""
    teams: dict[str, rules.AdherenceFigures] = defaultdict(lambda: rules.ZERO)
    people: dict[str, int] = defaultdict(int)
    for entry in entries:
        teams[entry.team] = teams[entry.team] + entry.figures
        people[entry.team] += 1
    rows = []
    for team in sorted(teams, key=lambda name: (name == "", name.lower())):
        total = teams[team]
        rows.append(
            {
                "team": team,
                "people": people[team],
                "scheduled_minutes": round(total.scheduled_seconds / 60, 1),
                "adherent_minutes": round(total.adherent_seconds / 60, 1),
                "adherence_percent": None if total.adherence is None else round(total.adherence * 100, 1),
                "conformance_percent": None if total.conformance is None else round(total.conformance * 100, 1),
            }
        )
    return rows


def live_adherence(now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """Every agent on a published shift now: ``{agent_id, user_id, scheduled, actual,
    out_of_adherence, since}`` (``since``: ISO time the mismatch began, or None). Two or three
    queries, for the periodic wallboard beat."""
    now = now or timezone.now()
    config = adherence_settings()
    shifts = list(
        Shift.objects.filter(status=ShiftStatus.PUBLISHED, start__lte=now, end__gt=now).prefetch_related("activities")
    )
    if not shifts:
        return []
    agents = agents_of_users([shift.user_id for shift in shifts])
    states = current_states(list(agents.values()))
    rows = []
    for shift in sorted(shifts, key=lambda s: s.user_id):
        agent_id = agents.get(shift.user_id)
        if agent_id is None or agent_id not in states:
            continue
        since, state, reason = states[agent_id]
        status = rules.current_status(
            now=now,
            scheduled=_scheduled(shift),
            state=rules.StateChange(since, state, reason),
            grace_seconds=float(config["adherence_grace_seconds"]),
            pause_activities=config["pause_activities"],
        )
        rows.append(
            {
                "agent_id": agent_id,
                "user_id": shift.user_id,
                "scheduled": str(status.scheduled) if status.scheduled else None,
                "actual": str(status.actual),
                "out_of_adherence": status.out_of_adherence,
                "since": iso_ms(status.since) if status.since else None,
            }
        )
    return rows


def iso_ms(moment: dt.datetime) -> str:
    """UTC with milliseconds and a Z, like every realtime timestamp (docs/realtime.md)."""
    return moment.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def local_day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    zone = tenant_zone()
    start = dt.datetime.combine(day, dt.time.min, tzinfo=zone)
    return start, start + dt.timedelta(days=1)
