"""Dimmed zones and shades of the emulated house: levels, fades, ramps, shade travel and its quirks (LP26–LP33)."""

from __future__ import annotations

import pytest

from custom_components.homeworks_qsx.qsx.clock import ManualScheduler
from custom_components.homeworks_qsx.qsx.const import (
    Fault,
    IgnoredReason,
    LedState,
    ShadeMove,
)
from custom_components.homeworks_qsx.qsx.emulator import Emulator
from custom_components.homeworks_qsx.qsx.errors import UnknownObjectError
from custom_components.homeworks_qsx.qsx.events import Event, EventKind

from .conftest import A1, EventLog
from .house import (
    DIMMER,
    KEYPAD,
    SENSOR_1,
    SHADE,
    TILT_SHADE,
    TIMECLOCK,
    house_description,
)


@pytest.fixture
def house(scheduler: ManualScheduler) -> Emulator:
    """Return the emulated house on the manual clock."""
    return Emulator(house_description(), scheduler=scheduler)


@pytest.fixture
def log(house: Emulator) -> EventLog:
    """Return a recorder of the house's events."""
    recorder = EventLog()
    house.events.subscribe(recorder)
    return recorder


def test_every_kind_installed(house: Emulator) -> None:
    """Every device of the description is installed with its state; `modules` stays the switching modules."""
    description = house.description
    assert len(description.modules) == 4
    assert {device.serial for device in description.devices} >= {
        DIMMER,
        SHADE,
        KEYPAD,
        SENSOR_1,
        TIMECLOCK,
    }
    assert [zone.level for zone in house.state(DIMMER).zones] == [0.0] * 4
    assert house.state(TILT_SHADE).zones[0].tilt == 0.0
    assert house.state(SENSOR_1).occupied is False
    assert house.state(TIMECLOCK).timeclock_enabled is True
    assert house.device(KEYPAD).name == "Kitchen keypad"
    assert house.device_integration_id(DIMMER) == 100
    assert house.device(DIMMER.lower()).serial == DIMMER
    with pytest.raises(UnknownObjectError):
        house.module(DIMMER)  # a dimming module is not a switching module
    with pytest.raises(UnknownObjectError, match="FFFFFFFF"):
        house.device("FFFFFFFF")


def test_lp27_set_level_reports_target_at_once(
    house: Emulator, log: EventLog, scheduler: ManualScheduler
) -> None:
    """LP27: a level with a fade is reported at once, one LEVEL event, none during the fade; on = level above 0."""
    assert house.set_level(DIMMER, 2, 60, fade_seconds=4) is None
    assert log.events == [Event(EventKind.LEVEL, DIMMER, 2, 60.0)]
    zone = house.state(DIMMER).zones[1]
    assert (zone.level, zone.on) == (60.0, True)
    scheduler.advance(5)
    assert len(log.events) == 1
    house.set_level(DIMMER, 2, 60)  # unchanged: no event
    assert len(log.events) == 1
    house.set_level(DIMMER, 2, 0)
    assert not house.state(DIMMER).zones[1].on
    assert log.of(EventKind.ZONE) == []  # a level output publishes LEVEL, never ZONE


@pytest.mark.parametrize("fade", [-1, 4 * 3600 + 1, float("nan"), True, "1"])
def test_lp26_fade_range(house: Emulator, fade: object) -> None:
    """LP26: a fade lasts 0 to 4 h (None: the 1 s default); anything else is a `ValueError`, nothing changes."""
    with pytest.raises(ValueError, match="LP26"):
        house.set_level(DIMMER, 1, 50, fade_seconds=fade)  # type: ignore[arg-type]
    assert house.state(DIMMER).zones[0].level == 0
    assert house.set_level(DIMMER, 1, 50, fade_seconds=4 * 3600) is None


@pytest.mark.parametrize("level", [-0.1, 100.5, float("inf"), None, False])
def test_level_range(house: Emulator, level: object) -> None:
    """A level is a number from 0 to 100."""
    with pytest.raises(ValueError, match="0 to 100"):
        house.set_level(DIMMER, 1, level)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("serial", "output"),
    [(DIMMER, 5), (DIMMER, 0), (DIMMER, True), (A1, 1), (KEYPAD, 1)],
)
def test_level_needs_a_level_output(
    house: Emulator, serial: str, output: object
) -> None:
    """Only the dimmed and shade outputs of a device beside the modules take levels."""
    with pytest.raises(UnknownObjectError):
        house.set_level(serial, output, 10)  # type: ignore[arg-type]


def test_lp27_raise_ramps_full_range_in_5_s(
    house: Emulator, log: EventLog, scheduler: ManualScheduler
) -> None:
    """LP27: Raise ramps 20 %/s; one LEVEL at the start (the level then), one at Stop with the level reached."""
    house.set_level(DIMMER, 1, 10)
    log.clear()
    assert house.move(DIMMER, 1, ShadeMove.RAISE) is None
    assert log.events == [Event(EventKind.LEVEL, DIMMER, 1, 10.0)]
    scheduler.advance(2)
    assert len(log.events) == 1  # nothing pushed during the ramp
    assert house.shade_moving(DIMMER, 1)
    house.move(DIMMER, 1, ShadeMove.STOP)
    assert log.events[1:] == [Event(EventKind.LEVEL, DIMMER, 1, 50.0)]
    assert not house.shade_moving(DIMMER, 1)
    house.move(DIMMER, 1, ShadeMove.STOP)  # nothing to stop
    assert len(log.events) == 2


def test_lp27_ramp_to_end_stop_and_off(
    house: Emulator, log: EventLog, scheduler: ManualScheduler
) -> None:
    """LP27: a ramp ends by itself at the end stop with one LEVEL; ramped down to 0 is off."""
    house.set_level(DIMMER, 1, 30)
    log.clear()
    house.move(DIMMER, 1, ShadeMove.LOWER)
    scheduler.advance(1.4)
    assert (
        house.state(DIMMER).zones[0].level == 30
    )  # reported at the start level until it stops
    scheduler.advance(0.1)
    assert log.of(EventKind.LEVEL) == [
        Event(EventKind.LEVEL, DIMMER, 1, 30.0),
        Event(EventKind.LEVEL, DIMMER, 1, 0.0),
    ]
    assert log.events[-1] == Event(
        EventKind.INDICATOR, KEYPAD, 7, LedState.ON
    )  # the "all off" scene is active
    assert not house.state(DIMMER).zones[0].on
    assert not house.shade_moving(DIMMER, 1)  # a dimmed zone is never left "moving"
    house.move(DIMMER, 1, ShadeMove.RAISE)
    house.move(
        DIMMER, 1, ShadeMove.RAISE
    )  # a second raise restarts the ramp from where it is
    scheduler.advance(5)
    assert house.state(DIMMER).zones[0].level == 100.0


def test_lp27_raise_at_full_reports_both_ends(
    house: Emulator, log: EventLog, scheduler: ManualScheduler
) -> None:
    """LP27: a Raise at 100 still pushes its start and its end stop, both at 100."""
    house.set_level(DIMMER, 3, 100)
    log.clear()
    house.move(DIMMER, 3, ShadeMove.RAISE)
    scheduler.advance(0)
    assert log.events == [Event(EventKind.LEVEL, DIMMER, 3, 100.0)] * 2


def test_level_during_ramp_ends_it(
    house: Emulator, log: EventLog, scheduler: ManualScheduler
) -> None:
    """A level sent during a ramp wins: the ramp ends, no end-stop event follows."""
    house.move(DIMMER, 1, ShadeMove.RAISE)
    house.set_level(DIMMER, 1, 40)
    scheduler.advance(10)
    assert house.state(DIMMER).zones[0].level == 40
    assert [e.value for e in log.of(EventKind.LEVEL)] == [0.0, 40.0]


def test_lp33_shade_travels_20_s_until_stop(
    house: Emulator, log: EventLog, scheduler: ManualScheduler
) -> None:
    """LP33: Raise/Lower move a shade 5 %/s until Stop; it reports where it stopped (no push at the start)."""
    assert house.move(SHADE, 1, ShadeMove.RAISE) is None
    assert log.of(EventKind.LEVEL) == []
    scheduler.advance(4)
    house.move(SHADE, 1, ShadeMove.STOP)
    assert log.of(EventKind.LEVEL) == [Event(EventKind.LEVEL, SHADE, 1, 20.0)]
    assert not house.shade_moving(SHADE, 1)
    house.move(SHADE, 1, ShadeMove.LOWER)
    scheduler.advance(2)
    house.move(SHADE, 1, ShadeMove.STOP)
    assert house.state(SHADE).zones[0].level == 10.0


def test_lp33_stop_within_200_ms_leaves_shade_put(
    house: Emulator, log: EventLog, scheduler: ManualScheduler
) -> None:
    """LP33: HA's stop (Raise then Stop at once) does not move the shade; 200 ms or more does."""
    house.set_level(SHADE, 1, 40)
    log.clear()
    house.move(SHADE, 1, ShadeMove.RAISE)
    scheduler.advance(0.19)
    house.move(SHADE, 1, ShadeMove.STOP)
    assert house.state(SHADE).zones[0].level == 40
    assert log.of(EventKind.LEVEL) == []
    house.move(SHADE, 1, ShadeMove.LOWER)
    scheduler.advance(0.2)
    house.move(SHADE, 1, ShadeMove.STOP)
    assert house.state(SHADE).zones[0].level == 39.0


def test_lp33_raise_without_stop_stays_moving(
    house: Emulator, log: EventLog, scheduler: ManualScheduler
) -> None:
    """LP33: a Raise never followed by a Stop reaches the end stop and leaves the shade "moving" until a Stop."""
    house.move(SHADE, 1, ShadeMove.RAISE)
    scheduler.advance(20)
    assert house.state(SHADE).zones[0].level == 100
    assert log.of(EventKind.LEVEL) == [Event(EventKind.LEVEL, SHADE, 1, 100.0)]
    assert house.shade_moving(SHADE, 1)
    scheduler.advance(60)
    assert house.shade_moving(SHADE, 1)
    house.move(SHADE, 1, ShadeMove.STOP)
    assert not house.shade_moving(SHADE, 1)
    assert house.state(SHADE).zones[0].level == 100
    house.move(SHADE, 1, ShadeMove.LOWER)
    scheduler.advance(30)
    assert house.shade_moving(SHADE, 1)
    house.set_level(SHADE, 1, 50)  # ours: a level ends the "moving" state too
    assert not house.shade_moving(SHADE, 1)


def test_shade_level_reported_at_once(house: Emulator, log: EventLog) -> None:
    """Ours: a level sent to a shade is reported at once, like a dimmed zone's (LP27), whatever the fade."""
    house.set_level(SHADE, 1, 65, fade_seconds=10)
    assert log.events == [Event(EventKind.LEVEL, SHADE, 1, 65.0)]
    assert house.state(SHADE).zones[0].on


def test_lp30_tilt(house: Emulator, log: EventLog) -> None:
    """LP30/LP31: a shade with tilt takes a tilt 0..100, reported at once; other outputs have none."""
    assert house.set_tilt(TILT_SHADE, 1, 45) is None
    assert log.events == [Event(EventKind.TILT, TILT_SHADE, 1, 45.0)]
    house.set_tilt(TILT_SHADE, 1, 45)
    assert len(log.events) == 1
    with pytest.raises(UnknownObjectError, match="no tilt"):
        house.set_tilt(SHADE, 1, 10)
    with pytest.raises(ValueError, match="tilt"):
        house.set_tilt(TILT_SHADE, 1, 101)


def test_manual_level(
    house: Emulator, log: EventLog, scheduler: ManualScheduler
) -> None:
    """A person moves a shade by hand or sets a dimmed zone at its control: it applies, with its events."""
    house.move(SHADE, 1, ShadeMove.LOWER)
    house.simulate(SHADE, Fault.MANUAL_LEVEL, 30)
    assert log.of(EventKind.LEVEL) == [Event(EventKind.LEVEL, SHADE, 1, 30.0)]
    assert not house.shade_moving(SHADE, 1)
    house.simulate(DIMMER, Fault.MANUAL_LEVEL, 80, output=4)
    assert house.state(DIMMER).zones[3].level == 80
    house.simulate(DIMMER, Fault.POWER, False)
    house.simulate(
        DIMMER, Fault.MANUAL_LEVEL, 20, output=4
    )  # a physical change always applies
    assert house.state(DIMMER).zones[3].level == 20
    with pytest.raises(ValueError, match="manual level"):
        house.simulate(SHADE, Fault.MANUAL_LEVEL, 120)
    with pytest.raises(UnknownObjectError, match="has no manual level"):
        house.simulate(A1, Fault.MANUAL_LEVEL, 20)


def test_lp49_unreachable_device_ignores_commands(
    house: Emulator, log: EventLog, scheduler: ManualScheduler
) -> None:
    """LP49: every device on a link loses power or link; it then ignores commands with the reason."""
    house.set_level(DIMMER, 1, 50)
    house.move(DIMMER, 2, ShadeMove.RAISE)
    scheduler.advance(1)
    log.clear()
    house.simulate(DIMMER, Fault.POWER, False)
    assert log.events == [
        Event(EventKind.POWER, DIMMER, None, False),
        Event(EventKind.LEVEL, DIMMER, 2, 20.0),
    ]
    state = house.state(DIMMER)
    assert state.zones[0].level == 50 and not state.zones[0].level_accurate
    assert house.set_level(DIMMER, 1, 10) is IgnoredReason.NO_POWER
    assert house.move(DIMMER, 1, ShadeMove.RAISE) is IgnoredReason.NO_POWER
    assert state.zones[0].level == 50
    house.simulate(DIMMER, Fault.POWER, True)
    assert state.zones[0].level_accurate
    house.simulate(SHADE, Fault.LINK, False)
    assert house.move(SHADE, 1, ShadeMove.RAISE) is IgnoredReason.NO_LINK
    assert house.set_tilt(TILT_SHADE, 1, 5) is None
    house.simulate(TILT_SHADE, Fault.LINK, False)
    assert house.set_tilt(TILT_SHADE, 1, 10) is IgnoredReason.NO_LINK
    assert house.state(TILT_SHADE).zones[0].tilt == 5
    with pytest.raises(TypeError):
        house.simulate(SHADE, Fault.LINK, 1)
    with pytest.raises(UnknownObjectError, match="no power or link"):
        house.simulate(TIMECLOCK, Fault.POWER, False)
    with pytest.raises(UnknownObjectError, match="not a switching module"):
        house.simulate(SHADE, Fault.BYPASS, True)
