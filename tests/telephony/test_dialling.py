"""The dialling rule (apps/telephony/dialer/dialling.py): plain functions, no database."""

from __future__ import annotations

import pytest

from apps.telephony.dialer import dialling
from apps.telephony.dialer.dialling import Rules, caller_id_matches, check_number, classify, normalise_prefix

DEFAULT = Rules()


@pytest.mark.parametrize(
    ("raw", "e164", "kind"),
    [
        ("138 0013 8000", "+8613800138000", dialling.KIND_MOBILE),
        ("+86 138-0013-8000", "+8613800138000", dialling.KIND_MOBILE),
        ("008613800138000", "+8613800138000", dialling.KIND_MOBILE),
        ("+86 (0)21 5555 1234", "+862155551234", dialling.KIND_LANDLINE),
        ("010 6552 9988", "+861065529988", dialling.KIND_LANDLINE),
        ("0951 1234567", "+869511234567", dialling.KIND_LANDLINE),
        ("(021) 5555-1234", "+862155551234", dialling.KIND_LANDLINE),
        ("95588", "+8695588", dialling.KIND_SHORT),
        ("16812345", "+8616812345", dialling.KIND_SHORT),
        ("19001234567", "+8619001234567", dialling.KIND_MOBILE),
        ("+85221234567", "+85221234567", dialling.KIND_INTERNATIONAL),
        ("0044 20 7946 0018", "+442079460018", dialling.KIND_INTERNATIONAL),
    ],
)
def test_numbers_are_read_the_chinese_way(raw, e164, kind):
    number = classify(raw)
    assert number is not None
    assert (number.e164, number.kind) == (e164, kind)


@pytest.mark.parametrize("raw", ["", "12ab", "+", "00", "1" * 21, None])
def test_non_numbers_are_not_classified(raw):
    assert classify(raw) is None
    assert check_number(raw, DEFAULT).code == "invalid"


@pytest.mark.parametrize("raw", ["13800138000", "+8613800138000", "01065529988", "0951 1234567", "10086", "4008001000"])
def test_chinese_mobiles_landlines_and_service_numbers_are_allowed_by_default(raw):
    assert check_number(raw, DEFAULT).allowed


@pytest.mark.parametrize(
    ("raw", "matched"),
    [
        ("16012345", "160"),  # 声讯台, dialled as a short number
        ("16812345678", "168"),
        ("125901234", "1259"),
        ("+8616012345", "+86160"),
        ("+19005551234", "+1900"),
        ("+449012345678", "+449"),
        ("+88163123456", "+881"),
        ("95588", "95"),  # the tenant's default list: national short codes
        ("96169", "96"),
    ],
)
def test_premium_and_blocked_prefixes_are_refused_first(raw, matched):
    verdict = check_number(raw, Rules(allow_international=True, allowed_prefixes=("+",)))
    assert (verdict.code, verdict.matched) == ("dial_premium", matched)


def test_a_95_short_code_block_does_not_touch_the_0951_area_code():
    assert check_number("0951 1234567", DEFAULT).allowed
    assert check_number("95588", DEFAULT).code == "dial_premium"


def test_190_mobiles_are_customers_not_premium():
    assert check_number("19001234567", DEFAULT).allowed


def test_premium_rate_ranges_known_to_libphonenumber_are_blocked_even_if_not_listed():
    # +1 900 is listed; Switzerland's 0900 is not in PLATFORM_BLOCKED but libphonenumber knows it.
    verdict = check_number("+41900123456", Rules(allow_international=True, allowed_prefixes=("+41",)))
    assert verdict.code == "dial_premium"


def test_international_is_off_by_default():
    verdict = check_number("+85221234567", DEFAULT)
    assert verdict.code == "dial_blocked_prefix"


def test_international_needs_the_switch_and_an_allowed_prefix():
    on_hk = Rules(allow_international=True, allowed_prefixes=("+86", "+852"))
    assert check_number("+85221234567", on_hk).allowed
    assert check_number("+442079460018", on_hk).code == "dial_blocked_prefix"
    assert check_number("+85221234567", Rules(allow_international=False, allowed_prefixes=("+86", "+852"))).code == (
        "dial_blocked_prefix"
    )


def test_allowed_prefixes_narrow_chinese_numbers_too():
    mobiles_only = Rules(allowed_prefixes=("+861",))
    assert check_number("13800138000", mobiles_only).allowed
    assert check_number("021 5555 1234", mobiles_only).code == "dial_blocked_prefix"


def test_platform_blocks_cannot_be_lifted_by_an_empty_tenant_list():
    assert check_number("16012345", Rules(blocked_prefixes=())).code == "dial_premium"
    assert check_number("95588", Rules(blocked_prefixes=())).allowed


@pytest.mark.parametrize(
    ("raw", "prefix"), [("+86 10", "+8610"), ("0086", "+86"), ("95", "95"), ("+", None), ("abc", None)]
)
def test_prefixes_are_normalised(raw, prefix):
    assert normalise_prefix(raw) == prefix


def test_caller_id_matches_owned_numbers_in_any_written_form():
    owned = ["4008001000", "+861065529988"]
    assert caller_id_matches("010-6552-9988", owned)
    assert caller_id_matches("4008001000", owned)
    assert not caller_id_matches("13800138000", owned)
    assert not caller_id_matches("x", owned)
