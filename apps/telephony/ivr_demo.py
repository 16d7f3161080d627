"""The demo tenant's self-service IVR (issue 18 item 2): an order-status line that looks the
order up on an HTTP endpoint and speaks the answer.

- :func:`ivr_self_service_demo_ensure` (called by ``ensure_demo``; idempotent) publishes the flow
  "Order status (self-service)" in the demo tenant. It is not routed to a number (the demo's
  numbers keep the main menu): route one to it on /console/ivr/, or walk it with the test call.
- ``manage.py ivr_lookup_demo`` (a process of ``make run``) is the endpoint: it checks each
  request's signature with the tenant's integration secret and answers from :func:`demo_order`.
  It listens on 127.0.0.1:9010, which only the development settings let the IVR call
  (``WEBHOOKS_ALLOW_PRIVATE_ADDRESSES``).
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django_tenants.utils import schema_context

from apps.telephony.choices import IvrFlowStatus
from apps.telephony.models import IvrFlow, IvrFlowVersion, Queue

DEMO_PORT = 9010
DEMO_URL = f"http://127.0.0.1:{DEMO_PORT}/orders"
DEMO_FLOW_NAME = "Order status (self-service)"

# Order number → (status, amount in yuan, days until delivery or None).
DEMO_ORDERS = {
    "1001": ("shipped", "128.50", 2),
    "1002": ("processing", "2399.00", 5),
    "1003": ("delivered", "36.80", None),
}


def demo_order(order: str, today: dt.date | None = None) -> dict:
    """The endpoint's answer for ``order``: ``{"found", "status", "amount", "delivery"}``."""
    found = DEMO_ORDERS.get(order.strip())
    if found is None:
        return {"found": False, "status": "unknown"}
    status, amount, days = found
    day = (today or timezone.localdate()) + dt.timedelta(days=days or 0)
    return {"found": True, "status": status, "amount": amount, "delivery": day.isoformat() if days else ""}


def demo_graph(queue_id: int, url: str = DEMO_URL) -> dict:
    """Order number → lookup → per status: when it arrives and what it cost → an agent on 0."""
    return {
        "start": "ask",
        "nodes": {
            "ask": {
                "type": "gather",
                "label": "Order number",
                "prompt": "请输入订单号，以井号键结束。Please enter your order number, then press #.",
                "max_digits": 8,
                "timeout": 8,
                "variable": "order",
                "next": "lookup",
            },
            "lookup": {
                "type": "http",
                "label": "Look up the order",
                "url": url,
                "timeout_ms": 2000,
                "variable_prefix": "order",
                "next": "status",
                "fallback": "unavailable",
            },
            "status": {
                "type": "branch",
                "label": "Order status",
                "variable": "order_status",
                "conditions": [
                    {"op": "equals", "value": "shipped", "next": "shipped"},
                    {"op": "equals", "value": "processing", "next": "processing"},
                    {"op": "equals", "value": "delivered", "next": "delivered"},
                ],
                "default": "not_found",
            },
            "shipped": {
                "type": "play",
                "prompt": "您的订单已发货，预计送达日期：Your order has shipped and arrives on",
                "next": "say_delivery",
            },
            "processing": {
                "type": "play",
                "prompt": "您的订单正在处理中，预计送达日期：Your order is being prepared; it arrives on",
                "next": "say_delivery",
            },
            "say_delivery": {"type": "say", "kind": "date", "variable": "order_delivery", "next": "amount_intro"},
            "delivered": {
                "type": "play",
                "prompt": "您的订单已送达。Your order has been delivered.",
                "next": "amount_intro",
            },
            "amount_intro": {"type": "play", "prompt": "订单金额：The order total is", "next": "say_amount"},
            "say_amount": {"type": "say", "kind": "amount", "variable": "order_amount", "next": "more"},
            "not_found": {
                "type": "play",
                "prompt": "没有找到该订单。We could not find that order.",
                "next": "more",
            },
            "unavailable": {
                "type": "play",
                "prompt": "查询服务暂时不可用。Order lookup is unavailable right now.",
                "next": "agent",
            },
            "more": {
                "type": "menu",
                "prompt": "人工服务请按0，结束请挂机。Press 0 for an agent, or hang up.",
                "options": {"0": "agent"},
                "agent_options": ["0"],
                "retries": 0,
            },
            "agent": {"type": "queue", "queue": queue_id},
        },
    }


def ivr_self_service_demo_ensure(tenant_schema: str) -> int | None:
    """The demo's self-service flow, published (made the first time); its id, or ``None`` when the
    tenant has no queue to hand callers to. Written directly (not through the publishing service):
    its endpoint is on loopback, which only the development settings accept."""
    with schema_context(tenant_schema):
        existing = IvrFlow.objects.filter(name=DEMO_FLOW_NAME).values_list("pk", flat=True).first()
        if existing is not None:
            return existing
        queue = Queue.objects.filter(code="general").first() or Queue.objects.order_by("pk").first()
        if queue is None:
            return None
        flow = IvrFlow.objects.create(
            name=DEMO_FLOW_NAME,
            description="Self-service demo: enter order 1001, 1002 or 1003. Endpoint: manage.py ivr_lookup_demo.",
        )
        IvrFlowVersion.objects.create(
            flow=flow,
            number=1,
            status=IvrFlowStatus.PUBLISHED,
            graph=demo_graph(queue.pk),
            published_at=timezone.now(),
        )
        return flow.pk
