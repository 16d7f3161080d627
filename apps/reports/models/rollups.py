"""KPI rollups: additive counts and sums per time bucket, so a month of KPIs reads thousands of
rows instead of millions of CDRs (docs/decisions/0017-kpi-rollups.md).

Grain. ``CallRollup`` holds one row per (grain, bucket_start, queue, agent, campaign, disposition,
direction, trunk, number) with every measure additive (counts and sums, never ratios), so any
grouping the reports offer — interval (15/30/60 min), day, week, month, queue, agent, campaign,
disposition, trunk, number — is a ``SUM … GROUP BY`` over it, and the ratios are computed from the
sums by the one set of formulas (apps/telephony/kpis.py, apps/reports/kpi_math.py).

- ``grain = "m15"``: 15-minute buckets (UTC-aligned; every real time-zone offset is a multiple of
  15 minutes, so they are also the tenant's local 15/30/60-minute intervals).
- ``grain = "day"``: local days of the tenant's time zone, the same dimensions; a month query reads
  whole days from here and only its ragged edges from ``m15``.
- ``grain = "q15"`` / ``"qday"``: the same buckets summed over every dimension but queue and
  direction (the others null), for the groupings that need no more (queue, interval, day, week,
  month without agent or campaign filters): a month by interval reads ~60,000 rows, not ~10× as many.
- ``grain = "a15"`` / ``"aday"``: queue, agent and direction only, for agent groupings and agent
  filters without campaign, disposition, trunk or number.

``AgentStateRollup`` has ``m15``/``day`` rows per agent and ``t15``/``tday`` rows for all agents
together (``agent_id`` 0), for occupancy by interval or day.

A call belongs to the bucket of its ``arrived_at`` (as in apps/telephony/selectors/kpis.py).
Dimension columns are plain integers, not foreign keys: a rollup must survive the deletion of a
queue or agent exactly as the CDR does (``SET_NULL`` there would merge rows here).

Rows are written only by apps/reports/services/rollups.py (delete + insert of a period in one
transaction: idempotent, re-buildable).
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

GRAIN_15MIN = "m15"
GRAIN_DAY = "day"
GRAIN_QUEUE_15MIN = "q15"  # call rows: queue and direction only
GRAIN_QUEUE_DAY = "qday"
GRAIN_AGENT_15MIN = "a15"  # call rows: queue, agent and direction only
GRAIN_AGENT_DAY = "aday"
GRAIN_ALL_AGENTS_15MIN = "t15"  # state rows: every agent together (agent_id 0)
GRAIN_ALL_AGENTS_DAY = "tday"
GRAIN_CHOICES = [
    (GRAIN_15MIN, _("15 minutes")),
    (GRAIN_DAY, _("day")),
    (GRAIN_QUEUE_15MIN, _("15 minutes by queue")),
    (GRAIN_QUEUE_DAY, _("day by queue")),
    (GRAIN_AGENT_15MIN, _("15 minutes by agent")),
    (GRAIN_AGENT_DAY, _("day by agent")),
    (GRAIN_ALL_AGENTS_15MIN, _("15 minutes, all agents")),
    (GRAIN_ALL_AGENTS_DAY, _("day, all agents")),
]

#: The additive measures of a call rollup row (the order of the INSERT in kpi_sql.py).
CALL_MEASURES = (
    "calls",
    "offered",
    "answered",
    "answered_in_sl",
    "abandoned",
    "abandoned_after_sl",
    "short_abandons",
    "short_abandons_after_sl",
    "wait_sum",
    "waited",
    "handled",
    "handle_sum",
    "talk_sum",
    "hold_sum",
    "wrapup_sum",
    "fcr_handled",
    "fcr_no_repeat",
    "fcr_resolved_repeat",
    "csat_count",
    "csat_sum",
    "csat_top2",
    "ivr_entered",
    "ivr_contained",
    "blocked",
    "transfers",
    "ronas",
    "callbacks",
    "voicemails",
)

#: Seconds per agent state in an agent-state rollup row.
STATE_MEASURES = (
    "ready_seconds",
    "talking_seconds",
    "hold_seconds",
    "wrapup_seconds",
    "reserved_seconds",
    "not_ready_seconds",
)


def _count(label):
    return models.BigIntegerField(label, default=0)


def _seconds(label):
    return models.FloatField(label, default=0)


class CallRollup(models.Model):
    """Additive call measures for one bucket and one combination of dimensions."""

    grain = models.CharField(_("grain"), max_length=4, choices=GRAIN_CHOICES)
    bucket_start = models.DateTimeField(_("bucket start"))
    queue_id = models.IntegerField(_("queue"), null=True)
    agent_id = models.IntegerField(_("agent"), null=True)
    campaign_id = models.IntegerField(_("campaign"), null=True)
    disposition_id = models.IntegerField(_("disposition"), null=True)
    direction = models.CharField(_("direction"), max_length=16)
    trunk_id = models.IntegerField(_("trunk"), null=True)
    number_id = models.IntegerField(_("number"), null=True)

    calls = _count(_("calls"))
    offered = _count(_("offered"))
    answered = _count(_("answered"))
    answered_in_sl = _count(_("answered within T"))
    abandoned = _count(_("abandoned (not short)"))
    abandoned_after_sl = _count(_("abandoned after T (not short)"))
    short_abandons = _count(_("short abandons"))
    short_abandons_after_sl = _count(_("short abandons after T"))
    wait_sum = _seconds(_("wait of answered calls (s)"))
    waited = _count(_("answered calls with a wait"))
    handled = _count(_("handled"))
    handle_sum = _seconds(_("handle time (s)"))
    talk_sum = _seconds(_("talk (s)"))
    hold_sum = _seconds(_("hold (s)"))
    wrapup_sum = _seconds(_("wrap-up (s)"))
    fcr_handled = _count(_("handled inbound queue calls (FCR base)"))
    fcr_no_repeat = _count(_("handled, no repeat call in the window"))
    fcr_resolved_repeat = _count(_("handled, repeat call, resolving disposition"))
    csat_count = _count(_("survey answers"))
    csat_sum = _count(_("survey score sum"))
    csat_top2 = _count(_("survey answers in the top two boxes"))
    ivr_entered = _count(_("entered the IVR"))
    ivr_contained = _count(_("ended in the IVR without asking for an agent"))
    blocked = _count(_("blocked"))
    transfers = _count(_("transfers"))
    ronas = _count(_("RONA"))
    callbacks = _count(_("callback requests"))
    voicemails = _count(_("voicemails"))

    class Meta:
        verbose_name = _("call rollup")
        verbose_name_plural = _("call rollups")
        indexes = [
            models.Index(fields=["grain", "bucket_start"], name="callrollup_grain_bucket_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.grain} {self.bucket_start:%Y-%m-%d %H:%M}"


class AgentStateRollup(models.Model):
    """Seconds each agent spent in each state within one bucket (from ``AgentStateEvent``):
    occupancy = (talking + hold + wrap-up) ÷ (that + ready)."""

    grain = models.CharField(_("grain"), max_length=4, choices=GRAIN_CHOICES)
    bucket_start = models.DateTimeField(_("bucket start"))
    agent_id = models.IntegerField(_("agent"))
    ready_seconds = _seconds(_("ready (s)"))
    talking_seconds = _seconds(_("talking (s)"))
    hold_seconds = _seconds(_("on hold (s)"))
    wrapup_seconds = _seconds(_("wrap-up (s)"))
    reserved_seconds = _seconds(_("ringing (s)"))
    not_ready_seconds = _seconds(_("not ready (s)"))

    class Meta:
        verbose_name = _("agent state rollup")
        verbose_name_plural = _("agent state rollups")
        indexes = [
            models.Index(fields=["grain", "bucket_start"], name="staterollup_grain_bucket_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.grain} {self.bucket_start:%Y-%m-%d %H:%M} {self.agent_id}"


class RollupState(models.Model):
    """What the rollups were built with (singleton ``id`` 1): the FCR window in force when they
    were built (a different current setting means a rebuild is due) and the high-water mark of
    the every-minute refresh."""

    SINGLETON_ID = 1

    fcr_window_hours = models.PositiveIntegerField(_("FCR window used (hours)"), default=72)
    refreshed_at = models.DateTimeField(_("last refreshed"), null=True, blank=True)
    refreshed_until = models.DateTimeField(_("refreshed up to"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        verbose_name = _("rollup state")
        verbose_name_plural = _("rollup states")
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="rollup_state_singleton")]

    def __str__(self) -> str:
        return str(_("rollup state"))
