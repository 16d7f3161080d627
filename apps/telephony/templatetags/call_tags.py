"""Template filters shared by the calls pages."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def whole_seconds(value: float | int | None) -> int:
    """A duration rounded to whole seconds, as an int so that ``blocktrans count`` picks the
    plural form ("1 second", "2 seconds") — ``floatformat`` gives a string that cannot."""
    if value is None or value == "":
        return 0
    return int(round(float(value)))
