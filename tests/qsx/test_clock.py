"""Schedulers: the manual clock used by tests, and the asyncio one used at run time."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from custom_components.homeworks_qsx.qsx.clock import (
    DEFAULT_START,
    AsyncioScheduler,
    ManualScheduler,
)


def test_manual_scheduler_runs_due_callbacks_in_order() -> None:
    """Callbacks run when due, earliest first, ties in scheduling order."""
    clock = ManualScheduler()
    ran: list[str] = []
    clock.call_later(2, lambda: ran.append("b"))
    clock.call_later(1, lambda: ran.append("a"))
    clock.call_later(2, lambda: ran.append("c"))
    assert clock.pending == 3
    assert clock.advance(1.5) == 1
    assert ran == ["a"]
    assert clock.advance(0.5) == 2
    assert ran == ["a", "b", "c"]
    assert clock.pending == 0
    assert clock.monotonic() == 2.0


def test_manual_scheduler_cancel_and_nested_scheduling() -> None:
    """A cancelled timer never runs; one scheduled by a callback runs in the same advance if due."""
    clock = ManualScheduler()
    ran: list[str] = []
    cancelled = clock.call_later(1, lambda: ran.append("never"))
    cancelled.cancel()
    cancelled.cancel()  # twice is harmless
    assert not cancelled.active

    def schedule_nested() -> None:
        clock.call_later(1, lambda: ran.append("nested"))

    clock.call_later(1, schedule_nested)
    clock.call_later(-5, lambda: ran.append("now"))  # negative delay: due at once
    assert clock.pending == 2
    assert clock.advance(3) == 3
    assert ran == ["now", "nested"]
    assert clock.pending == 0


def test_manual_timer_runs_once() -> None:
    """Running a spent timer again does nothing; cancelling it after it ran does nothing."""
    clock = ManualScheduler()
    ran: list[int] = []
    timer = clock.call_later(1, lambda: ran.append(1))
    clock.advance(1)
    timer.run()
    timer.cancel()
    assert ran == [1]
    assert clock.pending == 0


def test_manual_scheduler_now_follows_advance() -> None:
    """`now()` is the start time plus the seconds advanced."""
    start = dt.datetime(2030, 6, 1, 12, 0, tzinfo=dt.UTC)
    clock = ManualScheduler(start)
    clock.advance(90)
    assert clock.now() == start + dt.timedelta(seconds=90)
    assert ManualScheduler().now() == DEFAULT_START


def test_manual_scheduler_rejects_bad_input() -> None:
    """Naive start times and going back in time are refused."""
    with pytest.raises(ValueError, match="timezone-aware"):
        ManualScheduler(dt.datetime(2030, 1, 1))  # noqa: DTZ001
    with pytest.raises(ValueError, match="back"):
        ManualScheduler().advance(-1)


def test_manual_scheduler_stops_runaway_timer_loops() -> None:
    """A callback that reschedules itself without delay is stopped after the configured count."""
    clock = ManualScheduler(max_callbacks_per_advance=10)

    def again() -> None:
        clock.call_later(0, again)

    clock.call_later(0, again)
    with pytest.raises(RuntimeError, match="too many"):
        clock.advance(1)


async def test_asyncio_scheduler_uses_running_loop() -> None:
    """Timers run on the event loop and can be cancelled; `now()` is timezone-aware."""
    clock = AsyncioScheduler()
    fired = asyncio.Event()
    clock.call_later(0, fired.set)
    cancelled = clock.call_later(60, fired.clear)
    cancelled.cancel()
    await asyncio.wait_for(fired.wait(), 5)
    assert clock.now().tzinfo is not None
    assert clock.monotonic() > 0
    tokyo = dt.timezone(dt.timedelta(hours=9))
    assert AsyncioScheduler(tokyo).now().utcoffset() == dt.timedelta(hours=9)


def test_asyncio_scheduler_needs_a_loop_only_for_timers() -> None:
    """Without a running loop, reading the clock works and starting a timer fails."""
    clock = AsyncioScheduler()
    assert clock.now().tzinfo is not None
    with pytest.raises(RuntimeError):
        clock.call_later(1, lambda: None)
