"""Agent states for the departments: the timeline of ``AgentStateEvent`` rows and the current
state, keyed by user (workforce adherence compares them with the published schedule).

Departments read states here, never from the engine (ARCHITECTURE §10). Changes are plain
tuples ``(at, state, reason_code)`` so the caller needs no telephony model.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import OuterRef, Subquery

from apps.telephony.models import Agent, AgentStateEvent

StateTuple = tuple[datetime, str, str | None]


def agents_of_users(user_ids: list[int] | None = None) -> dict[int, int]:
    """``{user_id: agent_id}`` for users who have an agent row (all of them when None)."""
    agents = Agent.objects.all()
    if user_ids is not None:
        agents = agents.filter(user_id__in=list(user_ids))
    return dict(agents.values_list("user_id", "id"))


def state_timelines(
    *, agent_ids: list[int], since: datetime, until: datetime
) -> dict[int, tuple[StateTuple | None, list[StateTuple]]]:
    """``{agent_id: (state in force at since or None, [changes in [since, until)])}``: two
    queries whatever the number of agents (the last event before ``since`` by a subquery on the
    ``(agent, at)`` index)."""
    result: dict[int, tuple[StateTuple | None, list[StateTuple]]] = {agent_id: (None, []) for agent_id in agent_ids}
    if not agent_ids:
        return result
    last_before = AgentStateEvent.objects.filter(agent_id=OuterRef("pk"), at__lt=since).order_by("-at", "-id")
    rows = (
        Agent.objects.filter(pk__in=agent_ids)
        .annotate(
            prev_at=Subquery(last_before.values("at")[:1]),
            prev_state=Subquery(last_before.values("to_state")[:1]),
            prev_reason=Subquery(last_before.values("reason__code")[:1]),
        )
        .values_list("pk", "prev_at", "prev_state", "prev_reason")
    )
    for agent_id, prev_at, prev_state, prev_reason in rows:
        if prev_at is not None:
            result[agent_id] = ((prev_at, prev_state, prev_reason), [])
    events = (
        AgentStateEvent.objects.filter(agent_id__in=agent_ids, at__gte=since, at__lt=until)
        .order_by("agent_id", "at", "id")
        .values_list("agent_id", "at", "to_state", "reason__code")
    )
    for agent_id, at, state, reason in events:
        result[agent_id][1].append((at, state, reason))
    return result


def current_states(agent_ids: list[int] | None = None) -> dict[int, StateTuple]:
    """``{agent_id: (since, state, reason_code)}``: each agent's state now."""
    agents = Agent.objects.all()
    if agent_ids is not None:
        agents = agents.filter(pk__in=list(agent_ids))
    return {
        agent_id: (since, state, reason)
        for agent_id, since, state, reason in agents.values_list("id", "state_since", "state", "reason__code")
    }
