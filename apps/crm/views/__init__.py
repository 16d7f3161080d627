"""CRM pages, one module per concern; the customer views keep their old import path."""

from .customers import customer_delete_view, customer_detail, customer_edit, customer_list, customer_new

__all__ = ["customer_delete_view", "customer_detail", "customer_edit", "customer_list", "customer_new"]
