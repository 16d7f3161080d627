"""What happened: CDRs, their event timelines, recordings, agent state history, voicemail
and callback requests. Reports, QA and billing read these; nothing is counted twice."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.core.tenancy import current_schema
from apps.telephony.choices import AgentState, CallbackStatus, CallDirection, CallEndReason, CallStatus


class Call(models.Model):
    """The CDR: one row per call, every timestamp from arrival to the end of wrap-up."""

    uid = models.CharField(_("call ID"), max_length=64, unique=True)
    direction = models.CharField(
        _("direction"), max_length=16, choices=CallDirection.choices, default=CallDirection.INBOUND
    )
    status = models.CharField(_("status"), max_length=16, choices=CallStatus.choices, default=CallStatus.IVR)
    caller = models.CharField(_("caller (ANI)"), max_length=32, db_index=True)
    callee = models.CharField(_("callee (DNIS)"), max_length=32)
    trunk = models.ForeignKey(
        "telephony.Trunk",
        verbose_name=_("trunk"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="calls",
    )
    number = models.ForeignKey(
        "telephony.PhoneNumber",
        verbose_name=_("number"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="calls",
    )
    queue = models.ForeignKey(
        "telephony.Queue",
        verbose_name=_("queue"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="calls",
    )
    agent = models.ForeignKey(
        "telephony.Agent",
        verbose_name=_("agent"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="calls",
    )
    campaign = models.ForeignKey(
        "telephony.Campaign",
        verbose_name=_("campaign"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="calls",
        help_text=_("The outbound campaign that dialled this call, if any (its attempt is a DialAttempt)."),
    )
    customer = models.ForeignKey(
        "crm.Customer",
        verbose_name=_("customer"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="calls",
    )
    ivr_version = models.ForeignKey(
        "telephony.IvrFlowVersion",
        verbose_name=_("IVR version"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    priority = models.SmallIntegerField(_("priority"), default=0)

    arrived_at = models.DateTimeField(_("arrived"), db_index=True)
    ivr_exited_at = models.DateTimeField(_("left IVR"), null=True, blank=True)
    queued_at = models.DateTimeField(_("queued"), null=True, blank=True)
    offered_at = models.DateTimeField(_("first offered"), null=True, blank=True)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    wrapup_ended_at = models.DateTimeField(_("wrap-up ended"), null=True, blank=True)

    wait_seconds = models.FloatField(_("wait (s)"), null=True, blank=True)
    talk_seconds = models.FloatField(_("talk (s)"), default=0)
    hold_seconds = models.FloatField(_("hold (s)"), default=0)
    wrapup_seconds = models.FloatField(_("wrap-up (s)"), default=0)
    ivr_seconds = models.FloatField(_("IVR (s)"), default=0)
    offer_count = models.PositiveSmallIntegerField(_("offers"), default=0)

    end_reason = models.CharField(_("end reason"), max_length=16, choices=CallEndReason.choices, blank=True)
    abandoned = models.BooleanField(_("abandoned"), default=False)
    short_abandon = models.BooleanField(_("short abandon"), default=False)
    blocked = models.BooleanField(_("blocked"), default=False)
    answered_within_sl = models.BooleanField(_("answered within SL"), null=True, blank=True)
    sl_threshold_seconds = models.PositiveIntegerField(_("SL threshold (s)"), null=True, blank=True)
    reached_agent_request = models.BooleanField(_("asked for an agent"), default=False)
    disposition = models.ForeignKey(
        "telephony.Disposition",
        verbose_name=_("disposition"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="calls",
    )
    notes = models.TextField(_("notes"), blank=True)
    survey_score = models.PositiveSmallIntegerField(_("survey score"), null=True, blank=True)
    ivr_path = models.JSONField(_("IVR path"), default=list, blank=True)
    is_simulated = models.BooleanField(_("simulated"), default=False)

    class Meta:
        ordering = ["-arrived_at"]
        verbose_name = _("call")
        verbose_name_plural = _("calls")
        indexes = [
            models.Index(fields=["queue", "arrived_at"], name="call_queue_arrived_idx"),
            models.Index(fields=["agent", "arrived_at"], name="call_agent_arrived_idx"),
            models.Index(fields=["status"], name="call_status_idx"),
        ]

    def __str__(self) -> str:
        return self.uid


class CallEvent(models.Model):
    """One step of a call's timeline (arrived, ivr.node, queued, offered, rona, answered, …)."""

    call = models.ForeignKey(Call, verbose_name=_("call"), on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(_("at"))
    kind = models.CharField(_("kind"), max_length=32)
    agent = models.ForeignKey(
        "telephony.Agent", verbose_name=_("agent"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    data = models.JSONField(_("data"), default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("call event")
        verbose_name_plural = _("call events")
        indexes = [
            # QA sampling's "always include transfers" reads a period's transfers: a few in a
            # thousand events, found without scanning the timeline of every call.
            models.Index(fields=["at"], name="callevent_transferred_at_idx", condition=models.Q(kind="transferred")),
        ]

    def __str__(self) -> str:
        return f"{self.call_id} {self.kind}"


def recording_path(instance: Recording, filename: str) -> str:
    return f"tenants/{current_schema()}/recordings/{timezone.now():%Y/%m/%d}/{filename}"


class Recording(models.Model):
    """A call's audio. Never served by a public URL: short-lived signed links, every access logged."""

    call = models.OneToOneField(Call, verbose_name=_("call"), on_delete=models.CASCADE, related_name="recording")
    file = models.FileField(_("file"), upload_to=recording_path, max_length=300)
    duration_seconds = models.FloatField(_("duration (s)"))
    size_bytes = models.PositiveIntegerField(_("size (bytes)"), default=0)
    content_type = models.CharField(_("content type"), max_length=50, default="audio/wav")
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("recording")
        verbose_name_plural = _("recordings")

    def __str__(self) -> str:
        return self.file.name or ""


class RecordingAccess(models.Model):
    """The audit log of recording plays and downloads."""

    recording = models.ForeignKey(
        Recording, verbose_name=_("recording"), on_delete=models.CASCADE, related_name="accesses"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(_("action"), max_length=16)
    at = models.DateTimeField(_("at"), default=timezone.now)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    class Meta:
        ordering = ["-at"]
        verbose_name = _("recording access")
        verbose_name_plural = _("recording accesses")

    def __str__(self) -> str:
        return f"{self.recording_id} {self.action}"


class AgentStateEvent(models.Model):
    """Every agent state change; adherence and occupancy are computed from these."""

    agent = models.ForeignKey(
        "telephony.Agent", verbose_name=_("agent"), on_delete=models.CASCADE, related_name="state_events"
    )
    at = models.DateTimeField(_("at"), db_index=True)
    from_state = models.CharField(_("from"), max_length=16, choices=AgentState.choices)
    to_state = models.CharField(_("to"), max_length=16, choices=AgentState.choices)
    reason = models.ForeignKey(
        "telephony.PauseReason",
        verbose_name=_("reason"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    call = models.ForeignKey(
        Call, verbose_name=_("call"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("changed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    seconds_in_previous = models.FloatField(_("seconds in previous state"), default=0)
    # Written by ``generate_history`` (a tenant's simulated past), not by a live agent or engine:
    # a re-run replaces exactly these rows, and reports may tell them apart (decision 0019).
    is_generated = models.BooleanField(_("generated"), default=False)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("agent state event")
        verbose_name_plural = _("agent state events")
        indexes = [models.Index(fields=["agent", "at"], name="agentstateevent_agent_at_idx")]

    def __str__(self) -> str:
        return f"{self.agent_id} {self.from_state}->{self.to_state}"


class Voicemail(models.Model):
    """A caller's message. Its audio is kept like a recording (tenant storage, short-lived signed
    links, every play logged: :mod:`apps.telephony.services.voicemail`); the inbox assigns it to
    someone and remembers who heard it first, and when."""

    call = models.OneToOneField(Call, verbose_name=_("call"), on_delete=models.CASCADE, related_name="voicemail")
    queue = models.ForeignKey(
        "telephony.Queue", verbose_name=_("queue"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    caller = models.CharField(_("caller"), max_length=32)
    file = models.FileField(_("file"), upload_to=recording_path, max_length=300, blank=True)
    duration_seconds = models.FloatField(_("duration (s)"), default=0)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    heard_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("heard by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    heard_at = models.DateTimeField(_("heard at"), null=True, blank=True)
    size_bytes = models.PositiveIntegerField(_("size (bytes)"), default=0)
    content_type = models.CharField(_("content type"), max_length=50, default="audio/wav")
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned to"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    assigned_at = models.DateTimeField(_("assigned at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("voicemail")
        verbose_name_plural = _("voicemails")

    def __str__(self) -> str:
        return f"{self.caller} {self.created_at:%Y-%m-%d %H:%M}"


class VoicemailAccess(models.Model):
    """The audit log of voicemail plays and downloads (as :class:`RecordingAccess` for calls)."""

    voicemail = models.ForeignKey(
        Voicemail, verbose_name=_("voicemail"), on_delete=models.CASCADE, related_name="accesses"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(_("action"), max_length=16)
    at = models.DateTimeField(_("at"), default=timezone.now)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    class Meta:
        ordering = ["-at"]
        verbose_name = _("voicemail access")
        verbose_name_plural = _("voicemail accesses")

    def __str__(self) -> str:
        return f"{self.voicemail_id} {self.action}"


class CallbackRequest(models.Model):
    """A caller asked to be called back; the request keeps the caller's place in the queue."""

    call = models.OneToOneField(Call, verbose_name=_("call"), on_delete=models.CASCADE, related_name="callback_request")
    queue = models.ForeignKey(
        "telephony.Queue", verbose_name=_("queue"), on_delete=models.CASCADE, related_name="callbacks"
    )
    number = models.CharField(_("number to call"), max_length=32)
    original_queued_at = models.DateTimeField(_("originally queued"))
    status = models.CharField(
        _("status"), max_length=16, choices=CallbackStatus.choices, default=CallbackStatus.PENDING
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)
    callback_call = models.ForeignKey(
        Call, verbose_name=_("callback call"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)

    class Meta:
        ordering = ["original_queued_at"]
        verbose_name = _("callback request")
        verbose_name_plural = _("callback requests")

    def __str__(self) -> str:
        return f"{self.number} ({self.get_status_display()})"
