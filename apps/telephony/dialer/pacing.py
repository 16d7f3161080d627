"""How many lines to dial now: the pacers (plain Python, engine-clock seconds).

Every tick (≈1 s) the campaign runtime hands its pacer a :class:`PacingSnapshot` — agents
Ready for the campaign, busy agents and how long they have been busy, lines ringing and
their age, lines whose detector is still listening, live answers waiting for an agent — and
dials what the pacer answers.

* **Progressive**: one line per Ready agent not already covered by a line in flight.
* **Power**: lines in flight = ``ratio`` × Ready agents.
* **Predictive** (:class:`PredictivePacer`): dial the next line only while the probability
  that *its* live answer would find no agent within the grace is at most θ. The probability
  comes from the measured outcome-time distribution of lines (a ringing line of 20 s is
  almost surely dead; one of 4 s still has its whole chance), the measured remaining
  handle time of each busy agent, and the lines already in flight. θ is steered by the
  realised abandon rate (this run and the 30-day window, AMD false positives included) so
  that it converges to the campaign's limit with a margin, and collapses when the rate nears
  the limit. docs/dialer.md explains the model and compares it with VICIdial and OMniDialer.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from apps.telephony.dialer.contract import (
    MODE_POWER,
    MODE_PREDICTIVE,
    MODE_PREVIEW,
    CampaignSettings,
)


@dataclass
class PacingSnapshot:
    """The campaign's situation at one tick."""

    now: float
    ready: int  # agents of the campaign's queue Ready and free (not looking at a preview)
    logged_in: int  # agents who can take the campaign's calls: Ready or busy
    waiting: int = 0  # live answers waiting for an agent (inside the grace)
    amd_pending: int = 0  # lines answered, the detector still listening
    line_ages: Sequence[float] = ()  # seconds since each ringing line was dialled
    talking: Sequence[float] = ()  # seconds each busy agent has been talking (0: being connected)
    wrapping: Sequence[float] = ()  # seconds each agent has been in wrap-up
    free_channels: int | None = None  # trunk channels free (None: no cap)

    @property
    def in_flight(self) -> int:
        """Lines that may still need an agent: ringing, being detected, or waiting for one."""
        return len(self.line_ages) + self.amd_pending + self.waiting


@dataclass
class Decision:
    """What a pacer decided at its last tick, for the monitor."""

    lines: int = 0
    mode: str = ""
    warming_up: bool = False
    threshold: float | None = None  # predictive: θ, the highest abandon probability a new line may have
    live_probability: float | None = None  # predictive: P(a new line becomes a live answer)
    marginal_abandon: float | None = None  # predictive: abandon probability of the last line dialled


class Pacer:
    """The interface the campaign runtime uses; the learning hooks are no-ops here."""

    mode = ""

    def __init__(self) -> None:
        self.last = Decision(mode=self.mode)

    def decide(self, snapshot: PacingSnapshot) -> int:
        raise NotImplementedError

    # Learning hooks (the runtime calls them as calls progress).
    def observe_line(self, age: float, *, live: bool) -> None: ...

    def observe_amd(self, *, live: bool) -> None: ...

    def observe_talk(self, seconds: float) -> None: ...

    def observe_wrapup(self, seconds: float) -> None: ...

    def observe_live_outcome(self, *, abandoned: bool) -> None: ...

    def _record(self, lines: int) -> int:
        self.last.lines = lines
        return lines


class PreviewPacer(Pacer):
    """One contact per Ready agent; the agent dials it (or skips it) from the desktop."""

    mode = MODE_PREVIEW

    def decide(self, snapshot: PacingSnapshot) -> int:
        return self._record(max(0, snapshot.ready))


class ProgressivePacer(Pacer):
    mode = "progressive"

    def decide(self, snapshot: PacingSnapshot) -> int:
        return self._record(max(0, snapshot.ready - snapshot.in_flight))


class PowerPacer(Pacer):
    """``ratio`` lines in flight per Ready agent (a fixed dial level, rounded up)."""

    mode = MODE_POWER

    def __init__(self, ratio: float) -> None:
        super().__init__()
        if not ratio >= 1:
            raise ValueError("the power ratio must be at least 1")
        self.ratio = ratio

    def decide(self, snapshot: PacingSnapshot) -> int:
        target = math.ceil(self.ratio * snapshot.ready - 1e-9)
        return self._record(max(0, target - snapshot.in_flight))


# =====================================================================================
# predictive
# =====================================================================================

QUANTILES = (0.1, 0.3, 0.5, 0.7, 0.9)  # where a new line's live answer may fall (equal weights)
REFRESH_SECONDS = 10.0  # rebuild the lookup tables at most this often
WARMUP_LINES = 150  # resolved lines before the model is trusted (progressive until then)
WARMUP_LIVE = 15
WARMUP_TALKS = 10
LINE_MEMORY = 4000  # outcome statistics forget with this many lines (exponential decay)
HANDLE_MEMORY = 1500  # handle-time statistics forget with this many calls
TALK_BIN = 5.0  # seconds per bin of the talk-time histogram
TALK_BINS = 1440  # 2 hours
WRAP_BINS = 900  # 15 minutes, 1 s bins
MAX_LINES_PER_AGENT = 10.0  # a hard ceiling whatever the model says (answer rates can collapse)
SIGMA_FLOOR = 0.12  # keeps the normal approximation finite when nothing is uncertain
# The abandon-rate controller.
TARGET_SHARE = 0.87  # aim at 87 % of the limit, less one spread of the unseen false positives
KAPPA = 0.1  # log θ step per live answer (Robbins–Monro)
KAPPA_OVER = 0.5  # extra log θ cut per abandon over the allowance so far
NEAR_CAP = 0.97  # at this share of the limit, θ drops to its floor
THETA_MIN = 1e-4
THETA_MAX = 0.5
MIN_LIVE_FOR_RATE = 100  # live answers before a realised rate can force the floor


def _phi(x: float) -> float:
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


class _Decayed:
    """A histogram whose old samples fade: sample k carries weight ``(1 − 1/memory)^(n − k)``.

    Weights grow instead of shrinking (one multiplication per sample), renormalised now and then."""

    __slots__ = ("bins", "count", "factor", "samples", "total", "weight")

    def __init__(self, size: int, memory: int) -> None:
        self.bins = [0.0] * size
        self.factor = 1.0 / (1.0 - 1.0 / memory)
        self.weight = 1.0
        self.total = 0.0
        self.samples = 0

    def add(self, index: int) -> None:
        self.put(index, self.weight)
        self.weight *= self.factor
        if self.weight > 1e100:
            self.rescale(1.0 / self.weight)
            self.weight = 1.0

    def put(self, index: int, weight: float) -> None:
        self.bins[index] += weight
        self.total += weight
        self.samples += 1

    def rescale(self, scale: float) -> None:
        self.bins = [value * scale for value in self.bins]
        self.total *= scale


class LineModel:
    """When lines resolve, and how: live answer (detected human) or anything else.

    Ages are whole seconds since the dial. For a line still ringing at age ``a``,
    P(live answer by ``a + s``) = live answers at ages in [a, a+s] ÷ lines resolving at ``a`` or later."""

    def __init__(self, max_age: int) -> None:
        self.max_age = max_age
        self.live = _Decayed(max_age + 1, LINE_MEMORY)
        self.other = _Decayed(max_age + 1, LINE_MEMORY)
        self.weight = 1.0
        self.human = 0.0  # detector verdicts on answered lines (decayed counts)
        self.machine = 0.0

    def add(self, age: float, *, live: bool) -> None:
        # One clock of weights for both histograms, so that their totals stay comparable.
        index = min(self.max_age, max(0, int(age)))
        (self.live if live else self.other).put(index, self.weight)
        self.weight *= self.live.factor
        if self.weight > 1e100:
            self.live.rescale(1.0 / self.weight)
            self.other.rescale(1.0 / self.weight)
            self.weight = 1.0

    def add_amd(self, *, live: bool) -> None:
        decay = 1.0 - 1.0 / LINE_MEMORY
        self.human = self.human * decay + (1.0 if live else 0.0)
        self.machine = self.machine * decay + (0.0 if live else 1.0)

    @property
    def resolved(self) -> int:
        return self.live.samples + self.other.samples

    def tables(self, grid: int) -> tuple[float, list[float], list[list[float]], list[float], float]:
        """(P(live) for a new line, the new line's live-time quantiles s_q, P(live by s_q | age)
        per age, P(live by s_q) for a new line, P(human | answered))."""
        size = self.max_age + 1
        live, other = self.live.bins, self.other.bins
        total = self.live.total + self.other.total
        live_total = self.live.total
        # Beta(1, 4) prior: a fresh campaign is assumed poor rather than rich.
        samples = min(self.resolved, LINE_MEMORY)
        p_live = (live_total / total * samples + 1.0) / (samples + 5.0) if total else 0.2
        cumulative_live = []
        running = 0.0
        for value in live:
            running += value
            cumulative_live.append(running)
        # Live-time quantiles of a new line (bucket midpoints).
        quantile_ages = []
        for q in QUANTILES:
            goal = q * live_total
            age = next((index for index, value in enumerate(cumulative_live) if value >= goal), size - 1)
            quantile_ages.append(age + 0.5)
        new_line = [p_live * (cumulative_live[int(s)] / live_total if live_total else 0.0) for s in quantile_ages]
        # Lines resolving at age >= a.
        unresolved = [0.0] * (size + 1)
        for index in range(size - 1, -1, -1):
            unresolved[index] = unresolved[index + 1] + live[index] + other[index]
        by_age = []
        for age in range(size):
            remaining = unresolved[age]
            before = cumulative_live[age - 1] if age else 0.0
            if remaining <= 0:
                by_age.append([0.0] * len(quantile_ages))
                continue
            row = []
            for s in quantile_ages:
                until = min(size - 1, int(age + s))
                row.append(min(1.0, max(0.0, (cumulative_live[until] - before) / remaining)))
            by_age.append(row)
        answered = self.human + self.machine
        p_human = (self.human + 1.0) / (answered + 2.0)
        return p_live, quantile_ages, by_age, new_line, p_human


class HandleModel:
    """Talk and wrap-up time distributions, for the chance that a busy agent frees in time."""

    def __init__(self) -> None:
        self.talk = _Decayed(TALK_BINS + 1, HANDLE_MEMORY)
        self.wrap = _Decayed(WRAP_BINS + 1, HANDLE_MEMORY)
        self._talk_survival: list[float] = []
        self._wrap_survival: list[float] = []
        self.mean_talk = 0.0
        self.mean_wrap = 0.0
        self._talk_sum = 0.0
        self._wrap_sum = 0.0

    def add_talk(self, seconds: float) -> None:
        self.talk.add(min(TALK_BINS, int(max(0.0, seconds) / TALK_BIN)))
        self._talk_sum = self._talk_sum * (1.0 - 1.0 / HANDLE_MEMORY) + seconds

    def add_wrap(self, seconds: float) -> None:
        self.wrap.add(min(WRAP_BINS, int(max(0.0, seconds))))
        self._wrap_sum = self._wrap_sum * (1.0 - 1.0 / HANDLE_MEMORY) + seconds

    def refresh(self, default_wrap: float) -> None:
        self._talk_survival = self._survival(self.talk)
        self._wrap_survival = self._survival(self.wrap)
        decayed_count = (1.0 - (1.0 - 1.0 / HANDLE_MEMORY) ** max(1, self.talk.samples)) * HANDLE_MEMORY
        self.mean_talk = self._talk_sum / decayed_count if self.talk.samples else 0.0
        if self.wrap.samples:
            wrap_count = (1.0 - (1.0 - 1.0 / HANDLE_MEMORY) ** self.wrap.samples) * HANDLE_MEMORY
            self.mean_wrap = self._wrap_sum / wrap_count
        else:
            self.mean_wrap = default_wrap

    @staticmethod
    def _survival(histogram: _Decayed) -> list[float]:
        """P(X > bin start) per bin, from the decayed counts."""
        total = histogram.total
        if total <= 0:
            return []
        survival = []
        left = total
        for value in histogram.bins:
            survival.append(left / total)
            left -= value
        survival.append(0.0)
        return survival

    @staticmethod
    def _at(survival: list[float], x: float, width: float) -> float:
        """Survival at ``x`` seconds, linear inside a bin."""
        if x <= 0:
            return 1.0
        position = x / width
        index = int(position)
        if index >= len(survival) - 1:
            return 0.0
        fraction = position - index
        return survival[index] + (survival[index + 1] - survival[index]) * fraction

    def free_talking(self, elapsed: float, within: float) -> float:
        """P(an agent talking for ``elapsed`` s is free within ``within`` s), wrap-up included."""
        left = within - self.mean_wrap
        if left <= 0:
            return 0.0
        survival = self._talk_survival
        if not survival:
            return 0.0
        now = self._at(survival, elapsed, TALK_BIN)
        if now <= 1e-9:
            # Longer than every call seen: assume a memoryless tail with the mean talk time.
            mean = self.mean_talk or 120.0
            return 1.0 - math.exp(-left / mean)
        later = self._at(survival, elapsed + left, TALK_BIN)
        return max(0.0, min(1.0, (now - later) / now))

    def free_wrapping(self, elapsed: float, within: float) -> float:
        survival = self._wrap_survival
        if not survival:
            return 1.0 if elapsed + within >= self.mean_wrap else 0.0
        now = self._at(survival, elapsed, 1.0)
        if now <= 1e-9:
            return 1.0
        later = self._at(survival, elapsed + within, 1.0)
        return max(0.0, min(1.0, (now - later) / now))


class AbandonControl:
    """θ from the realised abandon rate.

    The budget: ``target`` = 87 % of the limit, AMD false positives (estimated, never seen)
    included. Per detected live answer the pacing may therefore abandon
    ``b = (target − f) / (1 − f)``, less one standard deviation of the unseen false positives
    (``√(f(1 − f)/n)`` over the window's ``n`` live answers: a small campaign can be unlucky). A Robbins–Monro step moves log θ by ``κ·(b − 1{abandoned})``
    after each live answer, which converges to the θ whose abandon probability is ``b``; on top,
    every abandon beyond the allowance so far (this run, and the 30-day window with its
    history) cuts θ further, and near the limit θ drops to its floor (progressive-like)."""

    def __init__(self, settings: CampaignSettings) -> None:
        self.cap = max(0.0, float(settings.max_abandon_rate))
        self.target = self.cap * TARGET_SHARE
        self.fp = min(0.5, max(0.0, float(settings.amd_false_positive_rate)))
        self.budget = max(0.0, (self.target - self.fp) / (1.0 - self.fp))
        self.history_live = max(0, int(settings.history_live_answers))
        self.history_abandoned = max(0, int(settings.history_abandoned))
        theta0 = min(THETA_MAX, max(THETA_MIN, self.budget))
        self.log_theta = math.log(theta0)
        self.live = 0  # detected live answers this run
        self.abandoned = 0  # of which abandoned by pacing

    def current_budget(self) -> float:
        """The pacing allowance per live answer, less one standard deviation of the false
        positives nobody sees (their count is binomial: a small campaign can be unlucky)."""
        live = self.history_live + self.live
        if not self.fp:
            return self.budget
        unseen = math.sqrt(self.fp * (1.0 - self.fp) / max(live, MIN_LIVE_FOR_RATE))
        return max(0.0, (self.target - unseen - self.fp) / (1.0 - self.fp))

    def observe(self, *, abandoned: bool) -> None:
        self.live += 1
        if abandoned:
            self.abandoned += 1
        step = KAPPA * (self.current_budget() - (1.0 if abandoned else 0.0))
        self.log_theta = min(math.log(THETA_MAX), max(math.log(THETA_MIN), self.log_theta + step))

    def rates(self) -> tuple[float | None, float | None]:
        """(this run's, the 30-day window's) abandon rate, estimated false positives included."""
        false_positives = self.live * self.fp / (1.0 - self.fp)
        run_live = self.live + false_positives
        run = (self.abandoned + false_positives) / run_live if run_live else None
        window_live = self.history_live + run_live
        window = (self.history_abandoned + self.abandoned + false_positives) / window_live if window_live else None
        return run, window

    def theta(self) -> float:
        if self.cap <= 0:
            return THETA_MIN
        false_positives = self.live * self.fp / (1.0 - self.fp)
        run_over = (self.abandoned + false_positives) - self.target * (self.live + false_positives)
        window_over = (self.history_abandoned + self.abandoned + false_positives) - self.target * (
            self.history_live + self.live + false_positives
        )
        over = max(run_over, window_over, 0.0)
        theta = math.exp(self.log_theta - KAPPA_OVER * over)
        run, window = self.rates()
        near = self.cap * NEAR_CAP
        if (run is not None and self.live >= MIN_LIVE_FOR_RATE and run >= near) or (
            window is not None and self.history_live + self.live >= MIN_LIVE_FOR_RATE and window >= near
        ):
            return THETA_MIN
        return min(THETA_MAX, max(THETA_MIN, theta))


@dataclass
class _Tables:
    p_live: float = 0.0
    quantile_ages: list[float] = field(default_factory=list)
    by_age: list[list[float]] = field(default_factory=list)
    new_line: list[float] = field(default_factory=list)
    p_human: float = 0.5
    talk_rows: dict[int, list[float]] = field(default_factory=dict)
    wrap_rows: dict[int, list[float]] = field(default_factory=dict)


class PredictivePacer(Pacer):
    """Dial while the next line's live answer would find an agent with probability ≥ 1 − θ."""

    mode = MODE_PREDICTIVE

    def __init__(self, settings: CampaignSettings) -> None:
        super().__init__()
        self.grace = float(settings.abandon_grace_seconds)
        self.default_wrap = float(settings.wrapup_seconds)
        self.lines = LineModel(int(settings.ring_timeout_seconds) + 15)
        self.handle = HandleModel()
        self.control = AbandonControl(settings)
        self.fallback = ProgressivePacer()
        self._tables: _Tables | None = None
        self._refreshed_at = -math.inf
        self._dirty = True

    # --- learning -----------------------------------------------------------------------
    def observe_line(self, age: float, *, live: bool) -> None:
        self.lines.add(age, live=live)
        self._dirty = True

    def observe_amd(self, *, live: bool) -> None:
        self.lines.add_amd(live=live)

    def observe_talk(self, seconds: float) -> None:
        self.handle.add_talk(seconds)
        self._dirty = True

    def observe_wrapup(self, seconds: float) -> None:
        self.handle.add_wrap(seconds)

    def observe_live_outcome(self, *, abandoned: bool) -> None:
        self.control.observe(abandoned=abandoned)

    @property
    def warming_up(self) -> bool:
        return (
            self.lines.resolved < WARMUP_LINES
            or self.lines.live.samples < WARMUP_LIVE
            or self.handle.talk.samples < WARMUP_TALKS
        )

    def _refresh(self, now: float) -> _Tables:
        if self._tables is None or (self._dirty and now - self._refreshed_at >= REFRESH_SECONDS):
            p_live, ages, by_age, new_line, p_human = self.lines.tables(len(QUANTILES))
            self.handle.refresh(self.default_wrap)
            self._tables = _Tables(p_live, ages, by_age, new_line, p_human)
            self._refreshed_at = now
            self._dirty = False
        return self._tables

    # --- deciding -----------------------------------------------------------------------
    def decide(self, snapshot: PacingSnapshot) -> int:
        last = self.last
        last.warming_up = self.warming_up
        if last.warming_up:
            last.threshold = last.marginal_abandon = None
            return self._record(self.fallback.decide(snapshot))
        tables = self._refresh(snapshot.now)
        theta = self.control.theta()
        last.threshold = theta
        last.live_probability = tables.p_live
        limit = int(MAX_LINES_PER_AGENT * max(1, snapshot.logged_in)) - snapshot.in_flight
        if snapshot.free_channels is not None:
            limit = min(limit, snapshot.free_channels)
        if limit <= 0 or snapshot.logged_in <= 0:
            last.marginal_abandon = None
            return self._record(0)
        mean, variance = self._balance(snapshot, tables)
        new_line = tables.new_line
        weight = 1.0 / len(mean)
        lines = 0
        marginal = None
        while lines < limit:
            abandon = 0.0
            for index, mu in enumerate(mean):
                abandon += _phi((mu + 0.5) / math.sqrt(variance[index] + SIGMA_FLOOR**2))
            abandon *= weight
            if abandon > theta:
                break
            marginal = abandon
            lines += 1
            for index, g in enumerate(new_line):
                mean[index] += g
                variance[index] += g * (1.0 - g)
        last.marginal_abandon = marginal
        return self._record(lines)

    def _balance(self, snapshot: PacingSnapshot, tables: _Tables) -> tuple[list[float], list[float]]:
        """Per quantile point s_q: mean and variance of (live answers by s_q) − (agents free by
        s_q + grace), before any new line."""
        points = len(tables.quantile_ages)
        p_human = tables.p_human
        demand = snapshot.waiting + snapshot.amd_pending * p_human
        mean = [demand - snapshot.ready] * points
        variance = [snapshot.amd_pending * p_human * (1.0 - p_human)] * points
        # Ringing lines, grouped by whole-second age.
        by_age = tables.by_age
        top = len(by_age) - 1
        counts: dict[int, int] = {}
        for age in snapshot.line_ages:
            bucket = min(top, int(age))
            counts[bucket] = counts.get(bucket, 0) + 1
        for bucket, count in counts.items():
            row = by_age[bucket]
            for index in range(points):
                probability = row[index]
                mean[index] += count * probability
                variance[index] += count * probability * (1.0 - probability)
        # Busy agents who may free in time.
        for elapsed in snapshot.talking:
            row = self._talk_row(tables, elapsed)
            for index in range(points):
                probability = row[index]
                mean[index] -= probability
                variance[index] += probability * (1.0 - probability)
        for elapsed in snapshot.wrapping:
            row = self._wrap_row(tables, elapsed)
            for index in range(points):
                probability = row[index]
                mean[index] -= probability
                variance[index] += probability * (1.0 - probability)
        return mean, variance

    def _talk_row(self, tables: _Tables, elapsed: float) -> list[float]:
        bucket = int(elapsed / TALK_BIN)
        row = tables.talk_rows.get(bucket)
        if row is None:
            start = bucket * TALK_BIN + TALK_BIN / 2
            row = [self.handle.free_talking(start, s + self.grace) for s in tables.quantile_ages]
            tables.talk_rows[bucket] = row
        return row

    def _wrap_row(self, tables: _Tables, elapsed: float) -> list[float]:
        bucket = int(elapsed)
        row = tables.wrap_rows.get(bucket)
        if row is None:
            row = [self.handle.free_wrapping(bucket + 0.5, s + self.grace) for s in tables.quantile_ages]
            tables.wrap_rows[bucket] = row
        return row


def make_pacer(settings: CampaignSettings) -> Pacer:
    if settings.mode == MODE_PREVIEW:
        return PreviewPacer()
    if settings.mode == MODE_POWER:
        return PowerPacer(max(1.0, float(settings.ratio)))
    if settings.mode == MODE_PREDICTIVE:
        return PredictivePacer(settings)
    return ProgressivePacer()
