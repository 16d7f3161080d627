"""The skill gate training registers with telephony (apps/telephony/skill_gates.py).

Rule: a skill that some active certification grants is *gated* — an agent's AgentSkill row of that
skill counts for routing only while the agent holds a valid certificate (issued, not revoked, not
expired) of an active certification granting it. Skills no certification grants are untouched.
When the agent's row has a higher level than the certificate grants (given by hand), the row's
level stands: the certificate decides *whether* the skill routes, the skill editor *how well*.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q

from apps.telephony.models import Agent
from apps.training.models import Certificate, Certification


def certified_skill_gate(skills: dict[int, dict[int, int]], *, now: datetime) -> dict[int, dict[int, int]]:
    """``skills`` ({agent: {skill: level}}) less the gated skills without a valid certificate."""
    gated = set(Certification.objects.filter(is_active=True, skill__isnull=False).values_list("skill_id", flat=True))
    if not gated:
        return skills
    users = dict(Agent.objects.filter(pk__in=list(skills)).values_list("pk", "user_id"))
    held: set[tuple[int, int]] = set(
        Certificate.objects.filter(
            Q(expires_at__isnull=True) | Q(expires_at__gt=now),
            revoked_at__isnull=True,
            issued_at__lte=now,
            certification__is_active=True,
            certification__skill_id__in=gated,
            user_id__in=list(users.values()),
        ).values_list("user_id", "certification__skill_id")
    )
    return {
        agent_id: {
            skill_id: level
            for skill_id, level in levels.items()
            if skill_id not in gated or (users.get(agent_id), skill_id) in held
        }
        for agent_id, levels in skills.items()
    }


def certified_skill_next_change(*, now: datetime) -> datetime | None:
    """When the gate's answer next changes by itself: the earliest expiry, after ``now``, of a valid
    certificate that grants a skill (the engine reloads its agents' settings at that moment)."""
    return (
        Certificate.objects.filter(
            revoked_at__isnull=True,
            expires_at__gt=now,
            issued_at__lte=now,
            certification__is_active=True,
            certification__skill__isnull=False,
        )
        .order_by("expires_at")
        .values_list("expires_at", flat=True)
        .first()
    )
