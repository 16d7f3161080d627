"""Reads behind the standard reports that list calls or agent states rather than KPI groups.

The KPI figures themselves come from :func:`apps.reports.selectors.kpis.kpi_table` (one
definition of each figure). What is here reads the telephony tables directly because it is not a
figure but the rows behind one: each abandoned call, the time each agent spent in each state, the
IVR stages a call passed through, the survey scores as they were given. Like every selector it
runs inside the tenant's schema and never imports the telephony engine (ARCHITECTURE §10).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from django.db import connection
from django.db.models import Count, Q
from django.db.models.expressions import RawSQL

from apps.telephony.choices import AgentState
from apps.telephony.models import (
    Agent,
    AgentStateEvent,
    Call,
    Campaign,
    Disposition,
    IvrFlowVersion,
    PauseReason,
    Queue,
)
from apps.telephony.selectors.calls import IVR_NODE_KINDS

# The states of the agent-state report, in the order an agent's day reads.
STATE_ORDER = (
    AgentState.READY,
    AgentState.RESERVED,
    AgentState.TALKING,
    AgentState.HOLD,
    AgentState.WRAP_UP,
    AgentState.NOT_READY,
)


def _period(since: datetime, until: datetime) -> Q:
    return Q(arrived_at__gte=since, arrived_at__lt=until)


def queue_names(ids: list[int] | None = None) -> dict[int, str]:
    queues = Queue.objects.filter(is_scratch=False)
    if ids:
        queues = queues.filter(pk__in=ids)
    return dict(queues.order_by("name").values_list("id", "name"))


def agent_names(ids: list[int] | None = None) -> dict[int, str]:
    agents = Agent.objects.select_related("user").order_by("user__name", "id")
    if ids:
        agents = agents.filter(pk__in=ids)
    return {agent.pk: agent.user.get_short_name() or agent.user.email for agent in agents}


def campaign_names() -> dict[int, str]:
    return dict(Campaign.objects.order_by("name").values_list("id", "name"))


def disposition_codes() -> dict[int, str]:
    """Disposition id → code: the calls list filters dispositions by code."""
    return dict(Disposition.objects.values_list("id", "code"))


def abandoned_calls(
    *, since: datetime, until: datetime, queue_ids: list[int] | None = None, limit: int | None = None
) -> list[dict[str, Any]]:
    """Every call abandoned in a queue, oldest first, short abandons included and marked (the
    abandon rate leaves them out; this list shows them so that the exclusion can be checked)."""
    calls = Call.objects.filter(_period(since, until), abandoned=True, queued_at__isnull=False, queue__isnull=False)
    if queue_ids:
        calls = calls.filter(queue_id__in=queue_ids)
    rows = calls.order_by("arrived_at", "id").values(
        "uid", "arrived_at", "caller", "queue__name", "wait_seconds", "short_abandon", "offer_count"
    )
    if limit is not None:
        rows = rows[:limit]
    return [dict(row) for row in rows]


_STATE_SQL = """
WITH ordered AS (
    SELECT e.agent_id, e.from_state, e.seconds_in_previous,
           LAG(e.reason_id) OVER (PARTITION BY e.agent_id ORDER BY e.at, e.id) AS previous_reason_id
    FROM {table} e
    WHERE e.at >= %s AND e.at < %s {agent_filter}
)
SELECT agent_id, from_state, previous_reason_id, SUM(seconds_in_previous), COUNT(*)
FROM ordered
GROUP BY agent_id, from_state, previous_reason_id
"""


def agent_state_times(
    *, since: datetime, until: datetime, agent_ids: list[int] | None = None
) -> dict[int, dict[str, Any]]:
    """Seconds each agent spent in each state, and Not-ready seconds per pause reason.

    Read from the state changes in the period: each change carries the seconds spent in the state
    it leaves, so a state is counted in the period where it ended. The reason of a Not-ready spell
    is on the change that *entered* it, hence the window over the agent's previous change (the
    first change of an agent in the period has no previous one there: its Not-ready time goes to
    "no reason recorded").
    """
    agent_filter = ""
    args: list[Any] = [since, until]
    if agent_ids:
        agent_filter = "AND e.agent_id = ANY(%s)"
        args.append(list(agent_ids))
    sql = _STATE_SQL.format(table=AgentStateEvent._meta.db_table, agent_filter=agent_filter)
    result: dict[int, dict[str, Any]] = defaultdict(
        lambda: {"states": defaultdict(float), "reasons": defaultdict(float), "changes": 0}
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, args)
        for agent_id, state, reason_id, seconds, changes in cursor.fetchall():
            entry = result[agent_id]
            entry["states"][state] += float(seconds or 0)
            entry["changes"] += changes
            if state == AgentState.NOT_READY:
                entry["reasons"][reason_id] += float(seconds or 0)
    return dict(result)


def pause_reason_names() -> dict[int, str]:
    return dict(PauseReason.objects.order_by("id").values_list("id", "name"))


def ivr_funnel(*, since: datetime, until: datetime, queue_ids: list[int] | None = None) -> list[dict[str, Any]]:
    """Per IVR flow: calls that entered it, asked for an agent, were queued, were answered, and
    those that ended in the IVR without asking for an agent (contained)."""
    calls = Call.objects.filter(_period(since, until), ivr_version__isnull=False)
    if queue_ids:
        calls = calls.filter(Q(queue_id__in=queue_ids) | Q(queue__isnull=True))
    rows = (
        calls.values("ivr_version__flow_id", "ivr_version__flow__name")
        .annotate(
            entered=Count("id"),
            asked_agent=Count("id", filter=Q(reached_agent_request=True)),
            queued=Count("id", filter=Q(queued_at__isnull=False)),
            answered=Count("id", filter=Q(queued_at__isnull=False, answered_at__isnull=False)),
            contained=Count("id", filter=Q(reached_agent_request=False, queued_at__isnull=True, blocked=False)),
        )
        .order_by("ivr_version__flow__name")
    )
    return [
        {
            "key": row["ivr_version__flow_id"],
            "label": row["ivr_version__flow__name"],
            "entered": row["entered"],
            "asked_agent": row["asked_agent"],
            "queued": row["queued"],
            "answered": row["answered"],
            "contained": row["contained"],
        }
        for row in rows
    ]


def _node_label(graph: dict[str, Any], node: Any, kind: Any) -> str:
    spec = (graph.get("nodes") or {}).get(str(node)) or {}
    label = str(spec.get("label") or "")
    kind = str(kind or spec.get("type") or "")
    return label or str(IVR_NODE_KINDS.get(kind, kind))


# The last step of a call's IVR path before it left the menus: the post-call survey, which an
# answered call reaches after its conversation, is not where the caller left the IVR.
_LAST_STEP = (
    "(SELECT step ->> '{field}' FROM jsonb_array_elements(ivr_path) WITH ORDINALITY AS path(step, n)"
    " WHERE jsonb_typeof(step) = 'object' AND step ->> 'type' IS DISTINCT FROM 'survey'"
    " ORDER BY n DESC LIMIT 1)"
)


def ivr_exits(*, since: datetime, until: datetime) -> list[dict[str, Any]]:
    """The funnel per IVR flow *and the node where each call left the IVR* (the last step of its
    path but the post-call survey, named by the node's label in the version the call ran): where callers give up, ask for
    an agent or are served. The stages count as in :func:`ivr_funnel`."""
    calls = Call.objects.filter(_period(since, until), ivr_version__isnull=False).annotate(
        last_node=RawSQL(_LAST_STEP.format(field="node"), []),  # noqa: S611 - constant SQL
        last_kind=RawSQL(_LAST_STEP.format(field="type"), []),  # noqa: S611 - constant SQL
    )
    grouped = (
        calls.values("ivr_version_id", "ivr_version__flow_id", "ivr_version__flow__name", "last_node", "last_kind")
        .annotate(
            entered=Count("id"),
            asked_agent=Count("id", filter=Q(reached_agent_request=True)),
            queued=Count("id", filter=Q(queued_at__isnull=False)),
            answered=Count("id", filter=Q(queued_at__isnull=False, answered_at__isnull=False)),
            contained=Count("id", filter=Q(reached_agent_request=False, queued_at__isnull=True, blocked=False)),
        )
        .order_by()
    )
    rows: list[dict[str, Any]] = [dict(row) for row in grouped]
    graphs = dict(
        IvrFlowVersion.objects.filter(pk__in={row["ivr_version_id"] for row in rows}).values_list("id", "graph")
    )
    merged: dict[tuple[int, str], dict[str, Any]] = {}
    for row in rows:
        node = _node_label(graphs.get(row["ivr_version_id"]) or {}, row["last_node"], row["last_kind"])
        key = (row["ivr_version__flow_id"], node)
        entry = merged.setdefault(
            key,
            {
                "flow_id": row["ivr_version__flow_id"],
                "flow": row["ivr_version__flow__name"],
                "node": node,
                **dict.fromkeys(("entered", "asked_agent", "queued", "answered", "contained"), 0),
            },
        )
        for stage in ("entered", "asked_agent", "queued", "answered", "contained"):
            entry[stage] += row[stage]
    return sorted(merged.values(), key=lambda entry: (str(entry["flow"]), -entry["entered"], entry["node"]))


def survey_scores(
    *, since: datetime, until: datetime, by: str, queue_ids: list[int] | None = None, agent_ids: list[int] | None = None
) -> dict[int, dict[int, int]]:
    """``{queue or agent id: {score: count}}`` of post-call survey answers (``by``: queue|agent)."""
    field = {"queue": "queue_id", "agent": "agent_id"}[by]
    calls = Call.objects.filter(_period(since, until), survey_score__isnull=False, **{f"{field}__isnull": False})
    if queue_ids:
        calls = calls.filter(queue_id__in=queue_ids)
    if agent_ids:
        calls = calls.filter(agent_id__in=agent_ids)
    result: dict[int, dict[int, int]] = defaultdict(dict)
    for owner, score, count in calls.values_list(field, "survey_score").annotate(n=Count("id")).order_by():
        result[owner][score] = count
    return dict(result)


def queue_targets() -> dict[int, int]:
    """Each (real) queue's service-level target in percent, the dashboard's yardstick."""
    return dict(Queue.objects.filter(is_scratch=False).values_list("id", "sl_target_percent"))
