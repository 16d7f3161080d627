"""Template filters of the campaign pages."""

from __future__ import annotations

from decimal import Decimal

from django import template
from django.utils.formats import number_format

from apps.telephony.selectors.campaigns.monitor import FIGURES

register = template.Library()


@register.filter
def percent(value: float | Decimal | None, digits: int = 2) -> str:
    """A fraction as a percentage (0.0312 → "3.12%"); "—" when there is nothing to show."""
    if value is None or value == "":
        return "—"
    return f"{number_format(Decimal(str(value)) * 100, decimal_pos=int(digits))}%"


@register.filter
def figure_label(key: str) -> str:
    """A campaign figure's label (selectors/campaigns/monitor.py FIGURES: defined once)."""
    return str(FIGURES[key][0])


@register.filter
def figure_help(key: str) -> str:
    """A campaign figure's definition, for its tooltip and the page's list of definitions."""
    return str(FIGURES[key][1])


@register.simple_tag
def campaign_figures(*keys: str) -> list[dict[str, str]]:
    """``[{key, label, definition}]`` of ``keys`` (all figures when none): the list of definitions."""
    return [{"key": key, "label": str(FIGURES[key][0]), "definition": str(FIGURES[key][1])} for key in keys or FIGURES]


@register.filter
def figure_id(key: str) -> str:
    """The id of a figure's definition on the page (``aria-describedby`` of its label)."""
    return "figure-def-" + key.replace(".", "-").replace("_", "-")
