"""Template helpers of the shared page components (templates/components/, CONTRIBUTING.md).

Django's ``{% include … with … %}`` cannot build a list, so breadcrumbs are made with
``{% crumbs … as trail %}`` first; badges pick their colour from the state's name so that every
page shows the same state in the same colour.
"""

from __future__ import annotations

from django import template
from django.urls import NoReverseMatch, reverse

register = template.Library()

# A state's name → the badge colour (static/css/app.css .badge-<kind>). Unknown states are neutral.
BADGE_KINDS: dict[str, str] = {
    **dict.fromkeys(
        (
            "active",
            "ready",
            "answered",
            "completed",
            "done",
            "ok",
            "yes",
            "enabled",
            "registered",
            "published",
            "good",
            "acknowledged",
            "final",
            "accepted",
            "resolved",
            "closed",
            "visited",
        ),
        "good",
    ),
    **dict.fromkeys(
        (
            "talking",
            "ringing",
            "running",
            "in_progress",
            "busy",
            "dialing",
            "queued",
            "importing",
            "converting",
            "live",
            "info",
            "submitted",
            "open",
            "assigned",
            "received",
        ),
        "info",
    ),
    **dict.fromkeys(
        (
            "wrap_up",
            "wrapup",
            "not_ready",
            "paused",
            "pending",
            "draft",
            "scheduled",
            "stalled",
            "warn",
            "unregistered",
            "disputed",
            "supervised",
            "breached",
        ),
        "warn",
    ),
    **dict.fromkeys(
        (
            "suspended",
            "failed",
            "abandoned",
            "missed",
            "error",
            "blocked",
            "deleted",
            "disabled",
            "locked",
            "bad",
            "rejected",
        ),
        "bad",
    ),
}


@register.filter
def badge_kind(state: object) -> str:
    """``good`` / ``info`` / ``warn`` / ``bad`` / ``neutral`` for a state value such as ``"suspended"``."""
    key = str(state or "").strip().lower().replace("-", "_").replace(" ", "_")
    return BADGE_KINDS.get(key, "neutral")


@register.simple_tag
def crumbs(*parts: object) -> list[tuple[str, str]]:
    """Pairs of (label, target): ``{% crumbs _("Console") "home" _("Users") "" as trail %}``.

    A target with a ``/`` is a URL as it is, an empty one the current page (no link), anything
    else a URL name without arguments; a name that does not resolve on this host gives no link
    rather than a broken page.
    """
    trail: list[tuple[str, str]] = []
    items = list(parts)
    if len(items) % 2:
        items.append("")
    for label, target in zip(items[::2], items[1::2], strict=True):
        target = str(target or "")
        if target and "/" not in target:
            try:
                target = reverse(target)
            except NoReverseMatch:
                target = ""
        trail.append((str(label), target))
    return trail
