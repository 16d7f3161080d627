from .customers import customer_create, customer_delete, customer_update
from .ticket_config import department_create, department_update, ticket_category_create, ticket_category_update
from .ticket_sla import tickets_sla_sweep
from .tickets import (
    ticket_assign,
    ticket_attach,
    ticket_change,
    ticket_close,
    ticket_create,
    ticket_follow_up,
    ticket_note,
    ticket_reopen,
    ticket_resolve,
    ticket_supervise,
    ticket_visit,
)

__all__ = [
    "customer_create",
    "customer_delete",
    "customer_update",
    "department_create",
    "department_update",
    "ticket_assign",
    "ticket_attach",
    "ticket_category_create",
    "ticket_category_update",
    "ticket_change",
    "ticket_close",
    "ticket_create",
    "ticket_follow_up",
    "ticket_note",
    "ticket_reopen",
    "ticket_resolve",
    "ticket_supervise",
    "ticket_visit",
    "tickets_sla_sweep",
]
