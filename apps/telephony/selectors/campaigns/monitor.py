"""The campaign monitor's figures, computed from the database.

The engine publishes ``campaign.stats`` on the wallboard group every tick (docs/realtime.md), but
only while it runs the campaign, and its counters start at zero with each engine process. The
monitor page therefore draws its first screen from :func:`campaign_monitor_snapshot` and polls it
again when no live message arrives; static/js/campaign_monitor.js adds the engine's increments to
these database counts, so the two sources never show two definitions of one figure.

Definitions (docs/campaigns.md, "Running a campaign"):

* a *dial* is a ``DialAttempt`` (blocked dials are not attempts), counted when it started;
  dials per minute are those of the last :data:`RATE_WINDOW_MINUTES` minutes;
* a *live answer* is an attempt whose outcome is ``answered`` or ``abandoned``; the abandon
  rate is abandoned ÷ live answers, *today* (since midnight in the company's time zone) and over
  the campaign's window (``abandon_window_days``, 30 by default) — the legal figure;
* *agents* are those who can take the campaign's calls: every skill the campaign's queue
  requires at its minimum level, as the ACD and the dialer decide;
* *lines in flight* are the campaign's calls still up with no agent on them (ringing, the
  answering-machine detector listening, or a live answer waiting); the *dial level* is lines in
  flight per agent at work (Ready, ringing, talking, on hold or in wrap-up).
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db import connection
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from apps.telephony import kpis
from apps.telephony.choices import AgentState, CallStatus, DialOutcome
from apps.telephony.models import Agent, AgentSkill, Call, CallEvent, Campaign, DialAttempt, QueueSkill
from apps.telephony.selectors.campaigns.dialing import LIVE_OUTCOMES, contact_counts
from apps.telephony.selectors.wallboard import today_start
from apps.telephony.services.agent_state import iso_ms

RATE_WINDOW_MINUTES = 5
#: Agents counted for the dial level: logged in and not paused.
WORKING_STATES = (AgentState.READY, AgentState.RESERVED, AgentState.TALKING, AgentState.HOLD, AgentState.WRAP_UP)
#: The CDR event the engine writes when it dials for a campaign (engine/dbstore/calls.py ``call_arrived``).
CAMPAIGN_DIAL_EVENT = "campaign_dial"


def _rate(abandoned: int, live: int) -> float | None:
    return kpis.rounded(kpis.outbound_abandon_rate(abandoned, live), 4)


def campaign_agents(campaign: Campaign) -> QuerySet[Agent]:
    """Agents qualified for the campaign's queue: every required skill at its minimum level."""
    agents = Agent.objects.all()
    for skill_id, level in QueueSkill.objects.filter(queue_id=campaign.queue_id).values_list("skill_id", "min_level"):
        agents = agents.filter(
            Exists(AgentSkill.objects.filter(agent=OuterRef("pk"), skill_id=skill_id, level__gte=level))
        )
    return agents


def campaign_calls_up(campaign: Campaign) -> QuerySet[Call]:
    """The campaign's calls that have not ended (their CDR carries the engine's ``campaign_dial`` event)."""
    dialled = CallEvent.objects.filter(call=OuterRef("pk"), kind=CAMPAIGN_DIAL_EVENT, data__campaign_id=campaign.pk)
    return Call.objects.exclude(status=CallStatus.ENDED).filter(Exists(dialled))


def campaign_monitor_snapshot(campaign: Campaign, now: datetime.datetime | None = None) -> dict[str, Any]:
    """Every figure of the monitor at ``now`` (default: the present), from the database alone."""
    now = now or timezone.now()
    today = today_start(getattr(connection, "tenant", None), now)
    window_since = now - datetime.timedelta(days=campaign.abandon_window_days)
    recent_since = now - datetime.timedelta(minutes=RATE_WINDOW_MINUTES)
    live = Q(outcome__in=LIVE_OUTCOMES)
    abandoned = Q(outcome=DialOutcome.ABANDONED)
    is_today = Q(started_at__gte=today)
    # The same bounds as selectors.campaigns.abandon_history, which the engine loads at start.
    in_window = Q(started_at__gte=window_since)
    counts = DialAttempt.objects.filter(campaign=campaign, started_at__lte=now).aggregate(
        dials_recent=Count("id", filter=Q(started_at__gt=recent_since)),
        dials_today=Count("id", filter=is_today),
        live_today=Count("id", filter=is_today & live),
        abandoned_today=Count("id", filter=is_today & abandoned),
        live_window=Count("id", filter=in_window & live),
        abandoned_window=Count("id", filter=in_window & abandoned),
    )
    agent_states = dict(campaign_agents(campaign).values_list("pk", "state"))
    by_state = dict.fromkeys(AgentState.values, 0)
    for state in agent_states.values():
        by_state[state] = by_state.get(state, 0) + 1
    at_work = sum(by_state[state] for state in WORKING_STATES)
    calls = campaign_calls_up(campaign).aggregate(
        in_flight=Count("id", filter=Q(agent__isnull=True)),
        connected=Count("id", filter=Q(agent__isnull=False)),
    )
    return {
        "campaign_id": campaign.pk,
        "status": campaign.status,
        "mode": campaign.dial_mode,
        "at": iso_ms(now),
        "dials_per_minute": round(counts["dials_recent"] / RATE_WINDOW_MINUTES, 2),
        "rate_window_minutes": RATE_WINDOW_MINUTES,
        "dials_today": counts["dials_today"],
        "live_answers_today": counts["live_today"],
        "abandoned_today": counts["abandoned_today"],
        "abandon_rate_today": _rate(counts["abandoned_today"], counts["live_today"]),
        "live_answers_window": counts["live_window"],
        "abandoned_window": counts["abandoned_window"],
        "abandon_rate_window": _rate(counts["abandoned_window"], counts["live_window"]),
        "abandon_window_days": campaign.abandon_window_days,
        "max_abandon_rate": float(campaign.max_abandon_rate),
        "agents": by_state,
        "agent_states": {str(agent_id): state for agent_id, state in agent_states.items()},
        "agents_at_work": at_work,
        "contacts": contact_counts(campaign.pk),
        "lines_in_flight": calls["in_flight"],
        "connected": calls["connected"],
        "dial_level": round(calls["in_flight"] / at_work, 2) if at_work else 0.0,
    }
