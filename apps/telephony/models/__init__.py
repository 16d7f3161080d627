from .analysis import CallAnalysis, Transcript
from .calls import (
    AgentStateEvent,
    Call,
    CallbackRequest,
    CallEvent,
    Recording,
    RecordingAccess,
    Voicemail,
    VoicemailAccess,
)
from .campaigns import (
    Campaign,
    CampaignExport,
    CampaignRetryRule,
    Consent,
    Contact,
    ContactList,
    DialAttempt,
    DoNotCall,
    DoNotCallImport,
    ImportRowError,
    ScheduledCallback,
)
from .dialling import DiallingPolicy
from .engine import EngineStoreCursor
from .ivr import BusinessHours, HolidayOverride, IvrFlow, IvrFlowVersion
from .plant import PhoneNumber, Seat, Trunk
from .prompts import Prompt
from .routing import Agent, AgentSkill, Disposition, PauseReason, Queue, QueueSkill, Skill
from .wallboard import WallboardToken

__all__ = [
    "Agent",
    "AgentSkill",
    "AgentStateEvent",
    "BusinessHours",
    "Call",
    "CallAnalysis",
    "CallEvent",
    "CallbackRequest",
    "Campaign",
    "CampaignExport",
    "CampaignRetryRule",
    "Consent",
    "Contact",
    "ContactList",
    "DialAttempt",
    "DiallingPolicy",
    "Disposition",
    "DoNotCall",
    "DoNotCallImport",
    "EngineStoreCursor",
    "HolidayOverride",
    "ImportRowError",
    "IvrFlow",
    "IvrFlowVersion",
    "PauseReason",
    "PhoneNumber",
    "Prompt",
    "Queue",
    "QueueSkill",
    "Recording",
    "RecordingAccess",
    "ScheduledCallback",
    "Seat",
    "Skill",
    "Transcript",
    "Trunk",
    "Voicemail",
    "VoicemailAccess",
    "WallboardToken",
]
