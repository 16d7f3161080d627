"""FilterSets shared by the API and the web lists, one module per concern."""

from .customers import CustomerFilterSet
from .tickets import TicketFilterSet

__all__ = ["CustomerFilterSet", "TicketFilterSet"]
