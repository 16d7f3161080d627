from django.db import models
from django.utils.translation import gettext_lazy as _

from apps.telephony import agent_states


class TrunkKind(models.TextChoices):
    SIM = "sim", _("Simulated carrier")
    SIP = "sip", _("SIP trunk")
    E1 = "e1", _("E1 (30 channels)")


class SeatRegistrationMode(models.TextChoices):
    """Who registers a seat with the SIP plane, and with which credential (docs/sip.md)."""

    BROWSER = "browser", _("Browser softphone (a new credential at every login)")
    DESK_PHONE = "desk_phone", _("Desk phone (the seat's own secret)")


class AgentState(models.TextChoices):
    """The database's and the pages' view of :mod:`apps.telephony.agent_states` (the one
    definition): values taken from it, labels added here; a test checks the two match."""

    OFFLINE = agent_states.OFFLINE, _("Offline")
    READY = agent_states.READY, _("Ready")
    NOT_READY = agent_states.NOT_READY, _("Not ready")
    RESERVED = agent_states.RESERVED, _("Ringing")
    TALKING = agent_states.TALKING, _("Talking")
    HOLD = agent_states.HOLD, _("On hold")
    WRAP_UP = agent_states.WRAP_UP, _("Wrap-up")


class RoutingStrategy(models.TextChoices):
    LONGEST_IDLE = "longest_idle", _("Longest idle")
    MOST_SKILLED = "most_skilled", _("Most skilled")
    ROUND_ROBIN = "round_robin", _("Round robin")
    RING_ALL = "ring_all", _("Ring all")
    STICKY = "sticky", _("Sticky (last agent)")
    BULLSEYE = "bullseye", _("Bullseye (rings by skill level)")


class CallDirection(models.TextChoices):
    INBOUND = "inbound", _("Inbound")
    OUTBOUND = "outbound", _("Outbound")
    INTERNAL = "internal", _("Internal")


class CallStatus(models.TextChoices):
    """Where a call is now; the CDR keeps every timestamp regardless."""

    DIALING = "dialing", _("Dialing")  # an outbound call not answered yet
    IVR = "ivr", _("In IVR")
    QUEUED = "queued", _("Queued")
    OFFERED = "offered", _("Offered")
    TALKING = "talking", _("Talking")
    HOLD = "hold", _("On hold")
    WRAP_UP = "wrap_up", _("Wrap-up")
    ENDED = "ended", _("Ended")


class CallEndReason(models.TextChoices):
    COMPLETED = "completed", _("Completed")
    ABANDONED = "abandoned", _("Caller hung up in queue")
    IVR_HANGUP = "ivr_hangup", _("Caller hung up in IVR")
    IVR_END = "ivr_end", _("Ended by the IVR")
    BLOCKED = "blocked", _("Blocked: all trunk channels busy")
    VOICEMAIL = "voicemail", _("Voicemail")
    CALLBACK = "callback", _("Callback requested")
    TRANSFERRED = "transferred", _("Transferred out")
    OVERFLOW = "overflow", _("Overflowed out")
    FORCE_RELEASED = "force_released", _("Released by a supervisor")
    FAILED = "failed", _("Failed")
    NO_ANSWER = "no_answer", _("No answer")


class IvrFlowStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    RETIRED = "retired", _("Retired")


class CallbackStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    DIALING = "dialing", _("Dialing")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


# --- outbound campaigns (apps/telephony/models/campaigns.py) -----------------------------------


class CampaignType(models.TextChoices):
    SALES = "sales", _("Sales")
    CALLBACK_VISIT = "callback_visit", _("Callback visit")
    SURVEY = "survey", _("Survey")
    COLLECTIONS = "collections", _("Collections")
    NOTIFICATION = "notification", _("Notification")


class DialMode(models.TextChoices):
    """Values equal the dialer contract's ``MODE_*`` constants (apps/telephony/dialer/contract.py)."""

    PREVIEW = "preview", _("Preview")
    PROGRESSIVE = "progressive", _("Progressive")
    POWER = "power", _("Power (fixed ratio)")
    PREDICTIVE = "predictive", _("Predictive")


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    RUNNING = "running", _("Running")
    PAUSED = "paused", _("Paused")
    FINISHED = "finished", _("Finished")


class ContactStatus(models.TextChoices):
    NEW = "new", _("New")
    DIALING = "dialing", _("Dialing")
    RETRY = "retry", _("Waiting for a retry")
    DONE = "done", _("Done")
    DNC = "dnc", _("Do not call")
    INVALID = "invalid", _("Invalid")


class DialOutcome(models.TextChoices):
    """What became of one attempt; values equal the dialer contract's ``OUTCOME_*`` constants.
    ``blocked`` is not stored: a blocked dial is not an attempt. ``returned`` is not an outcome
    of the contract: a contact taken for dialling and handed back undialled (a prefetched
    contact that waited too long, a skipped preview, a paused campaign, a blocked dial). Its
    row is kept, since an attempt row is never erased, and no figure counts it as a dial."""

    ANSWERED = "answered", _("Answered")
    ABANDONED = "abandoned", _("Abandoned (no agent within 2 s)")
    BUSY = "busy", _("Busy")
    NO_ANSWER = "no_answer", _("No answer")
    MACHINE = "machine", _("Answering machine")
    FAILED = "failed", _("Failed")
    RETURNED = "returned", _("Handed back, not dialled")


class RetryOutcome(models.TextChoices):
    """The outcomes a campaign retry rule can name (an answered call is settled by its disposition)."""

    BUSY = "busy", _("Busy")
    NO_ANSWER = "no_answer", _("No answer")
    MACHINE = "machine", _("Answering machine")
    FAILED = "failed", _("Failed")
    ABANDONED = "abandoned", _("Abandoned (no agent within 2 s)")


class ContactListStatus(models.TextChoices):
    UPLOADED = "uploaded", _("Uploaded: waiting for the column mapping")
    QUEUED = "queued", _("Queued")
    IMPORTING = "importing", _("Importing")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")
    STALLED = "stalled", _("Stalled: its worker stopped")
    CANCELLED = "cancelled", _("Cancelled")


class PromptStatus(models.TextChoices):
    CONVERTING = "converting", _("Converting")
    READY = "ready", _("Ready")
    FAILED = "failed", _("Refused")


class DoNotCallSource(models.TextChoices):
    MANUAL = "manual", _("Added by hand")
    IMPORT = "import", _("Imported")
    DISPOSITION = "disposition", _("Callee asked during a call")
    API = "api", _("API")


class ScheduledCallbackStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class ExportFormat(models.TextChoices):
    CSV = "csv", "CSV"
    XLSX = "xlsx", "XLSX"


class CallAnalysisStatus(models.TextChoices):
    DONE = "done", _("Analysed")
    FAILED = "failed", _("Failed")


class CallAnalysisFlag(models.TextChoices):
    """What the automatic analysis of a recording points a QA analyst at (thresholds:
    :mod:`apps.telephony.analysis.thresholds`)."""

    DEAD_AIR = "dead_air", _("Dead air")
    OVERTALK = "overtalk", _("Overtalk")
    AGENT_TALK_HIGH = "agent_talk_high", _("Agent talks too much")
    AGENT_TALK_LOW = "agent_talk_low", _("Agent talks too little")
    LOUD = "loud", _("Loud peaks")
    LONG_HOLD_MUSIC = "long_hold_music", _("Long hold")
