"""Template filters of the QA pages."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def clock(value: float | int | str | None) -> str:
    """A moment of the recording as the player shows it: ``m:ss`` (``h:mm:ss`` past an hour);
    the same format as static/js/qa-workspace.js, so a saved comment reads as it did when added."""
    if value is None or value == "":
        return ""
    try:
        seconds = max(0, int(float(value)))
    except (TypeError, ValueError):
        return ""
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


@register.filter
def seconds_value(value: float | int | None) -> str:
    """A moment in seconds for a ``data-`` attribute or a hidden input: a dot decimal whatever the
    page's language (Chinese and English both use one, but a localised float must never leak)."""
    if value is None or value == "":
        return ""
    return f"{float(value):.2f}"
