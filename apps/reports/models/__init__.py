"""Reports' own tables: KPI rollups (rollups.py), report runs and schedules (runs.py).

Each module adds its names to ``__all__`` below (kept sorted)."""

from .rollups import AgentStateRollup, CallRollup, RollupState
from .runs import ReportRun, ReportSchedule
from .settings import KpiSettings

__all__: list[str] = [
    "AgentStateRollup",
    "CallRollup",
    "KpiSettings",
    "ReportRun",
    "ReportSchedule",
    "RollupState",
]
