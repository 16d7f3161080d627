from .tenant import Domain, Plan, Tenant
from .usage import PoolNumber, SeatUsageDay, SipDirectoryEntry, UsageEvent

__all__ = ["Domain", "Plan", "PoolNumber", "SeatUsageDay", "SipDirectoryEntry", "Tenant", "UsageEvent"]
