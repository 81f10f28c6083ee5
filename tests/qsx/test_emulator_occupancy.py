"""Occupancy sensors and timeclocks of the emulated house (LP44, LP45, LP46)."""

from __future__ import annotations

import datetime as dt

import pytest

from custom_components.homeworks_qsx.qsx.clock import AsyncioScheduler, ManualScheduler
from custom_components.homeworks_qsx.qsx.const import Fault
from custom_components.homeworks_qsx.qsx.emulator import Emulator
from custom_components.homeworks_qsx.qsx.emulator.house import next_occurrence
from custom_components.homeworks_qsx.qsx.errors import UnknownObjectError
from custom_components.homeworks_qsx.qsx.events import Event, EventKind
from custom_components.homeworks_qsx.qsx.model import (
    TimeclockEventDescription,
    TimeclockEventType,
)

from .conftest import A1, EventLog
from .house import (
    DIMMER,
    KEYPAD,
    SENSOR_1,
    SENSOR_2,
    SENSOR_3,
    SHADE,
    TIMECLOCK,
    house_description,
)

# The manual clock starts on Thursday 1 January 2026, 00:00 UTC.
HOUR = 3600.0


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


def test_lp44_area_occupancy(house: Emulator, log: EventLog) -> None:
    """LP44: an area is occupied while any of its sensors senses a person; each sensor of the area reports it."""
    assert house.area_occupancy("Kitchen") is False
    assert house.area_occupancy("Hall") is None  # no sensor there
    house.simulate(SENSOR_1, Fault.OCCUPANCY, True)
    assert house.area_occupancy("Kitchen") is True
    assert log.events == [
        Event(EventKind.OCCUPANCY, SENSOR_1, None, True),
        Event(EventKind.OCCUPANCY, SENSOR_2, None, True),
    ]
    assert house.state(SENSOR_2).occupied is True
    assert house.area_occupancy("Living") is False
    log.clear()
    house.simulate(SENSOR_2, Fault.OCCUPANCY, True)
    house.simulate(SENSOR_1, Fault.OCCUPANCY, False)  # sensor 2 still senses someone
    assert log.events == []
    house.simulate(SENSOR_2, Fault.OCCUPANCY, False)
    assert house.area_occupancy("Kitchen") is False
    assert len(log.of(EventKind.OCCUPANCY)) == 2
    house.simulate(SENSOR_3, Fault.OCCUPANCY, True)
    assert log.events[-1] == Event(EventKind.OCCUPANCY, SENSOR_3, None, True)
    with pytest.raises(TypeError):
        house.simulate(SENSOR_3, Fault.OCCUPANCY, 1)
    with pytest.raises(UnknownObjectError, match="senses no occupancy"):
        house.simulate(DIMMER, Fault.OCCUPANCY, True)
    with pytest.raises(UnknownObjectError, match="has no occupancy"):
        house.simulate(A1, Fault.OCCUPANCY, True)


def test_lp46_set_timeclock(house: Emulator, log: EventLog) -> None:
    """LP46: a timeclock is enabled or disabled, with a TIMECLOCK event on each change."""
    assert house.set_timeclock(TIMECLOCK, False) is None
    assert log.events == [Event(EventKind.TIMECLOCK, TIMECLOCK, None, False)]
    house.set_timeclock(TIMECLOCK, False)
    assert len(log.events) == 1
    assert house.state(TIMECLOCK).timeclock_enabled is False
    with pytest.raises(TypeError):
        house.set_timeclock(TIMECLOCK, "on")  # type: ignore[arg-type]
    with pytest.raises(UnknownObjectError, match="not a timeclock"):
        house.set_timeclock(KEYPAD, True)


def test_lp45_events_run_on_processor_time(
    house: Emulator, scheduler: ManualScheduler
) -> None:
    """LP45/LP46: events run at their time on their days; astronomic ones at 06:00/18:00 plus offset (ours)."""
    scheduler.advance(5.5 * HOUR - 1)
    assert house.state(SHADE).zones[0].level == 0
    scheduler.advance(1)  # 05:30: sunrise - 30 min opens the shade
    assert house.state(SHADE).zones[0].level == 100
    scheduler.advance(2 * HOUR)  # 07:30, a Thursday
    assert house.state(DIMMER).zones[0].level == 100
    assert house.state(A1).zones[0].on
    scheduler.advance(10.75 * HOUR)  # 18:15: sunset + 15 min closes it
    assert house.state(SHADE).zones[0].level == 0
    house.set_level(DIMMER, 1, 0)
    scheduler.advance(24 * HOUR)  # Friday: the morning event ran again
    assert house.state(DIMMER).zones[0].level == 100
    house.set_level(DIMMER, 1, 0)
    scheduler.advance(24 * HOUR)  # Saturday 18:15: not one of its days
    assert house.state(DIMMER).zones[0].level == 0
    assert house.diagnostics()["timeclock_scheduled"]


def test_lp46_disabled_timeclock_fires_nothing(
    house: Emulator, scheduler: ManualScheduler
) -> None:
    """LP46: a disabled timeclock runs none of its events; enabled again, it runs the next ones."""
    house.set_timeclock(TIMECLOCK, False)
    assert not house.diagnostics()["timeclock_scheduled"]
    scheduler.advance(8 * HOUR)
    assert house.state(SHADE).zones[0].level == 0
    assert house.state(DIMMER).zones[0].level == 0
    house.set_timeclock(TIMECLOCK, True)
    scheduler.advance(11 * HOUR)  # 19:00
    assert (
        house.state(SHADE).zones[0].level == 0
    )  # the sunset event closed an already closed shade
    house.set_level(SHADE, 1, 50)
    scheduler.advance(10.5 * HOUR)  # 05:30 the next day
    assert house.state(SHADE).zones[0].level == 100


def test_processor_time_change_reschedules(
    house: Emulator, scheduler: ManualScheduler
) -> None:
    """P5: setting the processor clock moves when the next event runs."""
    house.set_processor_time(dt.datetime(2026, 1, 1, 7, 29, tzinfo=dt.UTC))
    scheduler.advance(60)
    assert house.state(DIMMER).zones[0].level == 100
    assert (
        house.state(SHADE).zones[0].level == 0
    )  # 05:30 was skipped over, not caught up


def test_close_and_start(house: Emulator, scheduler: ManualScheduler) -> None:
    """`close()` cancels the timeclock timer; `start()` schedules it again (twice is harmless)."""
    house.close()
    scheduler.advance(6 * HOUR)
    assert house.state(SHADE).zones[0].level == 0
    house.start()
    house.start()
    scheduler.advance(24 * HOUR)
    assert house.state(SHADE).zones[0].level == 100  # 05:30 the next day opened it
    assert house.state(DIMMER).zones[0].level == 100


def test_timeclock_without_event_loop() -> None:
    """Built where no event loop runs, the emulator schedules its timeclock only once started in one."""
    house = Emulator(house_description(), scheduler=AsyncioScheduler(dt.UTC))
    assert not house.diagnostics()["timeclock_scheduled"]


async def test_timeclock_started_in_loop() -> None:
    """In a running loop, `start()` schedules the next event; `close()` cancels it."""
    house = Emulator(house_description(), scheduler=AsyncioScheduler(dt.UTC))
    house.start()
    assert house.diagnostics()["timeclock_scheduled"]
    house.close()
    assert not house.diagnostics()["timeclock_scheduled"]


def test_next_occurrence_rules() -> None:
    """Days count before the offset; an event on no day never runs; an offset may cross midnight."""
    thursday = dt.datetime(2026, 1, 1, 12, 0, tzinfo=dt.UTC)
    never = TimeclockEventDescription(
        1, "Never", TimeclockEventType.FIXED_TIME, days=(False,) * 7
    )
    assert next_occurrence(never, thursday) is None
    late = TimeclockEventDescription(
        2,
        "Late",
        TimeclockEventType.SUNSET,
        offset_minutes=7 * 60,
        days=(False,) * 4 + (True,) + (False,) * 2,
    )  # Thursday's sunset + 7 h: Friday 01:00
    assert next_occurrence(late, thursday) == dt.datetime(
        2026, 1, 2, 1, 0, tzinfo=dt.UTC
    )
