"""What the engine needs to know about a tenant, as plain data.

The controller never touches Django models: ``load_tenant_config`` (sync, inside the
tenant's schema) turns queues, numbers, agents, trunks, business hours and customers into
these dataclasses once, and again whenever the configuration changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Max
from django.utils import timezone

from apps.crm.models import Customer
from apps.telephony.acd import AgentProfile, QueueConfig
from apps.telephony.choices import IvrFlowStatus
from apps.telephony.dialer import dialling
from apps.telephony.ivr.hours import HoursSpec
from apps.telephony.models import (
    Agent,
    AgentSkill,
    BusinessHours,
    Call,
    DiallingPolicy,
    IvrFlowVersion,
    PhoneNumber,
    Queue,
    QueueSkill,
    Trunk,
)
from apps.telephony.skill_gates import effective_skills, next_gate_change

VIP_PRIORITY = 10  # same bump as apps.telephony.services.cdr.VIP_PRIORITY


@dataclass
class QueueSettings:
    queue_id: int
    code: str = ""
    name: str = ""
    strategy: str = "longest_idle"
    priority: int = 5
    required: dict[int, int] = field(default_factory=dict)
    sl_threshold_seconds: float = 15
    max_wait_seconds: float = 300
    overflow_queue_id: int | None = None
    overflow_number: str = ""
    announce_position: bool = False
    announce_expected_wait: bool = False
    announce_interval_seconds: float = 30
    callback_offer: bool = False
    callback_offer_after_seconds: float = 60
    wrapup_seconds: float = 0
    short_abandon_seconds: float = 5
    ring_timeout_seconds: float = 15
    expand_after_seconds: float = 0
    expand_step: int = 1
    sticky_days: int = 7
    sticky_wait_seconds: float = 20
    bullseye_rings: tuple[tuple[int, float], ...] = ()  # ((min level, after seconds), ...), ring 1 first
    script: str = ""  # the agent script of an inbound call (apps/telephony/queue_scripts.py)

    @property
    def announces(self) -> bool:
        return (self.announce_position or self.announce_expected_wait) and self.announce_interval_seconds > 0

    @property
    def needs_tick(self) -> bool:
        """Expanding skills, widening bullseye rings and sticky holds change matches as time
        passes, without any event."""
        return (
            (self.expand_after_seconds > 0 and bool(self.required))
            or self.strategy == "sticky"
            or (self.strategy == "bullseye" and len(self.bullseye_rings) > 1 and bool(self.required))
        )

    def acd_config(self) -> QueueConfig:
        return QueueConfig(
            queue_id=self.queue_id,
            strategy=self.strategy,
            priority=self.priority,
            required=dict(self.required),
            expand_after_seconds=self.expand_after_seconds,
            expand_step=self.expand_step,
            sticky_wait_seconds=self.sticky_wait_seconds,
            max_wait_seconds=self.max_wait_seconds,
            rings=tuple(self.bullseye_rings) if self.strategy == "bullseye" else (),
        )

    @classmethod
    def from_model(cls, queue, required: dict[int, int]) -> QueueSettings:
        return cls(
            queue_id=queue.pk,
            code=queue.code,
            name=queue.name,
            strategy=queue.strategy,
            priority=queue.priority,
            required=required,
            sl_threshold_seconds=queue.sl_threshold_seconds,
            max_wait_seconds=queue.max_wait_seconds,
            overflow_queue_id=queue.overflow_queue_id,
            overflow_number=queue.overflow_number,
            announce_position=queue.announce_position,
            announce_expected_wait=queue.announce_expected_wait,
            announce_interval_seconds=queue.announce_interval_seconds,
            callback_offer=queue.callback_offer,
            callback_offer_after_seconds=queue.callback_offer_after_seconds,
            wrapup_seconds=queue.wrapup_seconds,
            short_abandon_seconds=queue.short_abandon_seconds,
            ring_timeout_seconds=queue.ring_timeout_seconds,
            expand_after_seconds=queue.expand_after_seconds,
            expand_step=queue.expand_step,
            sticky_days=queue.sticky_days,
            sticky_wait_seconds=queue.sticky_wait_seconds,
            bullseye_rings=rings_from_json(queue.bullseye_rings),
            script=queue.script,
        )


def rings_from_json(raw: Any) -> tuple[tuple[int, float], ...]:
    """``Queue.bullseye_rings`` (``[{"min_level", "after_seconds"}, ...]``, checked when saved) as
    the ACD's pairs; anything malformed is left out rather than stop the engine."""
    rings: list[tuple[int, float]] = []
    for ring in raw if isinstance(raw, list) else ():
        try:
            rings.append((int(ring["min_level"]), float(ring["after_seconds"])))
        except (KeyError, TypeError, ValueError):
            continue
    return tuple(rings)


@dataclass
class NumberSettings:
    number_id: int | None
    number: str
    trunk_id: int | None = None
    queue_id: int | None = None
    ivr_graph: dict | None = None  # the published version's graph
    ivr_version_id: int | None = None
    arrivals_per_hour: float = 0.0
    caller_id: str = ""


@dataclass
class AgentSettings:
    agent_id: int
    name: str = ""
    skills: dict[int, int] = field(default_factory=dict)
    is_virtual: bool = False
    state: str = "offline"
    reason: str | None = None
    idle_seconds: float = 0.0  # Ready agents: how long they have been idle when loaded (longest-idle order)

    def profile(self) -> AgentProfile:
        return AgentProfile(agent_id=self.agent_id, skills=dict(self.skills))


@dataclass
class CustomerInfo:
    customer_id: int
    name: str
    is_vip: bool


@dataclass
class TenantConfig:
    schema: str = ""
    time_zone: str = "Asia/Shanghai"
    # When a skill gate's answer next changes by itself (a certificate expires): reload then.
    reload_at: datetime | None = None
    queues: dict[int, QueueSettings] = field(default_factory=dict)
    numbers: dict[int | None, NumberSettings] = field(default_factory=dict)
    agents: dict[int, AgentSettings] = field(default_factory=dict)
    trunks: dict[int | None, int | None] = field(default_factory=dict)  # trunk id -> channels
    default_trunk_id: int | None = None
    hours: dict = field(default_factory=dict)  # business hours id -> HoursSpec
    customers: dict[str, CustomerInfo] = field(default_factory=dict)  # phone -> customer
    last_agent: dict[str, tuple[int, float]] = field(default_factory=dict)  # caller -> (agent id, days ago)
    # The dialling policy (apps/telephony/dialer/dialling.py): the engine checks the numbers it calls on
    # its own (callbacks to a caller's number) against it; agents' numbers were checked by the API.
    dialling_rules: dialling.Rules = field(default_factory=dialling.Rules)
    # Running and paused campaigns: id -> (status, CampaignSettings); filled by the runner
    # (apps.telephony.engine.campaigns.load_campaigns).
    campaigns: dict[int, tuple[str, Any]] = field(default_factory=dict)


def load_tenant_config(tenant, *, customers: bool = True) -> TenantConfig:
    """Read a tenant's routing configuration. Call inside ``tenant_context(tenant)``, from sync code."""
    config = TenantConfig(schema=tenant.schema_name, time_zone=getattr(tenant, "time_zone", "Asia/Shanghai"))
    required: dict[int, dict[int, int]] = {}
    for queue_id, skill_id, level in QueueSkill.objects.values_list("queue_id", "skill_id", "min_level"):
        required.setdefault(queue_id, {})[skill_id] = level
    for queue in Queue.objects.filter(is_scratch=False):
        config.queues[queue.pk] = QueueSettings.from_model(queue, required.get(queue.pk, {}))

    for trunk in Trunk.objects.all():
        config.trunks[trunk.pk] = trunk.channels
        if trunk.is_default or config.default_trunk_id is None:
            config.default_trunk_id = trunk.pk

    published: dict[int, IvrFlowVersion] = {}
    for version in IvrFlowVersion.objects.filter(status=IvrFlowStatus.PUBLISHED).order_by("flow_id", "number"):
        published[version.flow_id] = version  # the highest published number wins
    for number in PhoneNumber.objects.all():
        flow_version = published.get(number.ivr_flow_id) if number.ivr_flow_id else None
        config.numbers[number.pk] = NumberSettings(
            number_id=number.pk,
            number=number.number,
            trunk_id=number.trunk_id,
            queue_id=number.queue_id,
            ivr_graph=flow_version.graph if flow_version else None,
            ivr_version_id=flow_version.pk if flow_version else None,
            arrivals_per_hour=number.sim_arrivals_per_hour,
            caller_id=number.caller_id,
        )

    skills: dict[int, dict[int, int]] = {}
    for agent_id, skill_id, level in AgentSkill.objects.values_list("agent_id", "skill_id", "level"):
        skills.setdefault(agent_id, {})[skill_id] = level
    now = timezone.now()
    # Only the skills the departments' gates allow (a certified skill routes while its certificate is valid).
    skills = effective_skills(skills, now=now)
    config.reload_at = next_gate_change(now=now)
    for agent in Agent.objects.select_related("user", "reason"):
        idle_since = agent.idle_since or agent.state_since
        config.agents[agent.pk] = AgentSettings(
            agent_id=agent.pk,
            name=agent.user.get_full_name() if hasattr(agent.user, "get_full_name") else str(agent.user),
            skills=skills.get(agent.pk, {}),
            is_virtual=agent.is_virtual,
            state=agent.state,
            reason=agent.reason.code if agent.reason is not None else None,
            idle_seconds=max(0.0, (now - idle_since).total_seconds()) if idle_since else 0.0,
        )

    for hours in BusinessHours.objects.prefetch_related("overrides"):
        config.hours[hours.pk] = HoursSpec.from_model(hours)

    policy = DiallingPolicy.objects.filter(pk=DiallingPolicy.SINGLETON_ID).first()  # none yet: the defaults
    if policy is not None:
        config.dialling_rules = policy.rules()

    if customers:
        for customer_id, name, is_vip, phones in Customer.objects.values_list("pk", "name", "is_vip", "phones"):
            info = CustomerInfo(customer_id=customer_id, name=name, is_vip=is_vip)
            for phone in phones or ():
                if phone not in config.customers or is_vip:
                    config.customers[phone] = info
        # Sticky routing: who last served each caller (the longest sticky window of any queue).
        days = max((queue.sticky_days for queue in config.queues.values() if queue.strategy == "sticky"), default=0)
        if days:
            since = now - timedelta(days=days)
            rows = (
                Call.objects.filter(answered_at__gte=since, agent__isnull=False)
                .values("caller", "agent_id")
                .annotate(last=Max("answered_at"))
                .order_by("caller", "last")
            )
            for row in rows:
                config.last_agent[row["caller"]] = (row["agent_id"], (now - row["last"]).total_seconds() / 86400)
    return config
