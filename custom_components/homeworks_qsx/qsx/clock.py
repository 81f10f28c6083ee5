"""Time sources for the emulator: timers and the processor timeclock (P5).

`AsyncioScheduler` uses the running event loop and the real clock. `ManualScheduler` is for tests and
simulations: time moves only when `advance()` is called, so nothing ever sleeps.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import datetime as dt
import heapq
import itertools
import time
from typing import Protocol

# A callback that keeps rescheduling itself with no delay would spin `advance()` forever.
MAX_CALLBACKS_PER_ADVANCE = 1_000_000

DEFAULT_START = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


class TimerHandle(Protocol):
    """A scheduled callback that can be cancelled (`asyncio.TimerHandle` is one)."""

    def cancel(self) -> None:
        """Cancel the callback; harmless when it already ran or was cancelled."""


class Scheduler(Protocol):
    """What the emulator needs from a clock."""

    def call_later(self, delay: float, callback: Callable[[], None]) -> TimerHandle:
        """Run `callback` after `delay` seconds; returns a handle to cancel it."""

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back."""

    def now(self) -> dt.datetime:
        """Return the wall-clock time, timezone-aware (the processor timeclock adds its offset to it)."""


class AsyncioScheduler:
    """Timers on the running asyncio event loop and the real clock.

    The loop is looked up only when a timer is started, so an emulator can be built outside a loop.
    """

    __slots__ = ("_tz",)

    def __init__(self, tz: dt.tzinfo | None = None) -> None:
        """Use `tz` for `now()` (default: the host's local time zone)."""
        self._tz = tz

    def call_later(self, delay: float, callback: Callable[[], None]) -> TimerHandle:
        """Schedule on the running loop; `RuntimeError` when no loop is running."""
        return asyncio.get_running_loop().call_later(max(0.0, delay), callback)

    def monotonic(self) -> float:
        """Return `time.monotonic()`."""
        return time.monotonic()

    def now(self) -> dt.datetime:
        """Return the current time in the configured (or local) time zone."""
        if self._tz is None:
            return dt.datetime.now(dt.UTC).astimezone()
        return dt.datetime.now(self._tz)


class ManualTimer:
    """A timer of a `ManualScheduler`."""

    __slots__ = ("_callback", "_done", "_on_done", "when")

    def __init__(
        self, when: float, callback: Callable[[], None], on_done: Callable[[], None]
    ) -> None:
        """Remember when to run what, and whom to tell once the timer is spent."""
        self._on_done = on_done
        self.when = when
        self._callback = callback
        self._done = False

    @property
    def active(self) -> bool:
        """Whether the timer has neither run nor been cancelled."""
        return not self._done

    def cancel(self) -> None:
        """Cancel the timer (no effect once it ran)."""
        if not self._done:
            self._done = True
            self._on_done()

    def run(self) -> None:
        """Run the callback now, once (the scheduler calls this when the timer falls due)."""
        if self._done:
            return
        self._done = True
        self._on_done()
        self._callback()


class ManualScheduler:
    """A clock that moves only when told to: `advance(seconds)` runs the callbacks that fall due, in order.

    Callbacks due at the same moment run in the order they were scheduled; callbacks scheduled while advancing
    run in the same call when they fall due before its end.
    """

    __slots__ = ("_heap", "_max_callbacks", "_pending", "_seq", "_start", "_time")

    def __init__(
        self,
        start: dt.datetime = DEFAULT_START,
        *,
        max_callbacks_per_advance: int = MAX_CALLBACKS_PER_ADVANCE,
    ) -> None:
        """Start the wall clock at `start` (timezone-aware) and the monotonic clock at 0.

        `advance()` raises `RuntimeError` after `max_callbacks_per_advance` callbacks, which stops a timer that
        keeps rescheduling itself without delay.
        """
        if start.tzinfo is None:
            raise ValueError("start must be timezone-aware")
        self._start = start
        self._max_callbacks = max_callbacks_per_advance
        self._time = 0.0
        self._seq = itertools.count()
        self._heap: list[tuple[float, int, ManualTimer]] = []
        self._pending = 0

    def call_later(self, delay: float, callback: Callable[[], None]) -> ManualTimer:
        """Run `callback` once the clock has advanced by `delay` seconds (negative counts as 0)."""
        timer = ManualTimer(self._time + max(0.0, delay), callback, self._timer_spent)
        heapq.heappush(self._heap, (timer.when, next(self._seq), timer))
        self._pending += 1
        return timer

    def _timer_spent(self) -> None:
        self._pending -= 1

    def monotonic(self) -> float:
        """Seconds advanced since creation."""
        return self._time

    def now(self) -> dt.datetime:
        """Return the start time plus the seconds advanced."""
        return self._start + dt.timedelta(seconds=self._time)

    @property
    def pending(self) -> int:
        """Number of timers that have neither run nor been cancelled."""
        return self._pending

    def advance(self, seconds: float) -> int:
        """Move the clock forward, running every callback that falls due; returns how many ran."""
        if seconds < 0:
            raise ValueError("time cannot go back")
        target = self._time + seconds
        ran = 0
        while self._heap and self._heap[0][0] <= target:
            if ran >= self._max_callbacks:
                raise RuntimeError("too many callbacks in one advance (a timer loop?)")
            when, _, timer = heapq.heappop(self._heap)
            if not timer.active:
                continue
            self._time = max(self._time, when)
            timer.run()
            ran += 1
        self._time = target
        return ran
