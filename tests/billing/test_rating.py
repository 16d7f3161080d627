"""Rating arithmetic: proration per day held, per-minute rates, rounding per line (no database)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from apps.billing.rating import Prices, UsageTotal, decimal_text, lines_total, money, rate_month

FEBRUARY = date(2026, 2, 1)  # 28 days
MARCH = date(2026, 3, 1)  # 31 days
PRICES = Prices(
    seat_month=Decimal("100.00"),
    plan_name_en="Standard",
    plan_name_zh="标准版",
    number_month=Decimal("30.00"),
    storage_gb_month=Decimal("1.00"),
)


def _total(item, quantity, ref="", rate=None, label=""):
    return UsageTotal(item=item, ref=ref, ref_label=label, rate=rate, quantity=Decimal(quantity))


def test_seats_are_prorated_per_seat_day():
    # 3 seats for 10 days of February: 100 ÷ 28 = 3.571429 per seat-day × 30 = 107.14287 → 107.14
    [line] = rate_month(month=FEBRUARY, usage=[_total("seat_days", 30)], prices=PRICES)
    assert line.unit_price == Decimal("3.571429")
    assert line.amount == Decimal("107.14")
    assert (line.unit, line.quantity) == ("seat_day", Decimal(30))
    assert "Standard" in line.description_en and "标准版" in line.description_zh


def test_a_whole_month_costs_the_monthly_price():
    for month, days in ((FEBRUARY, 28), (MARCH, 31), (date(2026, 4, 1), 30)):
        lines = rate_month(
            month=month,
            usage=[
                _total("seat_days", days * 2),
                _total("trunk_days", days, ref="7", rate=Decimal("310.00"), label="T"),
            ],
            prices=PRICES,
        )
        assert [line.amount for line in lines] == [Decimal("200.00"), Decimal("310.00")]


def test_minutes_use_the_trunk_rate_by_direction_and_the_inbound_override():
    usage = [
        _total("minutes_inbound", 7, ref="1", rate=Decimal("0.1200"), label="CT"),
        _total("minutes_outbound", 7, ref="1", rate=Decimal("0.1200"), label="CT"),
    ]
    inbound, outbound = rate_month(month=MARCH, usage=usage, prices=PRICES)
    assert (inbound.amount, outbound.amount) == (Decimal("0.84"), Decimal("0.84"))
    override = Prices(**{**PRICES.__dict__, "inbound_per_minute": Decimal("0.0500")})
    inbound, outbound = rate_month(month=MARCH, usage=usage, prices=override)
    assert (inbound.unit_price, inbound.amount, outbound.amount) == (
        Decimal("0.0500"),
        Decimal("0.35"),
        Decimal("0.84"),
    )


def test_each_line_rounds_half_up_to_the_fen_and_the_total_adds_the_lines():
    assert money(Decimal("0.005")) == Decimal("0.01")  # banker's rounding would give 0.00
    assert money(Decimal("0.0049")) == Decimal("0.00")
    usage = [
        _total("minutes_outbound", 1, ref="1", rate=Decimal("0.0050"), label="A"),
        _total("minutes_outbound", 1, ref="2", rate=Decimal("0.0050"), label="B"),
    ]
    lines = rate_month(month=MARCH, usage=usage, prices=PRICES)
    assert [line.amount for line in lines] == [Decimal("0.01"), Decimal("0.01")]
    assert lines_total(lines) == Decimal("0.02")  # rounded per line, not 0.01 on the sum


def test_numbers_and_storage_are_prorated_and_free_items_print_no_line():
    lines = rate_month(
        month=MARCH,
        usage=[
            _total("number_days", 31),
            _total("storage_gb_days", "15.5"),
            _total("trunk_days", 31, ref="3", rate=Decimal("0"), label="free"),
        ],
        prices=PRICES,
    )
    assert [(line.item, line.amount) for line in lines] == [
        ("number_days", Decimal("30.00")),
        ("storage_gb_days", Decimal("0.50")),
    ]


def test_a_rate_change_within_the_month_gives_two_lines_in_a_stable_order():
    usage = [
        _total("minutes_outbound", 10, ref="1", rate=Decimal("0.1000"), label="CT"),
        _total("minutes_outbound", 10, ref="1", rate=Decimal("0.0800"), label="CT"),
        _total("seat_days", 31),
    ]
    lines = rate_month(month=MARCH, usage=usage, prices=PRICES)
    assert [(line.item, line.unit_price) for line in lines] == [
        ("seat_days", Decimal("3.225806")),
        ("minutes_outbound", Decimal("0.0800")),
        ("minutes_outbound", Decimal("0.1000")),
    ]
    assert lines == rate_month(month=MARCH, usage=list(reversed(usage)), prices=PRICES)


def test_decimal_text_is_plain():
    assert [decimal_text(Decimal(v)) for v in ("10", "1E+1", "0.500000", "3.225806")] == ["10", "10", "0.5", "3.225806"]
