"""The engine's notion of time.

Call control never reads the system clock: it asks a :class:`Clock` for ``now()`` (float
seconds) and schedules its timers (ring timeouts, wrap-up, overflow, announcements) with
``call_at``/``call_later``. The same controller then runs on

* :class:`VirtualClock` — a discrete-event heap for tests, ``simulate`` and benchmarks: a
  day of traffic runs as fast as the CPU allows; and
* :class:`RealClock` — the asyncio event loop, for ``run_engine`` and the demo.

``wall(t)`` converts an engine time into an aware ``datetime`` for CDRs.
"""

from __future__ import annotations

import asyncio
import heapq
import logging
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

logger = logging.getLogger(__name__)


class TimerHandle(ABC):
    """What ``call_at`` returns; ``cancel()`` is idempotent and safe after the timer fired."""

    __slots__ = ()

    @abstractmethod
    def cancel(self) -> None: ...


class Clock(ABC):
    @abstractmethod
    def now(self) -> float:
        """Seconds on this clock (arbitrary origin, monotonic)."""

    @abstractmethod
    def call_at(self, when: float, callback: Callable[..., Any], *args: Any) -> TimerHandle: ...

    def call_later(self, delay: float, callback: Callable[..., Any], *args: Any) -> TimerHandle:
        return self.call_at(self.now() + max(0.0, delay), callback, *args)

    @abstractmethod
    def wall(self, t: float | None = None) -> datetime:
        """The aware UTC datetime of engine time ``t`` (default: now)."""


class _VirtualHandle(TimerHandle):
    __slots__ = ("args", "callback", "when")

    def __init__(self, when: float, callback: Callable[..., Any] | None, args: tuple) -> None:
        self.when = when
        self.callback = callback
        self.args = args

    def cancel(self) -> None:
        self.callback = None
        self.args = ()

    @property
    def cancelled(self) -> bool:
        return self.callback is None


class VirtualClock(Clock):
    """Discrete-event time: ``run_until``/``run`` pop timers in order and jump the clock to each.

    Timers due at the same instant fire in the order they were scheduled. A callback that
    raises stops the run (tests must see engine bugs, not a log line).
    """

    def __init__(self, start: float = 0.0, *, epoch: datetime | None = None) -> None:
        self._now = float(start)
        self._heap: list[tuple[float, int, _VirtualHandle]] = []
        self._seq = 0
        self.epoch = epoch or datetime(2026, 1, 5, 0, 0, tzinfo=UTC)
        self.fired = 0

    def now(self) -> float:
        return self._now

    def call_at(self, when: float, callback: Callable[..., Any], *args: Any) -> TimerHandle:
        when = max(when, self._now)
        handle = _VirtualHandle(when, callback, args)
        self._seq += 1
        heapq.heappush(self._heap, (when, self._seq, handle))
        return handle

    def call_later(self, delay: float, callback: Callable[..., Any], *args: Any) -> TimerHandle:
        when = self._now + delay if delay > 0 else self._now
        handle = _VirtualHandle(when, callback, args)
        self._seq += 1
        heapq.heappush(self._heap, (when, self._seq, handle))
        return handle

    def wall(self, t: float | None = None) -> datetime:
        return self.epoch + timedelta(seconds=self._now if t is None else t)

    def pending(self) -> int:
        return sum(1 for _when, _seq, handle in self._heap if not handle.cancelled)

    def run_until(self, t: float) -> None:
        """Fire every timer due at or before ``t``, then leave the clock at ``t``."""
        heap = self._heap
        pop = heapq.heappop
        while heap and heap[0][0] <= t:
            when, _seq, handle = pop(heap)
            callback = handle.callback
            if callback is None:
                continue
            self._now = when
            handle.callback = None
            self.fired += 1
            callback(*handle.args)
        self._now = max(self._now, t)

    def run(self, *, limit: float | None = None) -> None:
        """Run until no timer is left (or until ``limit``, for processes that never stop)."""
        heap = self._heap
        pop = heapq.heappop
        while heap:
            when, _seq, handle = pop(heap)
            callback = handle.callback
            if callback is None:
                continue
            if limit is not None and when > limit:
                heapq.heappush(heap, (when, _seq, handle))
                self._now = max(self._now, limit)
                return
            self._now = when
            handle.callback = None
            self.fired += 1
            callback(*handle.args)

    def advance(self, seconds: float) -> None:
        self.run_until(self._now + seconds)


class _RealHandle(TimerHandle):
    __slots__ = ("_handle",)

    def __init__(self, handle: asyncio.TimerHandle) -> None:
        self._handle = handle

    def cancel(self) -> None:
        self._handle.cancel()


class RealClock(Clock):
    """Wall time on the running asyncio loop. ``now()`` is ``time.monotonic()``.

    A callback that raises is logged and the loop carries on: one bad call must not stop
    a tenant's contact center.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        self._loop = loop or asyncio.get_running_loop()

    def now(self) -> float:
        return time.monotonic()

    def call_at(self, when: float, callback: Callable[..., Any], *args: Any) -> TimerHandle:
        delay = max(0.0, when - time.monotonic())
        return _RealHandle(self._loop.call_later(delay, self._guarded, callback, args))

    def wall(self, t: float | None = None) -> datetime:
        current = datetime.now(tz=UTC)
        if t is None:
            return current
        return current - timedelta(seconds=time.monotonic() - t)

    @staticmethod
    def _guarded(callback: Callable[..., Any], args: tuple) -> None:
        try:
            callback(*args)
        except Exception:
            logger.exception("engine timer %r failed", callback)
