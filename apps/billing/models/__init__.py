from .invoices import Invoice, InvoiceLine
from .prices import PriceList
from .usage import MeteredDay, UsageDay

__all__ = ["Invoice", "InvoiceLine", "MeteredDay", "PriceList", "UsageDay"]
