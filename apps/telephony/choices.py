from django.db import models
from django.utils.translation import gettext_lazy as _


class TrunkKind(models.TextChoices):
    SIM = "sim", _("Simulated carrier")
    SIP = "sip", _("SIP trunk")
    E1 = "e1", _("E1 (30 channels)")


class AgentState(models.TextChoices):
    OFFLINE = "offline", _("Offline")
    READY = "ready", _("Ready")
    NOT_READY = "not_ready", _("Not ready")
    RESERVED = "reserved", _("Ringing")
    TALKING = "talking", _("Talking")
    HOLD = "hold", _("On hold")
    WRAP_UP = "wrap_up", _("Wrap-up")


class RoutingStrategy(models.TextChoices):
    LONGEST_IDLE = "longest_idle", _("Longest idle")
    MOST_SKILLED = "most_skilled", _("Most skilled")
    ROUND_ROBIN = "round_robin", _("Round robin")
    RING_ALL = "ring_all", _("Ring all")
    STICKY = "sticky", _("Sticky (last agent)")


class CallDirection(models.TextChoices):
    INBOUND = "inbound", _("Inbound")
    OUTBOUND = "outbound", _("Outbound")
    INTERNAL = "internal", _("Internal")


class CallStatus(models.TextChoices):
    """Where a call is now; the CDR keeps every timestamp regardless."""

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
