"""The CRM app's tables, one module per aggregate; each adds its names to ``__all__`` (kept sorted)."""

from .customers import Customer
from .tickets import (
    OPEN_STATUSES,
    Department,
    SlaTarget,
    Ticket,
    TicketAttachment,
    TicketCategory,
    TicketCounter,
    TicketEvent,
    TicketNote,
    TicketVisit,
)

__all__: list[str] = [
    "OPEN_STATUSES",
    "Customer",
    "Department",
    "SlaTarget",
    "Ticket",
    "TicketAttachment",
    "TicketCategory",
    "TicketCounter",
    "TicketEvent",
    "TicketNote",
    "TicketVisit",
]
