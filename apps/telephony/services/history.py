"""A tenant's generated past (``generate_history``): read the tenant, run the engine, write in bulk.

:func:`history_generate` reads the tenant's queues, skills, numbers, IVR flows, pause reasons,
dispositions, campaigns and agents, runs the real controller and ACD on the virtual clock over
the N whole days before today in the tenant's time zone
(:mod:`apps.telephony.engine.simulation.history`), and writes what the engine's database store
would have written — ``Call`` rows, their ``CallEvent`` timelines, ``AgentStateEvent``\\ s,
voicemails and callback requests — with ``bulk_create`` in one transaction.

Marking: generated calls have ``is_simulated=True`` and a uid starting with
:data:`UID_PREFIX`; generated agent state events have ``is_generated=True``. A re-run over days
that already hold generated history **replaces** them (decision 0019): the generated rows of
the range are deleted in the same transaction, so the same days never hold two histories and
live rows are never touched.

After the commit, :data:`apps.telephony.signals.history_written` is sent (sender ``Call``,
``since``, ``until``, ``tenant``) inside the tenant's schema, so that the reports' rollups
can be rebuilt for that period.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tenants.utils import tenant_context
from psycopg.types.json import Jsonb

from apps.accounts.choices import Role
from apps.accounts.models import User
from apps.core.errors import ApplicationError
from apps.telephony import agent_states
from apps.telephony.engine.config import NumberSettings, load_tenant_config
from apps.telephony.engine.simulation.history import (
    CampaignWindow,
    HistoryAgent,
    HistoryPlan,
    run_history,
)
from apps.telephony.engine.simulation.history_store import STATE_CALL, STATE_COLUMNS
from apps.telephony.models import (
    Agent,
    AgentSkill,
    AgentStateEvent,
    Call,
    CallbackRequest,
    CallEvent,
    Campaign,
    Disposition,
    PauseReason,
    Queue,
    QueueSkill,
    Recording,
    Voicemail,
)
from apps.telephony.selectors.campaigns.dialing import campaign_settings
from apps.telephony.services.agent_state import SYSTEM_REASON_NAMES
from apps.telephony.services.history_recordings import history_recordings_write
from apps.telephony.signals import history_written

logger = logging.getLogger(__name__)

UID_PREFIX = "hist-"
MAX_DAYS = 366
MAX_CALLS_PER_DAY = 100_000
MAX_AGENTS = 500
# Days × calls a day: a run holds its rows in memory until the one transaction that writes them
# (about 2 GB for a million calls).
MAX_CALLS_TOTAL = 1_000_000
BATCH_SIZE = 5000
GENERATED_AGENT_EMAIL = "history-agent-{n:02d}@{slug}.generated.invalid"  # recognisable, never deliverable
GENERATED_SKILL_LEVEL = 5
DRAIN_MARGIN = timedelta(hours=12)  # agent events of the last evening's calls may run past midnight


@dataclass
class HistoryResult:
    calls: int
    call_events: int
    agent_state_events: int
    voicemails: int
    callbacks: int
    days: int
    agents: int
    agents_created: int
    replaced_calls: int
    since: datetime
    until: datetime
    simulate_seconds: float
    write_seconds: float
    wall_seconds: float
    recordings: int = 0  # recorded (and analysed) calls: services/history_recordings.py
    recording_seconds: float = 0.0

    @property
    def calls_per_minute(self) -> float:
        return round(self.calls / self.wall_seconds * 60, 1) if self.wall_seconds else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "calls": self.calls,
            "call_events": self.call_events,
            "agent_state_events": self.agent_state_events,
            "voicemails": self.voicemails,
            "callbacks": self.callbacks,
            "days": self.days,
            "agents": self.agents,
            "agents_created": self.agents_created,
            "replaced_calls": self.replaced_calls,
            "since": self.since.isoformat(),
            "until": self.until.isoformat(),
            "simulate_seconds": round(self.simulate_seconds, 3),
            "write_seconds": round(self.write_seconds, 3),
            "wall_seconds": round(self.wall_seconds, 3),
            "calls_per_minute": self.calls_per_minute,
            "recordings": self.recordings,
            "recording_seconds": round(self.recording_seconds, 3),
        }


def history_validate(*, days: Any, calls_per_day: Any, agents: Any, seed: Any) -> None:
    """Refuse bad arguments before anything is read or written (the command's CLI errors)."""
    problems: dict[str, list[str]] = {}

    def whole(name: str, value: Any, low: int, high: int) -> None:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            problems[name] = [_("Enter a whole number from %(low)s to %(high)s.") % {"low": low, "high": high}]

    whole("days", days, 1, MAX_DAYS)
    whole("calls_per_day", calls_per_day, 1, MAX_CALLS_PER_DAY)
    whole("agents", agents, 1, MAX_AGENTS)
    whole("seed", seed, 0, 2**31 - 1)
    if not problems and days * calls_per_day > MAX_CALLS_TOTAL:
        problems["calls_per_day"] = [
            _("Days × calls per day must be at most %(total)s.") % {"total": f"{MAX_CALLS_TOTAL:,}"}
        ]
    if problems:
        raise ApplicationError("invalid", _("The history options are not valid."), fields=problems)


def history_range(tenant, days: int, *, today: date | None = None) -> list[datetime]:
    """Local midnights of the ``days`` days before today in the tenant's zone, and today's (the end)."""
    zone = ZoneInfo(getattr(tenant, "time_zone", "") or "Asia/Shanghai")
    today = today or timezone.now().astimezone(zone).date()
    first = today - timedelta(days=days)
    return [datetime(d.year, d.month, d.day, tzinfo=zone) for d in (first + timedelta(n) for n in range(days + 1))]


def _agents(tenant, wanted: int) -> tuple[list[HistoryAgent], int]:
    """The tenant's agents (active users first, oldest first), and generated ones if there are fewer
    than ``wanted``: users ``history-agent-NN@<slug>.generated.invalid`` without a usable password,
    virtual agents with every skill the queues ask for."""
    rows = list(Agent.objects.select_related("user").filter(user__is_active=True).order_by("pk")[:wanted])
    created = 0
    if len(rows) < wanted:
        required = dict(QueueSkill.objects.values_list("skill_id", "min_level"))
        n = 0
        while len(rows) < wanted:
            n += 1
            email = GENERATED_AGENT_EMAIL.format(n=n, slug=tenant.slug)
            user = User.objects.filter(email=email).first()
            if user is None:
                user = User.objects.create_user(
                    email, None, name=_("Generated agent %(n)02d") % {"n": n}, roles=[Role.AGENT]
                )
            agent, made = Agent.objects.get_or_create(user=user, defaults={"is_virtual": True})
            if any(row.pk == agent.pk for row in rows):
                continue
            if made:
                created += 1
                AgentSkill.objects.bulk_create(
                    [
                        AgentSkill(agent=agent, skill_id=skill_id, level=max(GENERATED_SKILL_LEVEL, level))
                        for skill_id, level in required.items()
                    ],
                    ignore_conflicts=True,
                )
            rows.append(agent)
    skills: dict[int, dict[int, int]] = {}
    for agent_id, skill_id, level in AgentSkill.objects.filter(agent__in=rows).values_list(
        "agent_id", "skill_id", "level"
    ):
        skills.setdefault(agent_id, {})[skill_id] = level
    agents = [
        HistoryAgent(
            agent_id=row.pk,
            name=row.user.get_full_name() if hasattr(row.user, "get_full_name") else str(row.user),
            skills=skills.get(row.pk, {}),
            user_id=row.user_id,
        )
        for row in rows
    ]
    return agents, created


def _reasons() -> dict[str, int]:
    for code in agent_states.SYSTEM_REASONS:
        PauseReason.objects.get_or_create(code=code, defaults={"name": SYSTEM_REASON_NAMES[code], "is_system": True})
    return dict(PauseReason.objects.values_list("code", "pk"))


def _campaigns() -> list[CampaignWindow]:
    windows = []
    # Every campaign with a queue dials in the past, whatever its status now (a draft included:
    # the demo's campaign waits for an administrator to start it, and its reports need a past).
    campaigns = Campaign.objects.filter(queue__isnull=False).select_related("queue", "trunk").order_by("pk")
    for index, campaign in enumerate(campaigns):
        if campaign.queue_id is None:
            continue
        settings = replace(campaign_settings(campaign), record=False)
        start = (10.0, 15.0)[index % 2]
        windows.append(CampaignWindow(settings=settings, start=start, end=start + 1.5))
    return windows


def _plan(tenant, *, day_starts, calls_per_day, agents, seed) -> tuple[HistoryPlan, int]:
    config = load_tenant_config(tenant)
    if not config.queues:
        raise ApplicationError("invalid", _("The company has no queue to take calls."))
    if not any(number.ivr_graph or number.queue_id in config.queues for number in config.numbers.values()):
        # No number routes anywhere yet: callers dial the first queue directly (a CDR without a number).
        first = min(config.queues)
        config.numbers[None] = NumberSettings(number_id=None, number="", queue_id=first)
    people, created = _agents(tenant, agents)
    dispositions = {row.code: row for row in Disposition.objects.filter(is_active=True)}
    reasons = _reasons()
    pause_codes = list(
        PauseReason.objects.filter(is_active=True, is_system=False).order_by("pk").values_list("code", flat=True)
    )
    plan = HistoryPlan(
        config=config,
        day_starts=day_starts,
        calls_per_day=calls_per_day,
        agents=people,
        seed=seed,
        uid_prefix=f"{UID_PREFIX}{day_starts[0]:%Y%m%d}-{day_starts[-1]:%Y%m%d}-s{seed}-",
        queues=Queue.objects.in_bulk(list(config.queues)),
        reasons=reasons,
        pause_codes=pause_codes,
        dispositions=dispositions,
        campaigns=_campaigns(),
    )
    return plan, created


def _state_row(event: list) -> tuple:
    row = list(event)
    call = row[STATE_CALL]
    row[STATE_CALL] = call.pk if call is not None else None
    return (*row, True)


def _copy(model, columns: tuple[str, ...], rows) -> None:
    """``COPY … FROM STDIN`` into ``model``'s table in the tenant's schema (the search path is the
    tenant's inside ``tenant_context``): the fastest way PostgreSQL takes many rows."""
    quote = connection.ops.quote_name
    statement = f"COPY {quote(model._meta.db_table)} ({', '.join(quote(name) for name in columns)}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)


def history_clear(*, since: datetime, until: datetime) -> int:
    """Delete the generated history of ``[since, until)`` (calls by arrival; agent events a little
    past ``until``, where the last evening's calls ended). Live rows are never touched."""
    calls = Call.objects.filter(
        uid__startswith=UID_PREFIX, is_simulated=True, arrived_at__gte=since, arrived_at__lt=until
    )
    deleted_calls = calls.count()
    # Agent events and timelines go in one statement each: nothing refers to them, and Django's
    # delete would fetch every row first (a project-wide post_delete receiver rules out its fast
    # path). The calls' own delete then handles the few rows that refer to a call.
    quote = connection.ops.quote_name
    states, events, cdrs = (quote(model._meta.db_table) for model in (AgentStateEvent, CallEvent, Call))
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {states} WHERE is_generated AND at >= %s AND at < %s",  # noqa: S608 - table names only
            [since, until + DRAIN_MARGIN],
        )
        cursor.execute(
            f"DELETE FROM {events} e USING {cdrs} c WHERE e.call_id = c.id AND c.uid LIKE %s"  # noqa: S608
            " AND c.is_simulated AND c.arrived_at >= %s AND c.arrived_at < %s",
            [UID_PREFIX + "%", since, until],
        )
    # Recording files go with their rows, once the deletion is committed.
    files = [name for name in Recording.objects.filter(call__in=calls).values_list("file", flat=True) if name]
    calls.delete()

    def delete_files() -> None:
        for name in files:
            default_storage.delete(name)

    transaction.on_commit(delete_files)
    return deleted_calls


def history_generate(
    *,
    tenant,
    days: int,
    calls_per_day: int,
    agents: int,
    seed: int,
    today: date | None = None,
    recordings: int = 0,
) -> HistoryResult:
    """Generate and write ``days`` days of history for ``tenant`` (see the module docstring).
    ``recordings``: how many answered calls also get a stereo recording and its analysis."""
    history_validate(days=days, calls_per_day=calls_per_day, agents=agents, seed=seed)
    started = time.perf_counter()
    day_starts = history_range(tenant, days, today=today)
    since, until = day_starts[0], day_starts[-1]
    with tenant_context(tenant):
        with transaction.atomic():
            plan, created = _plan(tenant, day_starts=day_starts, calls_per_day=calls_per_day, agents=agents, seed=seed)
        run = run_history(plan)
        simulated = time.perf_counter()
        store = run.store
        calls, events = store.finished_rows(until)
        kept = {id(row) for row in calls}
        voicemails = [row for row in store.voicemails if id(row.call) in kept]
        callbacks = [row for row in store.callbacks.values() if id(row.call) in kept]
        for request in callbacks:
            if request.callback_call is not None and id(request.callback_call) not in kept:
                request.callback_call = None
        with transaction.atomic():
            replaced = history_clear(since=since, until=until)
            Call.objects.bulk_create(calls, batch_size=BATCH_SIZE)  # PostgreSQL hands back the primary keys
            _copy(
                CallEvent,
                ("call_id", "at", "kind", "agent_id", "data"),
                ((row.pk, at, kind, agent, Jsonb(data)) for row, at, kind, agent, data in events),
            )
            _copy(
                AgentStateEvent,
                (*STATE_COLUMNS, "is_generated"),
                (_state_row(event) for event in store.state_events),
            )
            for voicemail in voicemails:
                voicemail.call_id = voicemail.call.pk
            Voicemail.objects.bulk_create(voicemails, batch_size=BATCH_SIZE)
            for request in callbacks:
                request.call_id = request.call.pk
                request.callback_call_id = request.callback_call.pk if request.callback_call is not None else None
            CallbackRequest.objects.bulk_create(callbacks, batch_size=BATCH_SIZE)
        finished = time.perf_counter()
        recorded = history_recordings_write(since=since, until=until, limit=recordings, uid_prefix=UID_PREFIX)
        # Robust: a receiver that fails (a rollup rebuild) is logged; the history is written already.
        for receiver, outcome in history_written.send_robust(sender=Call, since=since, until=until, tenant=tenant):
            if isinstance(outcome, Exception):
                logger.error("history_written receiver %r failed: %r", receiver, outcome, exc_info=outcome)
    return HistoryResult(
        calls=len(calls),
        call_events=len(events),
        agent_state_events=len(store.state_events),
        voicemails=len(voicemails),
        callbacks=len(callbacks),
        days=days,
        agents=len(plan.agents),
        agents_created=created,
        replaced_calls=replaced,
        since=since,
        until=until,
        simulate_seconds=simulated - started,
        write_seconds=finished - simulated,
        wall_seconds=time.perf_counter() - started,
        recordings=recorded.recordings,
        recording_seconds=recorded.wall_seconds,
    )


# --- the demo tenant (``make run``) -----------------------------------------------------------
DEMO_DAYS = 30
DEMO_CALLS_PER_DAY = 450
DEMO_SEED = 1
DEMO_RECORDINGS_PER_DAY = 2  # 60 stereo recordings (about 350 MB) for the demo's month


def history_exists() -> bool:
    """Whether the current tenant holds generated history (the demo's "done once" marker)."""
    return Call.objects.filter(uid__startswith=UID_PREFIX, is_simulated=True).exists()


def demo_history_ensure(
    tenant,
    *,
    days: int = DEMO_DAYS,
    calls_per_day: int = DEMO_CALLS_PER_DAY,
    seed: int = DEMO_SEED,
    recordings_per_day: int = DEMO_RECORDINGS_PER_DAY,
) -> HistoryResult | None:
    """Give the demo tenant its past once: ``days`` days with every agent it has (virtual agents
    and the demo agent alike), ``recordings_per_day`` × ``days`` of its calls recorded and
    analysed. Nothing when it has generated history already — the history itself is the
    marker, so a restart next week does not add another month."""
    with tenant_context(tenant):
        if history_exists():
            return None
        agents = Agent.objects.filter(user__is_active=True).count()
    return history_generate(
        tenant=tenant,
        days=days,
        calls_per_day=calls_per_day,
        agents=min(max(agents, 1), MAX_AGENTS),
        seed=seed,
        recordings=recordings_per_day * days,
    )
