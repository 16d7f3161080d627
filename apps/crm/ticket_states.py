"""Which action may move a ticket from which status, and where to (the one table of the life cycle).

received → assigned → (supervised) → in_progress → resolved → visited → closed; reopen goes back
to in_progress. Supervision (督办) may press a ticket at any open step and is repeated as often as
needed; the next follow-up puts it back in progress. A callback visit (回访) records the
customer's answers and closes the ticket in one step (the history shows "visited" then "closed").
"""

from __future__ import annotations

from enum import StrEnum

from apps.crm.choices import TicketStatus

S = TicketStatus
OPEN = frozenset({S.RECEIVED, S.ASSIGNED, S.SUPERVISED, S.IN_PROGRESS})
DONE = frozenset({S.RESOLVED, S.VISITED, S.CLOSED})


class TicketAction(StrEnum):
    ASSIGN = "assign"
    SUPERVISE = "supervise"
    FOLLOW_UP = "follow_up"
    RESOLVE = "resolve"
    VISIT = "visit"
    CLOSE = "close"
    REOPEN = "reopen"
    CHANGE = "change"  # priority, category, title, description
    NOTE = "note"  # internal notes and files: any status, no transition


# action → (statuses it may start from, status it leaves the ticket in; None: unchanged)
TRANSITIONS: dict[TicketAction, tuple[frozenset[str], str | None]] = {
    TicketAction.ASSIGN: (OPEN, S.ASSIGNED),
    TicketAction.SUPERVISE: (OPEN, S.SUPERVISED),
    TicketAction.FOLLOW_UP: (OPEN, S.IN_PROGRESS),
    TicketAction.RESOLVE: (OPEN, S.RESOLVED),
    TicketAction.VISIT: (frozenset({S.RESOLVED}), S.CLOSED),
    TicketAction.CLOSE: (frozenset({S.RESOLVED, S.VISITED}), S.CLOSED),
    TicketAction.REOPEN: (DONE, S.IN_PROGRESS),
    TicketAction.CHANGE: (OPEN, None),
    TicketAction.NOTE: (OPEN | DONE, None),
}


def allowed(action: TicketAction | str, status: str) -> bool:
    sources, _target = TRANSITIONS[TicketAction(action)]
    return status in sources


def target(action: TicketAction | str, status: str) -> str:
    """The status after ``action`` (the same one for actions that do not move the ticket)."""
    _sources, to = TRANSITIONS[TicketAction(action)]
    return to or status


def actions_from(status: str) -> list[TicketAction]:
    return [action for action in TicketAction if allowed(action, status)]
