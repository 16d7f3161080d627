"""Badge colours of ticket statuses and priorities (passed as ``kind`` to components/badge.html,
so the words keep their own meaning in other departments' badges)."""

from django import template

register = template.Library()

STATUS_KINDS = {
    "received": "info",
    "assigned": "info",
    "supervised": "warn",
    "in_progress": "info",
    "resolved": "good",
    "visited": "good",
    "closed": "neutral",
}
PRIORITY_KINDS = {"urgent": "bad", "high": "warn", "normal": "neutral", "low": "neutral"}
DUE_KINDS = {"overdue": "bad", "soon": "warn"}


@register.filter
def ticket_status_kind(status: str) -> str:
    return STATUS_KINDS.get(status, "neutral")


@register.filter
def ticket_priority_kind(priority: str) -> str:
    return PRIORITY_KINDS.get(priority, "neutral")


@register.filter
def ticket_due_kind(state: str) -> str:
    return DUE_KINDS.get(state, "neutral")
