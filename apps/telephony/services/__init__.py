from .plant import (
    phone_number_update,
    seat_delete,
    seat_reset_secret,
    seats_add,
    trunk_create_default,
    trunk_update,
)

__all__ = [
    "phone_number_update",
    "seat_delete",
    "seat_reset_secret",
    "seats_add",
    "trunk_create_default",
    "trunk_update",
]
