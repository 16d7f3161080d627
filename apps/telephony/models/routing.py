"""Skills, agents, queues and the reasons and outcomes agents pick from."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.telephony.choices import AgentState, RoutingStrategy


class Skill(models.Model):
    """Something an agent can do (a language, a product, a channel)."""

    code = models.SlugField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        ordering = ["name"]
        verbose_name = _("skill")
        verbose_name_plural = _("skills")

    def __str__(self) -> str:
        return self.name


class PauseReason(models.Model):
    """Why an agent is NotReady (小休, 用餐, 培训, 会议…). System reasons cannot be deleted."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    is_system = models.BooleanField(_("system reason"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    counts_as_productive = models.BooleanField(_("counts as productive"), default=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("pause reason")
        verbose_name_plural = _("pause reasons")

    def __str__(self) -> str:
        return self.name


class Disposition(models.Model):
    """The outcome an agent records in wrap-up; ``is_resolved`` feeds FCR."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    is_resolved = models.BooleanField(_("resolves the contact"), default=False)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("disposition")
        verbose_name_plural = _("dispositions")

    def __str__(self) -> str:
        return self.name


class Agent(models.Model):
    """A user who handles contacts. ``state`` is changed only by apps.telephony.services.agent_state."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="agent"
    )
    seat = models.OneToOneField(
        "telephony.Seat", verbose_name=_("seat"), null=True, blank=True, on_delete=models.SET_NULL, related_name="agent"
    )
    state = models.CharField(_("state"), max_length=16, choices=AgentState.choices, default=AgentState.OFFLINE)
    reason = models.ForeignKey(
        PauseReason, verbose_name=_("reason"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    state_since = models.DateTimeField(_("in state since"), default=timezone.now)
    # Longest-idle routing ranks Ready agents by when they last became idle.
    idle_since = models.DateTimeField(_("idle since"), null=True, blank=True)
    current_call = models.ForeignKey(
        "telephony.Call",
        verbose_name=_("current call"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    is_virtual = models.BooleanField(_("virtual (simulated) agent"), default=False)
    skills = models.ManyToManyField(Skill, through="AgentSkill", related_name="agents", verbose_name=_("skills"))
    # Seats an administrator lets this agent log into; none listed means any seat.
    allowed_seats = models.ManyToManyField(
        "telephony.Seat", blank=True, related_name="allowed_agents", verbose_name=_("allowed seats")
    )

    class Meta:
        ordering = ["user__name", "id"]
        verbose_name = _("agent")
        verbose_name_plural = _("agents")
        indexes = [models.Index(fields=["state", "idle_since"], name="agent_state_idle_idx")]

    def __str__(self) -> str:
        return str(self.user)


class AgentSkill(models.Model):
    agent = models.ForeignKey(Agent, verbose_name=_("agent"), on_delete=models.CASCADE, related_name="agent_skills")
    skill = models.ForeignKey(Skill, verbose_name=_("skill"), on_delete=models.CASCADE, related_name="agent_skills")
    level = models.PositiveSmallIntegerField(_("level"), validators=[MinValueValidator(1), MaxValueValidator(10)])

    class Meta:
        verbose_name = _("agent skill")
        verbose_name_plural = _("agent skills")
        constraints = [
            models.UniqueConstraint(fields=["agent", "skill"], name="agentskill_agent_skill_uniq"),
            models.CheckConstraint(condition=models.Q(level__gte=1, level__lte=10), name="agentskill_level_range"),
        ]

    def __str__(self) -> str:
        return f"{self.agent_id}:{self.skill_id}={self.level}"


class Queue(models.Model):
    """Where calls wait for an agent with the right skills."""

    code = models.SlugField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=100)
    strategy = models.CharField(
        _("strategy"), max_length=16, choices=RoutingStrategy.choices, default=RoutingStrategy.LONGEST_IDLE
    )
    priority = models.PositiveSmallIntegerField(_("priority"), default=5, help_text=_("Higher is served first."))
    sl_threshold_seconds = models.PositiveIntegerField(_("service level threshold (s)"), default=15)
    sl_target_percent = models.PositiveSmallIntegerField(_("service level target (%)"), default=80)
    max_wait_seconds = models.PositiveIntegerField(_("maximum wait (s)"), default=300)
    overflow_queue = models.ForeignKey(
        "self", verbose_name=_("overflow queue"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    overflow_number = models.CharField(_("overflow number"), max_length=32, blank=True)
    announce_position = models.BooleanField(_("announce position"), default=True)
    announce_expected_wait = models.BooleanField(_("announce expected wait"), default=True)
    announce_interval_seconds = models.PositiveIntegerField(_("announcement interval (s)"), default=30)
    callback_offer = models.BooleanField(_("offer a callback"), default=False)
    callback_offer_after_seconds = models.PositiveIntegerField(_("offer callback after (s)"), default=60)
    wrapup_seconds = models.PositiveIntegerField(_("wrap-up time (s)"), default=30)
    short_abandon_seconds = models.PositiveIntegerField(_("short abandon (s)"), default=5)
    ring_timeout_seconds = models.PositiveIntegerField(_("ring timeout before RONA (s)"), default=15)
    expand_after_seconds = models.PositiveIntegerField(
        _("expand skills after (s)"), default=0, help_text=_("0: never.")
    )
    expand_step = models.PositiveSmallIntegerField(_("expand by levels"), default=1)
    sticky_days = models.PositiveSmallIntegerField(_("sticky: last agent within (days)"), default=7)
    sticky_wait_seconds = models.PositiveIntegerField(_("sticky: wait for that agent (s)"), default=20)
    # Bullseye strategy: [{"min_level": 9, "after_seconds": 0}, {"min_level": 6, "after_seconds": 20}, ...]
    # (apps/telephony/acd/router.py; checked by services/routing.py: ascending times, descending levels).
    bullseye_rings = models.JSONField(_("bullseye rings"), default=list, blank=True)
    # Shown on the agent desk for an inbound call from this queue, placeholders filled in
    # (apps/telephony/queue_scripts.py: {{customer.name}}, {{ivr.<variable>}}, {{call.caller}}...).
    script = models.TextField(
        _("agent script"),
        blank=True,
        help_text=_("Shown to the agent on an inbound call; {{customer.name}}, {{ivr.variable}} are filled in."),
    )
    is_scratch = models.BooleanField(_("scratch (simulation) queue"), default=False)
    skills = models.ManyToManyField(
        Skill, through="QueueSkill", related_name="queues", verbose_name=_("required skills")
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["-priority", "name"]
        verbose_name = _("queue")
        verbose_name_plural = _("queues")

    def __str__(self) -> str:
        return self.name


class QueueSkill(models.Model):
    queue = models.ForeignKey(Queue, verbose_name=_("queue"), on_delete=models.CASCADE, related_name="queue_skills")
    skill = models.ForeignKey(Skill, verbose_name=_("skill"), on_delete=models.CASCADE, related_name="queue_skills")
    min_level = models.PositiveSmallIntegerField(
        _("minimum level"), default=1, validators=[MinValueValidator(1), MaxValueValidator(10)]
    )

    class Meta:
        verbose_name = _("queue skill")
        verbose_name_plural = _("queue skills")
        constraints = [models.UniqueConstraint(fields=["queue", "skill"], name="queueskill_queue_skill_uniq")]

    def __str__(self) -> str:
        return f"{self.queue_id}:{self.skill_id}>={self.min_level}"
