"""Template filters of the campaign pages."""

from __future__ import annotations

from decimal import Decimal

from django import template
from django.utils.formats import number_format

register = template.Library()


@register.filter
def percent(value: float | Decimal | None, digits: int = 2) -> str:
    """A fraction as a percentage (0.0312 → "3.12%"); "—" when there is nothing to show."""
    if value is None or value == "":
        return "—"
    return f"{number_format(Decimal(str(value)) * 100, decimal_pos=int(digits))}%"
