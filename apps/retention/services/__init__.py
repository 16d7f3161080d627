from .retention import (
    legal_hold_place,
    legal_hold_release,
    retention_days,
    retention_policy_get,
    retention_policy_update,
    retention_purge,
)

__all__ = [
    "legal_hold_place",
    "legal_hold_release",
    "retention_days",
    "retention_policy_get",
    "retention_policy_update",
    "retention_purge",
]
