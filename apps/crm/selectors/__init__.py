from .customers import (
    customer_by_phone,
    customer_history,
    customer_list,
    customers_by_phones,
    screen_pop,
    screen_pop_for_agent,
)

__all__ = [
    "customer_by_phone",
    "customer_history",
    "customer_list",
    "customers_by_phones",
    "screen_pop",
    "screen_pop_for_agent",
]
