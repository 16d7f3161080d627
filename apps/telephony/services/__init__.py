from .plant import (
    phone_number_update,
    plant_seed,
    seat_delete,
    seat_reset_secret,
    seats_add,
    service_number_attach,
    trunk_create_default,
    trunk_update,
)

__all__ = [
    "phone_number_update",
    "plant_seed",
    "seat_delete",
    "seat_reset_secret",
    "seats_add",
    "service_number_attach",
    "trunk_create_default",
    "trunk_update",
]
