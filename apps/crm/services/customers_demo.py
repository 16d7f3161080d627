"""Demo customers' depth for ``ensure_demo`` (make run): two custom fields — 会员等级 (a choice
everyone sees) and 身份证号 (sensitive and unique: whole for administrators, ``1101**********1234``
for agents and supervisors) — and values, e-mail addresses and tags on the demo customers the
telephony demo creates (apps/telephony/services/demo.py ``CUSTOMERS``). Idempotent and fast: a
field that exists is left as the company changed it, and a value already set is kept."""

from __future__ import annotations

from django.db import transaction
from django_tenants.utils import schema_context

from apps.core.errors import ApplicationError
from apps.crm.models import Customer, CustomField
from apps.crm.services.custom_fields import custom_field_create
from apps.crm.services.customers import customer_update

LEVEL, ID_NUMBER = "member_level", "id_number"
# phone → (会员等级, 身份证号, e-mail, tags, VIP level)
DEMO_VALUES = {
    "13801380001": ("金卡", "310101198001011234", "service@qihang.example", ["大客户", "合同"], 1),
    "13901390002": ("金卡", "110108198503152345", "it@huaxin.example", ["技术支持"], 2),
    "13701370003": ("银卡", "440103199002283456", "billing@nanyue.example", ["发票"], 3),
    "13601360004": ("普通", "110101196805054567", "", [], 0),
    "13501350005": ("银卡", "320102197712125678", "lixiuying@example.com", ["投诉", "回访"], 0),
    "15801580007": ("普通", "", "liu.li@example.com", ["English"], 0),
    "13301330011": ("普通", "", "emily.chen@example.com", ["English"], 0),
}


def _fields() -> None:
    if not CustomField.objects.filter(key=LEVEL).exists():
        custom_field_create(
            actor=None, key=LEVEL, label="会员等级", field_type="choice", choices=["金卡", "银卡", "普通"], position=0
        )
    if not CustomField.objects.filter(key=ID_NUMBER).exists():
        custom_field_create(
            actor=None, key=ID_NUMBER, label="身份证号", field_type="text", sensitive=True, unique=True, position=1
        )


@transaction.atomic
def crm_customers_demo_ensure(schema_name: str) -> int:
    """Seed the fields and fill what the demo customers lack; returns how many customers changed."""
    changed = 0
    with schema_context(schema_name):
        _fields()
        known = {key for key in CustomField.objects.values_list("key", flat=True)}
        for phone, (level, id_number, email, tags, vip_level) in DEMO_VALUES.items():
            customer = Customer.objects.filter(phones__contains=[phone]).first()
            if customer is None:
                continue
            custom = {
                key: value
                for key, value in ((LEVEL, level), (ID_NUMBER, id_number))
                if value and key in known and key not in customer.custom
            }
            update: dict = {}
            if custom:
                update["custom"] = custom
            if email and not customer.emails:
                update["emails"] = [email]
            if tags and not customer.tags:
                update["tags"] = tags
            if vip_level and not customer.vip_level:
                update["vip_level"] = vip_level
            if update:
                try:
                    with transaction.atomic():
                        customer_update(customer=customer, **update)
                except ApplicationError:
                    continue  # the company changed its data meanwhile (a value taken): leave it
                changed += 1
    return changed
