"""Custom fields of customers: each type's validation, required, unique, masking, the definitions'
service and API (who may define them, audit), and values through the customer services."""

from __future__ import annotations

import pytest
from django_tenants.utils import tenant_context

from apps.audit.models import AuditEntry
from apps.core.errors import ApplicationError
from apps.crm.custom_fields import InvalidValue, clean_value, mask_text, present, visible_values
from apps.crm.models import Customer, CustomField
from apps.crm.services import customer_create, customer_update
from apps.crm.services.custom_fields import custom_field_create, custom_field_delete, custom_field_update
from apps.crm.services.customers_demo import crm_customers_demo_ensure


@pytest.fixture
def tenant(acme):
    with tenant_context(acme.tenant):
        yield acme


def field(**values) -> CustomField:
    defaults = {"key": "f", "label": "F", "field_type": "text", "choices": [], "unmasked_roles": ["tenant_admin"]}
    return CustomField(**{**defaults, **values})


# --- each type ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "raw", "stored"),
    [
        ("text", "  金卡会员 ", "金卡会员"),
        ("number", "1,200", 1200),
        ("number", "12.5", 12.5),
        ("number", 7, 7),
        ("date", "2026/03/07", "2026-03-07"),
        ("date", "2026-03-07T10:00", "2026-03-07"),
        ("phone", "+86 138-0013-8000", "+8613800138000"),
        ("email", " Li.Lei@Example.COM ", "li.lei@example.com"),
        ("text", "", None),
        ("number", None, None),
    ],
)
def test_each_type_stores_its_normal_form(kind, raw, stored):
    assert clean_value(field(field_type=kind), raw) == stored


@pytest.mark.parametrize(
    ("kind", "raw"),
    [
        ("number", "twelve"),
        ("number", True),
        ("number", "1e20"),
        ("date", "2026-02-30"),
        ("date", "next week"),
        ("phone", "call me"),
        ("email", "not-an-address"),
        ("text", "x" * 1001),
        ("text", ["a", "b"]),
    ],
)
def test_each_type_refuses_what_it_cannot_hold(kind, raw):
    with pytest.raises(InvalidValue):
        clean_value(field(field_type=kind), raw)


def test_choice_accepts_only_its_choices():
    levels = field(field_type="choice", choices=["金卡", "银卡"])

    assert clean_value(levels, "金卡") == "金卡"
    with pytest.raises(InvalidValue):
        clean_value(levels, "铜卡")


def test_multi_choice_keeps_the_choices_order_and_refuses_strangers():
    hobbies = field(field_type="multi_choice", choices=["足球", "音乐", "旅行"])

    assert clean_value(hobbies, "旅行，足球") == ["足球", "旅行"]
    assert clean_value(hobbies, ["音乐", "音乐"]) == ["音乐"]
    with pytest.raises(InvalidValue):
        clean_value(hobbies, ["音乐", "围棋"])


# --- masking --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("110101199003071234", "1101**********1234"),
        ("13800138000", "138****8000"),
        ("12345", "1***5"),
        ("ab", "**"),
    ],
)
def test_masks_keep_only_the_ends(value, masked):
    assert mask_text(value) == masked


def test_a_sensitive_value_is_whole_only_for_the_unmasked_roles():
    id_number = field(key="id_no", sensitive=True, unmasked_roles=["tenant_admin"])

    assert present(id_number, "110101199003071234", ["tenant_admin"]) == ("110101199003071234", False)
    assert present(id_number, "110101199003071234", ["agent", "supervisor"]) == ("1101**********1234", True)
    assert present(id_number, None, ["agent"]) == (None, False)


def test_fields_shown_to_some_roles_are_left_out_for_the_others():
    public = field(key="level", label="会员等级")
    secret = field(key="credit", label="Credit", visible_roles=["supervisor"])

    shown = visible_values([public, secret], {"level": "金卡", "credit": "A"}, ["agent"])

    assert [item["key"] for item in shown] == ["level"]


# --- the definitions --------------------------------------------------------------------------------------


def test_admin_defines_a_sensitive_field_audited(tenant):
    admin = tenant.admin()

    created = custom_field_create(actor=admin, key="id_no", label="身份证号", field_type="text", sensitive=True)

    assert created.unmasked_roles == ["tenant_admin"]
    entry = AuditEntry.objects.get(action="customer_field.created", target_id=str(created.pk))
    assert entry.after["sensitive"] is True


@pytest.mark.parametrize(
    ("values", "bad"),
    [
        ({"key": "9lives", "field_type": "text"}, "key"),
        ({"key": "level", "field_type": "colour"}, "field_type"),
        ({"key": "level", "field_type": "choice", "choices": []}, "choices"),
        ({"key": "level", "field_type": "text", "visible_roles": ["boss"]}, "visible_roles"),
        ({"key": "tags", "field_type": "multi_choice", "choices": ["a"], "unique": True}, "unique"),
    ],
)
def test_bad_definitions_are_refused_and_nothing_is_stored(tenant, values, bad):
    with pytest.raises(ApplicationError) as error:
        custom_field_create(actor=None, label="X", **values)

    assert bad in error.value.fields
    assert not CustomField.objects.exists()


def test_key_and_type_cannot_change(tenant):
    level = custom_field_create(actor=None, key="level", label="Level", field_type="text")

    with pytest.raises(ApplicationError) as error:
        custom_field_update(field=level, field_type="number")

    assert "field_type" in error.value.fields


def test_a_field_cannot_become_unique_over_duplicate_values(tenant):
    member = custom_field_create(actor=None, key="member_no", label="Member", field_type="text")
    customer_create(name="A", custom={"member_no": "M1"})
    customer_create(name="B", custom={"member_no": "M1"})

    with pytest.raises(ApplicationError) as error:
        custom_field_update(field=member, unique=True)

    assert error.value.code == "value_taken"


def test_deleting_a_field_removes_its_values(tenant):
    level = custom_field_create(actor=None, key="level", label="Level", field_type="text")
    customer = customer_create(name="A", custom={"level": "gold"})

    assert custom_field_delete(field=level, actor=None) == 1

    customer.refresh_from_db()
    assert customer.custom == {}
    assert AuditEntry.objects.filter(action="customer_field.deleted").exists()


# --- values through the customer services -------------------------------------------------------------------


def test_customer_values_are_stored_in_their_type(tenant):
    custom_field_create(actor=None, key="points", label="Points", field_type="number")
    custom_field_create(actor=None, key="birthday", label="Birthday", field_type="date")

    customer = customer_create(name="Li Lei", custom={"points": "300", "birthday": "1990/03/07"})

    customer.refresh_from_db()
    assert customer.custom == {"points": 300, "birthday": "1990-03-07"}


def test_a_required_field_must_have_a_value(tenant):
    custom_field_create(actor=None, key="level", label="会员等级", field_type="choice", choices=["金卡"], required=True)

    with pytest.raises(ApplicationError) as error:
        customer_create(name="Li Lei")

    assert "custom.level" in error.value.fields
    assert not Customer.objects.exists()


def test_a_unique_value_belongs_to_one_customer(tenant):
    custom_field_create(actor=None, key="id_no", label="身份证号", field_type="text", unique=True)
    first = customer_create(name="Li Lei", custom={"id_no": "110101199003071234"})

    with pytest.raises(ApplicationError) as error:
        customer_create(name="Twin", custom={"id_no": "110101199003071234"})

    assert error.value.code == "value_taken"
    assert "custom.id_no" in error.value.fields
    customer_update(customer=first, custom={"id_no": "110101199003071234"})  # its own value: fine


def test_an_unknown_or_invalid_custom_value_is_refused_on_its_key(tenant):
    custom_field_create(actor=None, key="points", label="Points", field_type="number")

    with pytest.raises(ApplicationError) as error:
        customer_create(name="Li Lei", custom={"points": "many", "colour": "red"})

    assert set(error.value.fields) == {"custom.points", "custom.colour"}


def test_update_changes_only_the_custom_keys_given(tenant):
    custom_field_create(actor=None, key="points", label="Points", field_type="number")
    custom_field_create(actor=None, key="level", label="Level", field_type="text")
    customer = customer_create(name="Li Lei", custom={"points": 1, "level": "gold"})

    customer_update(customer=customer, custom={"points": 2})
    customer_update(customer=customer, custom={"level": ""})

    customer.refresh_from_db()
    assert customer.custom == {"points": 2}


# --- the definitions API ----------------------------------------------------------------------------------------


def test_only_administrators_define_fields_everyone_reads_them(acme):
    body = {"key": "level", "label": "会员等级", "field_type": "choice", "choices": ["金卡", "银卡"]}

    assert acme.api(acme.user("supervisor")).post("/api/v1/customer-fields", body, format="json").status_code == 403
    created = acme.api(acme.admin()).post("/api/v1/customer-fields", body, format="json")
    listed = acme.api(acme.user("agent")).get("/api/v1/customer-fields")

    assert created.status_code == 201
    assert created.json()["choices"] == ["金卡", "银卡"]
    assert [row["key"] for row in listed.json()] == ["level"]


def test_field_definition_errors_are_400_with_fields(acme):
    response = acme.api(acme.admin()).post(
        "/api/v1/customer-fields", {"key": "Bad Key", "label": "x", "field_type": "text"}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "key" in response.json()["fields"]


def test_fields_hidden_from_a_role_are_not_listed_to_it(acme):
    with tenant_context(acme.tenant):
        custom_field_create(actor=None, key="credit", label="Credit", field_type="text", visible_roles=["supervisor"])

    assert acme.api(acme.user("agent")).get("/api/v1/customer-fields").json() == []
    assert len(acme.api(acme.user("supervisor")).get("/api/v1/customer-fields").json()) == 1


def test_admin_changes_and_deletes_a_field_over_the_api(acme):
    client = acme.api(acme.admin())
    created = client.post(
        "/api/v1/customer-fields", {"key": "level", "label": "L", "field_type": "text"}, format="json"
    )
    pk = created.json()["id"]

    changed = client.patch(f"/api/v1/customer-fields/{pk}", {"label": "会员等级", "sensitive": True}, format="json")
    refused = client.patch(f"/api/v1/customer-fields/{pk}", {"field_type": "number"}, format="json")

    assert changed.status_code == 200
    assert changed.json()["label"] == "会员等级"
    assert refused.status_code == 400
    assert client.delete(f"/api/v1/customer-fields/{pk}").status_code == 204


# --- the demo --------------------------------------------------------------------------------------------------


def test_demo_seeding_adds_fields_and_values_once(tenant):
    key_account = customer_create(name="上海启航贸易有限公司", phones=["13801380001"])

    assert crm_customers_demo_ensure(tenant.tenant.schema_name) == 1
    assert crm_customers_demo_ensure(tenant.tenant.schema_name) == 0

    key_account.refresh_from_db()
    assert key_account.custom == {"member_level": "金卡", "id_number": "310101198001011234"}
    assert key_account.vip_level == 1
    assert CustomField.objects.get(key="id_number").sensitive is True
