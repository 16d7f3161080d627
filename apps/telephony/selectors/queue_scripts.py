"""Reads behind the inbound agent scripts (apps/telephony/queue_scripts.py): the script of a
call as its agent sees it (a desk reloaded mid-call), and the console's preview."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from apps.accounts.choices import Role
from apps.crm.phones import normalize_phone
from apps.crm.selectors.customers import custom_field_list, custom_values_for, customer_by_phone
from apps.telephony.models import Call, Queue
from apps.telephony.queue_scripts import queue_script_render

SAMPLE_CALLER = "13800138000"


def call_ivr_variables(call: Call) -> dict[str, Any]:
    """The variables the IVR stored for a call, as the database keeps them (an empty dict when
    it kept none)."""
    for name in ("ivr_variables", "variables"):
        value = getattr(call, name, None)
        if isinstance(value, Mapping):
            return dict(value)
    data = getattr(call, "data", None)
    if isinstance(data, Mapping) and isinstance(data.get("variables"), Mapping):
        return dict(data["variables"])
    # The engine keeps them on the call's timeline when the caller leaves the IVR
    # (apps/telephony/engine/controller/ivr.py, event "ivr_variables").
    if isinstance(call, Call) and call.pk is not None:
        event = call.events.filter(kind="ivr_variables").order_by("-at", "-id").values_list("data", flat=True).first()
        if isinstance(event, Mapping) and isinstance(event.get("variables"), Mapping):
            return dict(event["variables"])
    return {}


def call_script(call: Call, customer: Mapping[str, Any] | None) -> str | None:
    """The agent script of an inbound queue call, filled in with ``customer`` (the screen pop as
    the agent sees it) and the call's IVR variables; None when the call has no queue script."""
    queue = call.queue
    if queue is None or not queue.script or call.direction != "inbound" or call.campaign_id is not None:
        return None
    return queue_script_render(
        queue.script,
        customer=customer,
        variables=call_ivr_variables(call),
        caller=call.caller,
        queue_name=queue.name,
    )


def _customer_as(phone: str, roles: Sequence[str]) -> tuple[dict[str, Any] | None, bool]:
    """A pop-like card of the customer whose number is ``phone`` as ``roles`` see it (masking
    applied), or a sample whose custom fields show their own keys; the flag says which."""
    customer = customer_by_phone(normalize_phone(phone)) if phone else None
    if customer is not None:
        return {
            "name": customer.name,
            "vip_level": customer.vip_level,
            "tags": list(customer.tags),
            "custom_fields": [
                {"key": item["key"], "value": item["display"]}
                for item in custom_values_for(customer, roles)
                if item["value"] is not None
            ],
        }, True
    sample = {
        "name": "‹customer.name›",
        "vip_level": "‹customer.vip_level›",
        "tags": "‹customer.tags›",
        "custom_fields": [{"key": field.key, "value": f"‹customer.{field.key}›"} for field in custom_field_list()],
    }
    return sample, False


def script_preview(
    queue: Queue, script: str, *, phone: str = "", variables: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The script as an agent (role ``agent``) would see it for a call from ``phone``: ``text``
    (plain), ``real`` (whether ``phone`` found a customer), ``custom_fields`` (their keys)."""
    customer, real = _customer_as(phone, [Role.AGENT])
    text = queue_script_render(
        script,
        customer=customer,
        variables=variables or {},
        caller=phone or SAMPLE_CALLER,
        queue_name=queue.name,
    )
    return {"text": text, "real": real, "custom_fields": [field.key for field in custom_field_list()]}
