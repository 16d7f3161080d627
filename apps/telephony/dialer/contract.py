"""The seam between the dialer in the engine and the campaign records in the database.

The engine's pacing loop (``apps.telephony.dialer``) never touches Django models. It asks a
:class:`ContactSource` for contacts that are due and tells it what became of each attempt;
the source decides everything that is policy: calling windows in the contact's time zone,
Chinese public holidays, do-not-call and consent, retry gaps and maximum attempts, the
order of the list. Two sources implement it:

* :class:`apps.telephony.dialer.memory.MemoryContactSource` — in memory, for the virtual-clock
  runs (``simulate_campaign``, ``bench/dialer.py``) and unit tests;
* ``apps.telephony.services.campaigns.source.DbContactSource`` — the campaign tables, for
  ``run_engine``. It hands out a contact at most once until its attempt is reported
  (``DialAttempt`` row in state ``dialing``), so a restarted engine never redials early.

Times are engine-clock seconds (``clock.now()``); the DB source converts them to aware
datetimes with the clock's wall-time origin.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

# Dial modes
MODE_PREVIEW = "preview"
MODE_PROGRESSIVE = "progressive"
MODE_POWER = "power"
MODE_PREDICTIVE = "predictive"
DIAL_MODES = (MODE_PREVIEW, MODE_PROGRESSIVE, MODE_POWER, MODE_PREDICTIVE)

# What became of one attempt (reported once per attempt, when the call is over).
OUTCOME_ANSWERED = "answered"  # a live answer that reached an agent
OUTCOME_ABANDONED = "abandoned"  # a live answer no agent took within 2 s: abandon message played
OUTCOME_BUSY = "busy"
OUTCOME_NO_ANSWER = "no_answer"
OUTCOME_MACHINE = "machine"  # answering machine detected (a false positive is also ``abandoned``)
OUTCOME_FAILED = "failed"  # network/number error
OUTCOME_BLOCKED = "blocked"  # no trunk channel: not an attempt, the contact goes back as it was
OUTCOMES = (
    OUTCOME_ANSWERED,
    OUTCOME_ABANDONED,
    OUTCOME_BUSY,
    OUTCOME_NO_ANSWER,
    OUTCOME_MACHINE,
    OUTCOME_FAILED,
    OUTCOME_BLOCKED,
)


@dataclass
class CampaignSettings:
    """A running campaign, as the engine needs it."""

    campaign_id: int
    name: str = ""
    mode: str = MODE_PROGRESSIVE
    ratio: float = 1.0  # power mode: lines per Ready agent
    queue_id: int | None = None  # agents of this queue (its skills) take the campaign's calls
    trunk_id: int | None = None
    caller_id: str = ""
    max_abandon_rate: float = 0.03  # of live answers, over the window below
    abandon_window_days: int = 30
    ring_timeout_seconds: float = 25  # >= 15
    abandon_grace_seconds: float = 2.0  # a live answer waits at most this long for an agent
    amd_enabled: bool = True
    wrapup_seconds: float = 0
    record: bool = True
    # 30-day history at start (live answers and abandons before this engine run), so the
    # long-window abandon rate is honoured across restarts.
    history_live_answers: int = 0
    history_abandoned: int = 0
    # Added by the engine side (issue 4), all optional:
    # the detector's false-positive share (live people it calls "machine"). They are abandoned
    # calls nobody can count, so the pacer adds this estimate to its abandon rate (Ofcom's rule
    # asks for a reasoned estimate); 0 when unknown.
    amd_false_positive_rate: float = 0.0
    script: str = ""  # the agent's script with {{contact.field}} variables, rendered into offers
    abandon_message: str = ""  # what the abandon prompt says (a real switch plays it as audio)


@dataclass(frozen=True)
class DialTarget:
    """One contact handed to the dialer for one attempt."""

    contact_id: int
    number: str  # E.164
    attempt: int  # 1 for the first attempt
    name: str = ""
    data: dict[str, Any] = field(default_factory=dict)  # standard + custom fields, for the card/script
    owner_agent_id: int | None = None  # an agent-owned scheduled callback goes to this agent only


class ContactSource(Protocol):
    def take(self, campaign_id: int, count: int, now: float) -> list[DialTarget]:
        """Up to ``count`` contacts due now, marked as being dialled (never handed out twice
        until :meth:`report`)."""

    def report(
        self,
        campaign_id: int,
        target: DialTarget,
        outcome: str,
        now: float,
        *,
        call_uid: str = "",
        agent_id: int | None = None,
    ) -> None:
        """The attempt's outcome (one of ``OUTCOMES``); the source schedules a retry or closes the
        contact. Dispositions set later by the agent are applied by the campaign services."""

    def release(self, campaign_id: int, target: DialTarget) -> None:
        """Give a taken contact back without an attempt (campaign paused, preview skipped…)."""

    def counts(self, campaign_id: int) -> Mapping[str, int | None]:
        """``{"remaining": …, "attempted": …, "finished": …}`` for the monitor; ``None`` where a
        count is not known yet (the engine's deferred source before its first read)."""
