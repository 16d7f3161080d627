"""Template filters shared by the calls pages."""

from __future__ import annotations

from django import template

from apps.telephony.selectors.analysis import analysis_flag_labels as _flag_labels
from apps.telephony.selectors.analysis import analysis_of

register = template.Library()


@register.filter
def whole_seconds(value: float | int | None) -> int:
    """A duration rounded to whole seconds, as an int so that ``blocktrans count`` picks the
    plural form ("1 second", "2 seconds") — ``floatformat`` gives a string that cannot."""
    if value is None or value == "":
        return 0
    return int(round(float(value)))


@register.simple_tag
def call_analysis(call):
    """The call's analysis or None (the list selects it with the call: no query per row)."""
    return analysis_of(call)


@register.filter
def analysis_flag_labels(flags) -> list[tuple[str, str]]:
    return _flag_labels(flags or [])
