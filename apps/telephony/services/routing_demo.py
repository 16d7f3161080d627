"""Demo data for bullseye routing and inbound agent scripts, for ``ensure_demo`` (make run).

The demo's **billing** queue routes by bullseye (its best billing agent first, then level 6+
after 15 s, anyone with the skill after 30 s) and the **general** and **billing** queues get an
agent script that uses the demo customers' data (name, VIP level, the member level custom field
and the masked ID number) and an IVR variable. Idempotent and respectful of edits: a queue whose
script or strategy an administrator already changed is left alone."""

from __future__ import annotations

from django_tenants.utils import schema_context

from apps.telephony.choices import RoutingStrategy
from apps.telephony.models import Queue
from apps.telephony.services.routing import queue_update

BILLING_RINGS = [
    {"min_level": 8, "after_seconds": 0},
    {"min_level": 6, "after_seconds": 15},
    {"min_level": 1, "after_seconds": 30},
]
SCRIPTS = {
    "general": (
        "您好，{{customer.name}}！我是工号 ____ 的客服，很高兴为您服务。\n"
        "（会员等级：{{customer.member_level}}；VIP 等级：{{customer.vip_level}}）\n"
        "来电号码 {{call.caller}}。如客户在语音导航中输入了订单号，请先核对：{{ivr.order_no}}\n"
        "核实身份时请客户报出证件号后四位（系统显示：{{customer.id_number}}）。"
    ),
    "billing": (
        "您好，{{customer.name}}，这里是账务服务（{{call.queue}}）。\n"
        "请先确认开票抬头与邮箱，再说明本次账务问题的处理时限。\n"
        "会员等级：{{customer.member_level}}"
    ),
}


def routing_demo_ensure(schema_name: str) -> int:
    """Set the demo queues' scripts and the billing queue's bullseye rings where still unset;
    returns how many queues changed."""
    changed = 0
    with schema_context(schema_name):
        for code, script in SCRIPTS.items():
            queue = Queue.objects.filter(code=code, is_scratch=False).first()
            if queue is None:
                continue
            settings: dict = {}
            if not queue.script:
                settings["script"] = script
            if code == "billing" and queue.strategy == RoutingStrategy.LONGEST_IDLE and not queue.bullseye_rings:
                settings.update(strategy=RoutingStrategy.BULLSEYE, bullseye_rings=BILLING_RINGS)
            if settings:
                queue_update(queue=queue, **settings)
                changed += 1
    return changed
