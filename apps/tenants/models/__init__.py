from .tenant import Domain, Plan, Tenant
from .usage import PoolNumber, SeatUsageDay, SipDirectoryEntry, SpareSchema, UsageEvent

__all__ = ["Domain", "Plan", "PoolNumber", "SeatUsageDay", "SipDirectoryEntry", "SpareSchema", "Tenant", "UsageEvent"]
