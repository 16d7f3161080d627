from .plant import PhoneNumber, Seat, Trunk

__all__ = ["PhoneNumber", "Seat", "Trunk"]
