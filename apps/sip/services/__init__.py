from .routing import RouteDecision, call_uid, did_blocked, did_route
from .trunks import trunk_address_add, trunk_address_remove, trunk_gateways

__all__ = [
    "RouteDecision",
    "call_uid",
    "did_blocked",
    "did_route",
    "trunk_address_add",
    "trunk_address_remove",
    "trunk_gateways",
]
