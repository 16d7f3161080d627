"""``{% agents_without_queue_banner %}``: the warning on the administrator's home when some agents
can receive no calls because no queue's required skills match theirs.

New agents get the default skill (services/agent_state.agent_ensure), so this shows only when
someone took skills away, raised a queue's minimum levels or deleted the default skill: the
agent would otherwise sit Ready all day and nobody would know why the phone stays silent.
"""

from __future__ import annotations

from typing import Any

from django import template

from apps.accounts.choices import Role
from apps.telephony.models import Agent, AgentSkill, Queue, QueueSkill

register = template.Library()


def agents_without_queue() -> list[Agent]:
    """Human agents (active users with the agent role) whom no queue may offer a call to: a queue
    offers calls to agents holding each of its skills at its minimum level."""
    required: dict[int, dict[int, int]] = {
        queue_id: {} for queue_id in Queue.objects.filter(is_scratch=False).values_list("pk", flat=True)
    }
    for queue_id, skill_id, level in QueueSkill.objects.filter(queue_id__in=required).values_list(
        "queue_id", "skill_id", "min_level"
    ):
        required[queue_id][skill_id] = level
    held: dict[int, dict[int, int]] = {}
    for agent_id, skill_id, level in AgentSkill.objects.values_list("agent_id", "skill_id", "level"):
        held.setdefault(agent_id, {})[skill_id] = level
    stranded = []
    agents = Agent.objects.select_related("user").filter(
        is_virtual=False, user__is_active=True, user__roles__contains=[Role.AGENT]
    )
    for agent in agents.order_by("user__name", "pk"):
        skills = held.get(agent.pk, {})
        if not any(all(skills.get(skill, 0) >= level for skill, level in needs.items()) for needs in required.values()):
            stranded.append(agent)
    return stranded


@register.inclusion_tag("telephony/agents/_no_queue_banner.html")
def agents_without_queue_banner(link: str = "") -> dict[str, Any]:
    return {"agents": agents_without_queue(), "link": link}
