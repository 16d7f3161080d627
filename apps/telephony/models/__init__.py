from .calls import AgentStateEvent, Call, CallbackRequest, CallEvent, Recording, RecordingAccess, Voicemail
from .ivr import BusinessHours, HolidayOverride, IvrFlow, IvrFlowVersion
from .plant import PhoneNumber, Seat, Trunk
from .routing import Agent, AgentSkill, Disposition, PauseReason, Queue, QueueSkill, Skill

__all__ = [
    "Agent",
    "AgentSkill",
    "AgentStateEvent",
    "BusinessHours",
    "Call",
    "CallEvent",
    "CallbackRequest",
    "Disposition",
    "HolidayOverride",
    "IvrFlow",
    "IvrFlowVersion",
    "PauseReason",
    "PhoneNumber",
    "Queue",
    "QueueSkill",
    "Recording",
    "RecordingAccess",
    "Seat",
    "Skill",
    "Trunk",
    "Voicemail",
]
