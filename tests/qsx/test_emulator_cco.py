"""The contact closure output: maintained and momentary, pulses, power loss (O1–O4)."""

from __future__ import annotations

import pytest

from custom_components.homeworks_qsx.qsx.clock import ManualScheduler
from custom_components.homeworks_qsx.qsx.const import (
    CCO_AC_RATING,
    CCO_DC_RATING,
    IgnoredReason,
    module_facts,
)
from custom_components.homeworks_qsx.qsx.emulator import Emulator
from custom_components.homeworks_qsx.qsx.events import Event, EventKind

from .conftest import A1, A3, EventLog

# A1 has a momentary CCO with a 2 s pulse; A3 a maintained one.


def test_o1_maintained_cco_closes_and_opens(emulator: Emulator, log: EventLog) -> None:
    """O1, O2: a maintained CCO stays as commanded (closed = relay energised, N.O. closed)."""
    assert emulator.set_cco(A3, True) is None
    assert emulator.state(A3).cco_closed
    assert emulator.set_cco(A3, False) is None
    assert not emulator.state(A3).cco_closed
    assert log.of(EventKind.CCO) == [
        Event(EventKind.CCO, A3, None, True),
        Event(EventKind.CCO, A3, None, False),
    ]


def test_o2_momentary_cco_pulses_by_itself(
    emulator: Emulator, scheduler: ManualScheduler, log: EventLog
) -> None:
    """O2: closing a momentary CCO closes it for its pulse time; it opens by itself, leaving no timer."""
    assert emulator.set_cco(A1, True) is None
    assert emulator.state(A1).cco_closed
    scheduler.advance(1.9)
    assert emulator.state(A1).cco_closed
    scheduler.advance(0.1)
    assert not emulator.state(A1).cco_closed
    assert scheduler.pending == 0
    assert [e.value for e in log.of(EventKind.CCO)] == [True, False]


def test_o2_pulse_with_explicit_time_and_restart(
    emulator: Emulator, scheduler: ManualScheduler
) -> None:
    """O2: a pulse may give its own time; a new pulse restarts the timer (one timer only)."""
    assert emulator.pulse_cco(A3, 1.0) is None  # any CCO may be pulsed
    scheduler.advance(0.5)
    emulator.pulse_cco(A3, 1.0)
    assert scheduler.pending == 1
    scheduler.advance(0.9)
    assert emulator.state(A3).cco_closed
    scheduler.advance(0.1)
    assert not emulator.state(A3).cco_closed
    emulator.pulse_cco(A1)  # default: the configured 2 s
    scheduler.advance(1.5)
    assert emulator.state(A1).cco_closed
    scheduler.advance(0.5)
    assert not emulator.state(A1).cco_closed


def test_o2_pulse_is_cancellable(
    emulator: Emulator, scheduler: ManualScheduler
) -> None:
    """O2: opening the CCO ends a pulse early and cancels its timer; closing a maintained CCO keeps it closed."""
    emulator.set_cco(A1, True)
    emulator.set_cco(A1, False)
    assert not emulator.state(A1).cco_closed
    assert scheduler.pending == 0
    emulator.pulse_cco(A3, 1)
    emulator.set_cco(A3, True)  # maintained: stays closed, the pulse is over
    assert scheduler.pending == 0
    scheduler.advance(5)
    assert emulator.state(A3).cco_closed


@pytest.mark.parametrize("seconds", [0.1, 3601, float("inf"), True, "2"])
def test_o2_pulse_time_range(emulator: Emulator, seconds: object) -> None:
    """O2: a pulse lasts 0.25 s to 1 h; anything else is a `ValueError` and changes nothing."""
    with pytest.raises(ValueError, match="pulse lasts"):
        emulator.pulse_cco(A3, seconds)  # type: ignore[arg-type]
    assert not emulator.state(A3).cco_closed


def test_o3_power_loss_opens_cco_and_cancels_pulse(
    emulator: Emulator, scheduler: ManualScheduler
) -> None:
    """O3: the relay opens when power is lost, a pending pulse is cancelled, and it stays open afterwards."""
    emulator.set_cco(A3, True)
    emulator.pulse_cco(A1)
    emulator.set_power(A3, False)
    emulator.set_power(A1, False)
    assert not emulator.state(A3).cco_closed
    assert not emulator.state(A1).cco_closed
    assert scheduler.pending == 0
    assert emulator.set_cco(A3, True) is IgnoredReason.NO_POWER
    emulator.set_power(A3, True)
    emulator.set_power(A1, True)
    assert not emulator.state(A3).cco_closed
    assert not emulator.state(A1).cco_closed
    assert emulator.set_cco(A3, True) is None


def test_o4_contact_ratings_are_diagnostic_facts(emulator: Emulator) -> None:
    """O4: 24 V DC at 1 A, 24 V AC at 0.5 A, resistive; reported in diagnostics, not enforced."""
    assert CCO_DC_RATING == (24.0, 1.0)
    assert CCO_AC_RATING == (24.0, 0.5)
    facts = emulator.diagnostics()["module"]
    assert facts == module_facts()
    assert facts["cco_dc_rating"] == {"volts": 24.0, "amps": 1.0}
    assert facts["cco_ac_rating"] == {"volts": 24.0, "amps": 0.5}


def test_close_cancels_every_timer(
    emulator: Emulator, scheduler: ManualScheduler, log: EventLog
) -> None:
    """`close()` cancels pulses (opening their contacts) and delayed callbacks."""
    ran: list[int] = []
    emulator.pulse_cco(A1)
    emulator.call_later(5, lambda: ran.append(1))
    assert scheduler.pending == 2
    log.clear()
    emulator.close()
    assert scheduler.pending == 0
    assert not emulator.state(A1).cco_closed
    assert log.events == [Event(EventKind.CCO, A1, None, False)]
    scheduler.advance(10)
    assert ran == []


def test_call_later_runs_and_can_be_cancelled(
    emulator: Emulator, scheduler: ManualScheduler
) -> None:
    """Delayed callbacks run on the emulator's scheduler; a cancelled one never runs."""
    ran: list[str] = []
    emulator.call_later(1, lambda: ran.append("a"))
    cancelled = emulator.call_later(1, lambda: ran.append("b"))
    cancelled.cancel()
    scheduler.advance(1)
    assert ran == ["a"]
    assert scheduler.pending == 0
    emulator.close()
    assert emulator.scheduler is scheduler
