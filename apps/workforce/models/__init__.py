"""The workforce app's tables, one module per aggregate; each adds its names to ``__all__`` (kept sorted)."""

from .clocking import ClockEvent, Handover
from .discipline import DisciplineWarning, DismissalReviewFlag
from .policy import WorkforcePolicy, WorkforceProfile
from .requests import LeaveApproval, LeaveRequest, OvertimeRequest, SwapRequest
from .shifts import RotationPattern, Shift, ShiftActivity, ShiftType

__all__: list[str] = [
    "ClockEvent",
    "DisciplineWarning",
    "DismissalReviewFlag",
    "Handover",
    "LeaveApproval",
    "LeaveRequest",
    "OvertimeRequest",
    "RotationPattern",
    "Shift",
    "ShiftActivity",
    "ShiftType",
    "SwapRequest",
    "WorkforcePolicy",
    "WorkforceProfile",
]
