"""The seam through which a department decides which of an agent's skills count for routing.

The call core never imports a department (ARCHITECTURE §10). Training needs one thing from it:
an agent's skill granted by a certification must route calls only while the certificate is valid.
So telephony defines this hook and ``apps.training`` registers a gate from its ``AppConfig.ready()``.

A gate is a callable ``gate(skills, now=...)`` that receives ``{agent_id: {skill_id: level}}`` (the
AgentSkill rows), runs inside the tenant's schema (sync code), and returns the mapping it allows —
it may drop skills or lower levels, never add. The engine's agent-settings load
(``apps.telephony.engine.config.load_tenant_config``) passes the rows through every registered gate,
so the ACD only ever sees effective skills; with no gate registered nothing changes.

A department that changes what its gate answers (a certificate issued, revoked or expired) calls
:func:`gates_changed`, which asks the engine to reload its agent settings on commit — the same
``config.changed`` path an administrator's skill edit takes. The engine also reloads its
configuration every ``CONFIG_RELOAD_SECONDS`` (60 s); and a gate that knows when its answer will
change by itself (the next certificate to expire) registers ``next_change``: the configuration load
records that instant (``TenantConfig.reload_at``) and the engine's periodic tick reloads as soon as it
has passed, so an expiry takes effect within a tick of the certificate's expiry time.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from django.utils import timezone

from apps.core.events import publish_on_commit

SkillMap = dict[int, dict[int, int]]
SkillGate = Callable[..., SkillMap]
NextChange = Callable[..., datetime | None]

_gates: list[SkillGate] = []
_next_changes: list[NextChange] = []


def register_skill_gate(gate: SkillGate, *, next_change: NextChange | None = None) -> None:
    """Add ``gate`` (once: registering the same callable again is a no-op, as ``ready()`` may run twice).

    ``next_change(now=...)``, when given, returns the next instant after ``now`` at which the gate's
    answer changes by itself (a certificate's expiry), or None; the engine reloads then.
    """
    if gate not in _gates:
        _gates.append(gate)
    if next_change is not None and next_change not in _next_changes:
        _next_changes.append(next_change)


def unregister_skill_gate(gate: SkillGate, *, next_change: NextChange | None = None) -> None:
    if gate in _gates:
        _gates.remove(gate)
    if next_change in _next_changes:
        _next_changes.remove(next_change)


def next_gate_change(*, now: datetime | None = None) -> datetime | None:
    """The earliest instant after ``now`` at which a gate's answer changes by itself (None: none known)."""
    moment = now or timezone.now()
    instants = [instant for change in _next_changes if (instant := change(now=moment)) is not None]
    return min(instants, default=None)


def effective_skills(skills: SkillMap, *, now: datetime | None = None) -> SkillMap:
    """``skills`` as the registered gates allow them at ``now``; a gate may only remove or lower."""
    moment = now or timezone.now()
    result = {agent_id: dict(levels) for agent_id, levels in skills.items()}
    for gate in _gates:
        allowed = gate(result, now=moment)
        result = {
            agent_id: {
                skill_id: min(level, allowed.get(agent_id, {}).get(skill_id, 0))
                for skill_id, level in levels.items()
                if allowed.get(agent_id, {}).get(skill_id, 0) >= 1
            }
            for agent_id, levels in result.items()
        }
    return result


def gates_changed(agent_id: int | None = None) -> None:
    """Tell the engine, once the transaction commits, that an agent's effective skills changed."""
    publish_on_commit("engine", {"type": "config.changed", "kind": "agent", "id": agent_id})
