"""The campaign monitor's figures, computed from the database.

The engine publishes ``campaign.stats`` on the wallboard group every tick (docs/realtime.md), but
only while it runs the campaign, and its counters start at zero with each engine process. The
monitor page therefore draws its first screen from :func:`campaign_monitor_snapshot` and polls it
again when no live message arrives; static/js/campaign_monitor.js adds the engine's increments to
these database counts, so the two sources never show two definitions of one figure.

Every figure is defined once, in :data:`FIGURES` (label and definition): the page shows the
definition as the figure's tooltip, docs/campaigns.md ("The monitor's figures") repeats it, and
tests/telephony/test_campaign_figures.py holds the figures to it against the database.

A *dial* is an attempt that was dialled and has ended (``DIALLED_OUTCOMES``): not one still open
(a prefetched contact may yet be handed back) and not one handed back undialled (``returned``).
Attempt rows are never deleted and an outcome never reopens, so dials, live answers, abandons and
attempted contacts only grow — the engine's ``campaign.stats`` counts the same events as they end,
and static/js/campaign_monitor.js adds its increments to these database counts. A live answer
still in progress (a contact waiting for, or talking to, an agent) is counted at once, so that
live answers are never fewer than the calls talking now.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db import connection
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from apps.telephony import kpis
from apps.telephony.choices import AgentState, CallStatus, DialOutcome
from apps.telephony.models import Agent, AgentSkill, Call, CallEvent, Campaign, DialAttempt, QueueSkill
from apps.telephony.selectors.campaigns.dialing import LIVE_OUTCOMES, contact_counts, dialled_q
from apps.telephony.selectors.wallboard import today_start
from apps.telephony.services.agent_state import iso_ms

RATE_WINDOW_MINUTES = 5
#: Agents counted for the dial level: logged in and not paused.
WORKING_STATES = (AgentState.READY, AgentState.RESERVED, AgentState.TALKING, AgentState.HOLD, AgentState.WRAP_UP)
#: The CDR event the engine writes when it dials for a campaign (engine/dbstore/calls.py ``call_arrived``).
CAMPAIGN_DIAL_EVENT = "campaign_dial"
#: A campaign call answered by a person: waiting for an agent, offered, talking, on hold, or in
#: wrap-up before the engine's report of the answer has landed.
LIVE_CALL_STATUSES = (CallStatus.QUEUED, CallStatus.OFFERED, CallStatus.TALKING, CallStatus.HOLD, CallStatus.WRAP_UP)
#: The contact and an agent are talking (or the agent holds them).
TALKING_CALL_STATUSES = (CallStatus.TALKING, CallStatus.HOLD)

#: The campaign figures: ``{snapshot key: (label, definition)}``, the one place they are defined
#: (``dial_attempts`` is the campaign page's; every other key is one of the monitor snapshot's).
FIGURES: dict[str, tuple[Promise, Promise]] = {
    "dials_per_minute": (
        _("Dials per minute"),
        _("Dials that ended in the last 5 minutes, divided by 5."),
    ),
    "dials_today": (
        _("Dialled today"),
        _(
            "Dial attempts started today that have ended: answered, abandoned, busy, no answer, "
            "answering machine or failed. A call still ringing counts when it ends; a contact handed "
            "back undialled never counts. Never goes down during the day."
        ),
    ),
    "live_answers_today": (
        _("Live answers today"),
        _(
            "Calls dialled today that a person answered: those connected to an agent, those abandoned "
            "(no agent within 2 s) and those waiting for or talking to an agent now. Never fewer than "
            "the calls talking now."
        ),
    ),
    "connected": (
        _("Talking to an agent now"),
        _("The campaign's calls on which a contact and an agent are talking or on hold right now."),
    ),
    "abandon_rate_today": (
        _("Abandon rate today"),
        _("Abandoned calls today divided by live answers today."),
    ),
    "abandoned_today": (
        _("Abandoned"),
        _("Live answers today that no agent took within 2 seconds: the abandon message played."),
    ),
    "abandon_rate_window": (
        _("Abandon rate over the window"),
        _(
            "Abandoned calls divided by live answers over the campaign's abandon window (30 days "
            "unless set otherwise): the figure the legal limit applies to."
        ),
    ),
    "dial_level": (
        _("Dial level (lines per agent)"),
        _("Lines in flight divided by the agents at work (Ready, ringing, talking, on hold or in wrap-up)."),
    ),
    "lines_in_flight": (
        _("Lines in flight"),
        _(
            "The campaign's calls still up with no agent on them: ringing, being screened for a machine, or a live answer waiting."
        ),
    ),
    "contacts.remaining": (
        _("Remaining"),
        _("Contacts not finished yet: new, due for a retry, scheduled for a callback, or being dialled."),
    ),
    "contacts.attempted": (
        _("Attempted"),
        _("Contacts dialled at least once (an attempt that has ended). Never more than the dial attempts."),
    ),
    "contacts.finished": (
        _("Finished"),
        _("Contacts closed: done, on the do-not-call list, or with an invalid number."),
    ),
    "dial_attempts": (
        _("Dial attempts"),
        _(
            "Every attempt of the campaign that was dialled and has ended, since it started (the "
            "campaign's page). Contacts handed back undialled are kept on record but not counted."
        ),
    ),
    "agents_at_work": (
        _("At work"),
        _("Agents who can take the campaign's calls and are Ready, ringing, talking, on hold or in wrap-up."),
    ),
}


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
    dialled = dialled_q()
    counts = DialAttempt.objects.filter(dialled, campaign=campaign, started_at__lte=now).aggregate(
        dials_recent=Count("id", filter=Q(ended_at__gt=recent_since)),
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
    # A live answer in progress has no ended attempt yet (the report names its call when it ends).
    ended = Exists(DialAttempt.objects.filter(dialled, call_uid=OuterRef("uid")))
    live_now = Q(status__in=LIVE_CALL_STATUSES) & ~Q(ended)
    calls = campaign_calls_up(campaign).aggregate(
        in_flight=Count("id", filter=Q(agent__isnull=True)),
        connected=Count("id", filter=Q(agent__isnull=False, status__in=TALKING_CALL_STATUSES)),
        live_now_today=Count("id", filter=live_now & Q(arrived_at__gte=today)),
        live_now=Count("id", filter=live_now),
    )
    in_flight = calls["in_flight"]
    live_today = counts["live_today"] + calls["live_now_today"]
    live_window = counts["live_window"] + calls["live_now"]
    return {
        "campaign_id": campaign.pk,
        "status": campaign.status,
        "mode": campaign.dial_mode,
        "at": iso_ms(now),
        "dials_per_minute": round(counts["dials_recent"] / RATE_WINDOW_MINUTES, 2),
        "rate_window_minutes": RATE_WINDOW_MINUTES,
        "today": iso_ms(today),
        "dials_today": counts["dials_today"],
        "live_answers_today": live_today,
        "live_answers_now": calls["live_now"],
        "abandoned_today": counts["abandoned_today"],
        "abandon_rate_today": _rate(counts["abandoned_today"], live_today),
        "live_answers_window": live_window,
        "abandoned_window": counts["abandoned_window"],
        "abandon_rate_window": _rate(counts["abandoned_window"], live_window),
        "abandon_window_days": campaign.abandon_window_days,
        "max_abandon_rate": float(campaign.max_abandon_rate),
        "agents": by_state,
        "agent_states": {str(agent_id): state for agent_id, state in agent_states.items()},
        "agents_at_work": at_work,
        "contacts": contact_counts(campaign.pk),
        "lines_in_flight": in_flight,
        "connected": calls["connected"],
        "dial_level": round(in_flight / at_work, 2) if at_work else 0.0,
    }
