"""Demo traffic for ``make run``: the demo tenant gets a small contact center that is always busy.

:func:`demo_traffic_setup` (idempotent, called by ``ensure_demo``) prepares

* skills ``general``, ``billing`` and ``english`` and the queues ``general`` (the IVR's target,
  with position announcements and a callback offer), ``billing`` and ``english`` (transfer
  targets on the agent desktop);
* eight virtual agents ``vagent01…08@demo.local`` logged into seats and Ready — the engine
  simulates them (answer delay, talk, hold);
* the human demo agent ``agent@demo.local`` with skills, offline until they log in; ``general``
  routes to the most skilled Ready agent and the demo agent has the top level, so once Ready
  they get the next call;
* simulated callers on the tenant's number (``sim_arrivals_per_hour`` = 120), which goes to the
  default IVR (or straight to ``general``); the default IVR's opening hours become 24/7 so the demo
  works at any hour;
* a dozen customers (three VIPs) whose numbers a third of the simulated callers use, so a
  screen pop has something to show.

``run_engine --driver sim`` then keeps calls flowing.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django_tenants.utils import tenant_context

from apps.accounts.choices import Role
from apps.accounts.models import User
from apps.crm.models import Customer
from apps.telephony import agent_states
from apps.telephony.ivr.defaults import default_hours_names
from apps.telephony.models import (
    Agent,
    AgentSkill,
    BusinessHours,
    Disposition,
    PauseReason,
    PhoneNumber,
    Queue,
    QueueSkill,
    Seat,
    Skill,
)
from apps.telephony.services.agent_state import agent_ensure, agent_set_state
from apps.telephony.services.campaigns.demo import demo_campaign_setup
from apps.telephony.services.defaults import DISPOSITIONS, PAUSE_REASONS, seed_default_ivr

DEMO_ARRIVALS_PER_HOUR = 120
VIRTUAL_PASSWORD = None  # virtual agents never log in: unusable password
HUMAN_AGENT_EMAIL = "agent@demo.local"

SKILLS = [("general", "综合咨询 General"), ("billing", "账务 Billing"), ("english", "英语 English")]
# code, name, required skill, priority, extra settings (Queue fields)
QUEUES: list[tuple[str, str, str, int, dict[str, Any]]] = [
    (
        "general",
        "综合咨询 General",
        "general",
        5,
        {
            "strategy": "most_skilled",
            "wrapup_seconds": 15,
            "announce_position": True,
            "announce_expected_wait": True,
            "callback_offer": True,
            "callback_offer_after_seconds": 90,
        },
    ),
    ("billing", "账务 Billing", "billing", 6, {"wrapup_seconds": 20}),
    ("english", "英文服务 English", "english", 5, {"wrapup_seconds": 20}),
]
# name, {skill: level}
VIRTUAL_AGENTS = [
    ("张伟", {"general": 7, "billing": 6}),
    ("王芳", {"general": 7}),
    ("李娜", {"general": 7, "english": 8}),
    ("刘洋", {"general": 7, "billing": 8}),
    ("陈静", {"general": 7}),
    ("杨磊", {"general": 7, "billing": 5}),
    ("赵敏", {"general": 7, "english": 6}),
    ("黄涛", {"general": 7}),
]
# The demo agent is the most skilled in "general" (a most-skilled queue): when they are Ready,
# the next call is theirs, so the demo shows an offer within seconds rather than minutes.
HUMAN_SKILLS = {"general": 10, "billing": 5, "english": 4}
CUSTOMERS = [
    ("上海启航贸易有限公司", ["13801380001"], True, "大客户，年度合同 / key account"),
    ("北京华信科技", ["13901390002", "01062345678"], True, "VIP：技术支持优先"),
    ("广州南粤物流", ["13701370003"], True, "VIP，发票问题请转账务"),
    ("王建国", ["13601360004"], False, ""),
    ("李秀英", ["13501350005"], False, "上次投诉已解决"),
    ("张明", ["13401340006"], False, ""),
    ("刘丽", ["15801580007"], False, "prefers English"),
    ("陈强", ["15901590008"], False, ""),
    ("杨静", ["18601860009"], False, ""),
    ("赵磊", ["18801880010"], False, ""),
    ("Emily Chen", ["13301330011"], False, "English speaker"),
    ("孙悦", ["17701770012"], False, ""),
]


def _skills() -> dict[str, Skill]:
    skills = {}
    for code, name in SKILLS:
        skills[code], _created = Skill.objects.get_or_create(code=code, defaults={"name": name})
    return skills


def _queues(skills: dict[str, Skill]) -> dict[str, Queue]:
    queues = {}
    for code, name, skill_code, priority, settings in QUEUES:
        queue, created = Queue.objects.get_or_create(
            code=code, defaults={"name": name, "priority": priority, **settings}
        )
        if not created and code == "general":
            # The tenant seeder made "general" with the defaults; the demo settings win on every run.
            changed = [field for field, value in settings.items() if getattr(queue, field) != value]
            for field in changed:
                setattr(queue, field, settings[field])
            if changed:
                queue.save(update_fields=changed)
        QueueSkill.objects.get_or_create(queue=queue, skill=skills[skill_code], defaults={"min_level": 1})
        queues[code] = queue
    return queues


def _set_skills(agent: Agent, levels: dict[str, int], skills: dict[str, Skill]) -> None:
    for code, level in levels.items():
        AgentSkill.objects.update_or_create(agent=agent, skill=skills[code], defaults={"level": level})


def _virtual_agents(skills: dict[str, Skill]) -> list[Agent]:
    free_seats = list(Seat.objects.filter(agent__isnull=True).order_by("extension"))
    agents = []
    for index, (name, levels) in enumerate(VIRTUAL_AGENTS, start=1):
        email = f"vagent{index:02d}@demo.local"
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User.objects.create_user(email, VIRTUAL_PASSWORD, name=name, roles=[Role.AGENT])
        agent, _created = Agent.objects.get_or_create(user=user, defaults={"is_virtual": True})
        if not agent.is_virtual:
            agent.is_virtual = True
            agent.save(update_fields=["is_virtual"])
        _set_skills(agent, levels, skills)
        if agent.seat_id is None and free_seats:
            agent.seat = free_seats.pop(0)
            agent.save(update_fields=["seat"])
        if agent.state in (agent_states.OFFLINE, agent_states.NOT_READY):
            agent_set_state(agent=agent, state=agent_states.READY, source=agent_states.ENGINE)
        agents.append(agent)
    return agents


def _human_agent(skills: dict[str, Skill]) -> Agent | None:
    user = User.objects.filter(email=HUMAN_AGENT_EMAIL).first()
    if user is None:
        return None
    agent = agent_ensure(user=user)
    _set_skills(agent, HUMAN_SKILLS, skills)
    return agent


def _customers() -> int:
    created = 0
    for name, phones, is_vip, notes in CUSTOMERS:
        if Customer.objects.filter(phones__overlap=phones).exists():
            continue
        Customer.objects.create(name=name, phones=phones, is_vip=is_vip, notes=notes)
        created += 1
    return created


def _numbers(queue: Queue) -> list[PhoneNumber]:
    numbers = list(PhoneNumber.objects.all())
    for number in numbers:
        fields = []
        if number.sim_arrivals_per_hour <= 0:
            number.sim_arrivals_per_hour = DEMO_ARRIVALS_PER_HOUR
            fields.append("sim_arrivals_per_hour")
        if number.ivr_flow_id is None and number.queue_id is None:
            number.queue = queue
            fields.append("queue")
        if fields:
            number.save(update_fields=fields)
    # The demo runs at any hour: the IVR's opening hours are 24/7 in the demo tenant.
    always = [["00:00", "24:00"]]

    for hours in BusinessHours.objects.filter(name__in=default_hours_names()):
        weekly = {day: always for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
        if hours.weekly != weekly or hours.follow_chinese_holidays:
            hours.weekly = weekly
            hours.follow_chinese_holidays = False
            hours.save(update_fields=["weekly", "follow_chinese_holidays"])
    return numbers


def _tenant_defaults(tenant) -> None:
    """A demo tenant provisioned before the telephony seeders existed lacks their rows: add them."""
    with translation.override(tenant.default_language or "zh-hans"):
        for code, name, is_system, productive in PAUSE_REASONS:
            PauseReason.objects.get_or_create(
                code=code, defaults={"name": _(name), "is_system": is_system, "counts_as_productive": productive}
            )
        for code, name, resolved in DISPOSITIONS:
            Disposition.objects.get_or_create(code=code, defaults={"name": _(name), "is_resolved": resolved})
    seed_default_ivr(tenant)  # does nothing if the tenant has its main flow already


def demo_traffic_setup(tenant) -> dict[str, int]:
    """Prepare ``tenant`` (the demo) for simulated traffic; safe to run on every ``make run``."""
    with tenant_context(tenant), transaction.atomic():
        skills = _skills()
        queues = _queues(skills)
        _tenant_defaults(tenant)
        virtual = _virtual_agents(skills)
        human = _human_agent(skills)
        customers = _customers()
        numbers = _numbers(queues["general"])
    campaign = demo_campaign_setup(tenant)
    return {
        "queues": len(queues),
        "virtual_agents": len(virtual),
        "human_agent": 1 if human else 0,
        "customers_created": customers,
        "numbers": len(numbers),
        "campaign_contacts_created": campaign["contacts_created"],
    }
