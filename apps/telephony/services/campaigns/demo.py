"""The demo tenant's outbound campaign, for ``make run``.

:func:`demo_campaign_setup` (idempotent; called from ``demo_traffic_setup``) prepares

* a skill and a queue ``outbound`` (most skilled first, 10 s wrap-up);
* four virtual agents ``vagent09…12@demo.local`` with only that skill, logged in and Ready, so
  that predictive pacing has a team to work with and the inbound demo keeps its own agents;
* the human demo agent ``agent@demo.local`` at the top level of that skill: when they are Ready,
  the next live answer is theirs;
* a predictive draft campaign with a script that uses standard and custom fields, an abandon
  message, dispositions with retry and do-not-call meanings, and a 30-contact list already
  imported — an administrator starts it from the campaign page.

The demo runs at any hour, so the campaign's calling window is the whole day, every day,
holidays included; a real campaign keeps 08:00–21:00 (DOMAIN.md §6).
"""

from __future__ import annotations

import csv
import datetime
import io

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django_tenants.utils import tenant_context

from apps.accounts.choices import Role
from apps.accounts.models import User
from apps.telephony import agent_states
from apps.telephony.choices import ContactListStatus, ExportFormat
from apps.telephony.models import (
    Agent,
    AgentSkill,
    Campaign,
    Contact,
    ContactList,
    Disposition,
    Queue,
    QueueSkill,
    Seat,
    Skill,
)
from apps.telephony.services.agent_state import agent_ensure, agent_set_state
from apps.telephony.services.campaigns.lifecycle import campaign_create, retry_rules_set

CAMPAIGN_NAME = "春季续约回访 Spring renewals (demo)"
LIST_NAME = "demo-contacts.csv"
QUEUE_CODE = "outbound"
SKILL_CODE = "outbound"
HUMAN_AGENT_EMAIL = "agent@demo.local"
VIRTUAL_AGENTS = [
    ("vagent09@demo.local", "周杰"),
    ("vagent10@demo.local", "吴芳"),
    ("vagent11@demo.local", "郑伟"),
    ("vagent12@demo.local", "孙丽"),
]
SCRIPT = (
    "您好，请问是{{contact.name}}吗？我是 Acme 客服中心的座席。\n"
    "您购买的「{{contact.product}}」将于 {{contact.renewal_date}} 到期，现在续约可享 9 折优惠。\n"
    "Hello {{contact.name}}, this is Acme: your {{contact.product}} plan renews on {{contact.renewal_date}}; "
    "renewing today saves 10%."
)
ABANDON_MESSAGE = "这里是 Acme 客服中心，抱歉暂时没有座席接听，请回拨 400-800-1000。This is Acme; please call us back on 400 800 1000."
FIRST_NAMES = ["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋"]
SURNAMES = ["王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴"]
PRODUCTS = ["宽带 200M", "企业云盘", "家庭套餐"]
CONTACTS = 30


def _queue() -> Queue:
    skill, _created = Skill.objects.get_or_create(code=SKILL_CODE, defaults={"name": "外呼 Outbound"})
    queue, _created = Queue.objects.get_or_create(
        code=QUEUE_CODE,
        defaults={"name": "外呼 Outbound", "priority": 5, "strategy": "most_skilled", "wrapup_seconds": 10},
    )
    QueueSkill.objects.get_or_create(queue=queue, skill=skill, defaults={"min_level": 1})
    return queue


def _agents(skill: Skill) -> int:
    free_seats = list(Seat.objects.filter(agent__isnull=True).order_by("extension"))
    count = 0
    for email, name in VIRTUAL_AGENTS:
        user = User.objects.filter(email=email).first() or User.objects.create_user(
            email, None, name=name, roles=[Role.AGENT]
        )
        agent, _created = Agent.objects.get_or_create(user=user, defaults={"is_virtual": True})
        AgentSkill.objects.update_or_create(agent=agent, skill=skill, defaults={"level": 5})
        if agent.seat_id is None and free_seats:
            agent.seat = free_seats.pop(0)
            agent.save(update_fields=["seat"])
        if agent.seat_id is not None and agent.state in (agent_states.OFFLINE, agent_states.NOT_READY):
            agent_set_state(agent=agent, state=agent_states.READY, source=agent_states.ENGINE)
        count += 1
    human = User.objects.filter(email=HUMAN_AGENT_EMAIL).first()
    if human is not None:
        AgentSkill.objects.update_or_create(agent=agent_ensure(user=human), skill=skill, defaults={"level": 10})
        count += 1
    return count


def _contact_rows() -> list[list[str]]:
    today = timezone.localdate()
    rows = [["姓名", "手机号码", "产品 product", "续约日期 renewal_date"]]
    for index in range(CONTACTS):
        name = SURNAMES[index % len(SURNAMES)] + FIRST_NAMES[(index * 3) % len(FIRST_NAMES)]
        phone = f"1380013{8000 + index:04d}"
        renewal = today + datetime.timedelta(days=7 + index % 21)
        rows.append([name, phone, PRODUCTS[index % len(PRODUCTS)], renewal.isoformat()])
    return rows


def _contact_list(campaign: Campaign) -> int:
    """The list as if imported from a file: the stored CSV and its contacts (no Celery needed)."""
    rows = _contact_rows()
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    now = timezone.now()
    contact_list = ContactList(
        campaign=campaign,
        name=LIST_NAME,
        file_format=ExportFormat.CSV,
        encoding="utf-8",
        columns=rows[0],
        sample=rows[1:6],
        mapping={
            rows[0][0]: "name",
            rows[0][1]: "phone",
            rows[0][2]: "custom.product",
            rows[0][3]: "custom.renewal_date",
        },
        status=ContactListStatus.DONE,
        rows_total=len(rows) - 1,
        rows_processed=len(rows) - 1,
        rows_imported=len(rows) - 1,
        progress_percent=100,
        started_at=now,
        finished_at=now,
    )
    contact_list.file.save(LIST_NAME, ContentFile(buffer.getvalue().encode("utf-8")), save=False)
    contact_list.save()
    Contact.objects.bulk_create(
        [
            Contact(
                campaign=campaign,
                contact_list=contact_list,
                name=name,
                phone=f"+86{phone}",
                time_zone="Asia/Shanghai",
                data={"product": product, "renewal_date": renewal},
                next_attempt_at=now,
            )
            for name, phone, product, renewal in rows[1:]
        ]
    )
    return len(rows) - 1


def _disposition_rules() -> list[dict]:
    """ "Needs follow-up" is tried again the next day; "do not call me" closes the number for good.
    A tenant without those dispositions (renamed, deleted) simply gets the defaults."""
    codes = set(Disposition.objects.filter(code__in=("follow_up", "do_not_call")).values_list("code", flat=True))
    rules: list[dict] = []
    if "follow_up" in codes:
        rules.append({"disposition": "follow_up", "retry": True, "min_gap_minutes": 1440, "max_attempts": 3})
    if "do_not_call" in codes:
        rules.append({"disposition": "do_not_call", "retry": False, "do_not_call": True})
    return rules


def demo_campaign_setup(tenant) -> dict[str, int]:
    """Prepare the demo's outbound campaign in ``tenant``; safe to run on every ``make run``."""
    with tenant_context(tenant), transaction.atomic():
        queue = _queue()
        agents = _agents(Skill.objects.get(code=SKILL_CODE))
        campaign = Campaign.objects.filter(name=CAMPAIGN_NAME).first()
        created = campaign is None
        if campaign is None:
            campaign = campaign_create(
                name=CAMPAIGN_NAME,
                description="Demo: dials simulated numbers at any hour. 演示活动：全天拨打模拟号码。",
                type="callback_visit",
                dial_mode="predictive",
                queue=queue.pk,
                window_start="00:00",
                window_end="23:59",
                skip_holidays=False,
                abandon_message=ABANDON_MESSAGE,
                script=SCRIPT,
                ring_timeout_seconds=20,
            )
            retry_rules_set(
                campaign=campaign,
                rules=[
                    {"outcome": "busy", "retry": True, "min_gap_minutes": 10, "max_attempts": 4},
                    {"outcome": "no_answer", "retry": True, "min_gap_minutes": 30, "max_attempts": 3},
                    {"outcome": "machine", "retry": True, "min_gap_minutes": 60, "max_attempts": 2},
                    {"outcome": "failed", "retry": True, "min_gap_minutes": 30, "max_attempts": 2},
                    {"outcome": "abandoned", "retry": True, "min_gap_minutes": 15, "max_attempts": 3},
                    *_disposition_rules(),
                ],
            )
        contacts = 0
        if not ContactList.objects.filter(campaign=campaign).exists():
            contacts = _contact_list(campaign)
    return {"campaign_created": int(created), "contacts_created": contacts, "outbound_agents": agents}
