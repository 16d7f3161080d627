"""The CRM app's tables, one module per aggregate; each adds its names to ``__all__`` (kept sorted)."""

from .customer_imports import CustomerImport, CustomerImportRowError
from .customers import Customer, CustomerNote, CustomField
from .kb import Article, ArticleCategory, ArticleVersion, KbUsage, StandardPhrase
from .surveys import SurveyResponse, VisitTask
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
    "Article",
    "ArticleCategory",
    "ArticleVersion",
    "CustomField",
    "Customer",
    "CustomerImport",
    "CustomerImportRowError",
    "CustomerNote",
    "Department",
    "KbUsage",
    "SlaTarget",
    "StandardPhrase",
    "SurveyResponse",
    "Ticket",
    "TicketAttachment",
    "TicketCategory",
    "TicketCounter",
    "TicketEvent",
    "TicketNote",
    "TicketVisit",
    "VisitTask",
]
