"""The emulated devices beside the switching modules: dimming modules, shades, keypads, occupancy sensors, timeclocks.

Each is one `DeviceRecord`: its description, its public state and what it keeps inside (motions of its outputs,
buttons held, the last releases, an occupancy sensor's own reading). A change follows the modules' shape: take a
`DeviceSnapshot`, change the record, publish the `device_changes` between the two snapshots. The timings and the
choices of LP26, LP27, LP33, LP39 and LP46 are defined here, once.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
import datetime as dt
import math
from typing import Final, NamedTuple

from ..clock import TimerHandle
from ..const import LedState, ShadeMove
from ..events import Event, EventKind
from ..model import (
    DeviceDescription,
    DeviceKind,
    DeviceState,
    TimeclockEventDescription,
    TimeclockEventType,
    new_device_state,
)

DEFAULT_FADE_SECONDS: Final = 1.0  # LP26: a dimmed zone's fade when none is given
MAX_FADE_SECONDS: Final = 4 * 3600.0  # LP26: fades and delays are 0 to 4 h
DIMMED_RAMP_SECONDS: Final = (
    5.0  # LP27 (ours): Raise/Lower ramp a dimmed zone's full range in 5 s
)
SHADE_TRAVEL_SECONDS: Final = 20.0  # LP33 (ours): a shade moves its full range in 20 s
SHADE_STOP_GRACE_SECONDS: Final = (
    0.2  # LP33 (ours): a Stop this soon after Raise/Lower leaves the shade put
)
LONG_PRESS_SECONDS: Final = 2.0  # LP39: a hold this long gives LongHold
MULTI_TAP_SECONDS: Final = (
    0.5  # LP39: a second tap this soon after a release is a multi-tap
)
# Astronomic timeclock events (ours): the emulator knows no location, so sunrise is 06:00 and sunset 18:00 on
# the processor's clock, every day, plus the event's offset.
SUNRISE: Final = dt.time(6, 0)
SUNSET: Final = dt.time(18, 0)
FULL_RANGE: Final = 100.0
# Levels reached by a ramp are kept to this many decimals (a float ramp would otherwise report 40.00000000001).
LEVEL_DECIMALS: Final = 2


def check_level(value: object, what: str = "level") -> float:
    """Return `value` as a level 0..100; `ValueError` naming `what` otherwise."""
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not math.isfinite(value)
        or not 0 <= value <= FULL_RANGE
    ):
        raise ValueError(f"A {what} is a number from 0 to 100, not {value!r}")
    return float(value)


def check_fade(value: object) -> float:
    """Return a fade time in seconds (None: the default, LP26); `ValueError` outside 0 to 4 h."""
    if value is None:
        return DEFAULT_FADE_SECONDS
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not math.isfinite(value)
        or not 0 <= value <= MAX_FADE_SECONDS
    ):
        raise ValueError(
            f"A fade lasts 0 to {MAX_FADE_SECONDS:g} s (LP26), not {value!r}"
        )
    return float(value)


@dataclass(slots=True)
class Motion:
    """A level output moving at a steady rate: a dimmed zone's Raise/Lower ramp, or a shade's travel.

    `held`: started by a Raise/Lower command that a Stop should end; a shade that reaches its end stop without that
    Stop stays "moving" (LP33).
    """

    direction: ShadeMove  # RAISE or LOWER
    start_level: float
    started: float  # monotonic seconds
    seconds_per_range: float
    held: bool
    timer: TimerHandle | None = None

    @property
    def end_level(self) -> float:
        """Where the motion stops by itself: fully up or fully down."""
        return FULL_RANGE if self.direction is ShadeMove.RAISE else 0.0

    def seconds_to_end(self) -> float:
        """Seconds from the start to the end stop."""
        return (
            abs(self.end_level - self.start_level) * self.seconds_per_range / FULL_RANGE
        )

    def level_at(self, now: float) -> float:
        """Return the level reached at monotonic time `now`."""
        travelled = max(0.0, now - self.started) * FULL_RANGE / self.seconds_per_range
        if self.direction is ShadeMove.RAISE:
            level = min(FULL_RANGE, self.start_level + travelled)
        else:
            level = max(0.0, self.start_level - travelled)
        return round(level, LEVEL_DECIMALS)


class DeviceSnapshot(NamedTuple):
    """What a device reports at one moment; two snapshots differ exactly where events are due."""

    powered: bool
    link_up: bool
    levels: tuple[float, ...]
    tilts: tuple[float | None, ...]
    indicators: tuple[tuple[int, LedState], ...]
    occupied: bool | None
    timeclock_enabled: bool | None


@dataclass(slots=True)
class DeviceRecord:
    """One emulated device other than a switching module: its description, public state and inner state."""

    description: DeviceDescription
    state: DeviceState
    motions: dict[int, Motion] = field(default_factory=dict)  # by output number
    stuck: set[int] = field(
        default_factory=set
    )  # shade outputs left "moving" at an end stop (LP33)
    last_direction: dict[int, ShadeMove] = field(
        default_factory=dict
    )  # a shade output's last travel
    holds: dict[int, TimerHandle | None] = field(
        default_factory=dict
    )  # buttons held: their LongHold timer
    last_release: dict[int, float] = field(
        default_factory=dict
    )  # monotonic time of each button's release
    sensed: bool = False  # an occupancy sensor's own reading (its area is occupied if any sensor senses)
    # Its own link condition; `state.link_up` also needs its processor on the network (LP53).
    own_link_up: bool = True

    @classmethod
    def new(cls, description: DeviceDescription) -> DeviceRecord:
        """Return the device in its factory state: powered, linked, levels 0, LEDs off, area unoccupied."""
        return cls(description, new_device_state(description))

    @property
    def reachable(self) -> bool:
        """Whether the device has power and its link (LP49: an unreachable device ignores commands)."""
        return self.state.powered and self.state.link_up

    def snapshot(self) -> DeviceSnapshot:
        """Return what the device reports now."""
        st = self.state
        return DeviceSnapshot(
            powered=st.powered,
            link_up=st.link_up,
            levels=tuple(zone.level for zone in st.zones),
            tilts=tuple(zone.tilt for zone in st.zones),
            indicators=tuple(sorted(st.indicators.items())),
            occupied=st.occupied,
            timeclock_enabled=st.timeclock_enabled,
        )

    def moving(self, output: int) -> bool:
        """Whether output `output` moves, or was left "moving" at an end stop (LP33)."""
        return output in self.motions or output in self.stuck

    def cancel_timers(self) -> None:
        """Cancel every timer of the device (motions stay recorded; holds are forgotten)."""
        for motion in self.motions.values():
            if motion.timer is not None:
                motion.timer.cancel()
                motion.timer = None
        for timer in self.holds.values():
            if timer is not None:
                timer.cancel()
        self.holds.clear()


def device_changes(
    serial: str, before: DeviceSnapshot, after: DeviceSnapshot
) -> Iterator[Event]:
    """Yield the events of every difference between two snapshots of one device, in a fixed order."""
    if after.powered != before.powered:
        yield Event(EventKind.POWER, serial, None, after.powered)
    if after.link_up != before.link_up:
        yield Event(EventKind.LINK, serial, None, after.link_up)
    for number, (old, new) in enumerate(
        zip(before.levels, after.levels, strict=True), start=1
    ):
        if old != new:
            yield Event(EventKind.LEVEL, serial, number, new)
    for number, (old_tilt, new_tilt) in enumerate(
        zip(before.tilts, after.tilts, strict=True), start=1
    ):
        if old_tilt != new_tilt:
            yield Event(EventKind.TILT, serial, number, new_tilt)
    old_leds = dict(before.indicators)
    for number, led in after.indicators:
        if old_leds.get(number) != led:
            yield Event(EventKind.INDICATOR, serial, number, led)
    if after.occupied != before.occupied:
        yield Event(EventKind.OCCUPANCY, serial, None, after.occupied)
    if after.timeclock_enabled != before.timeclock_enabled:
        yield Event(EventKind.TIMECLOCK, serial, None, after.timeclock_enabled)


def event_time_of_day(event: TimeclockEventDescription) -> tuple[dt.time, int]:
    """Return when a timeclock event runs in a day: a time of day and an offset in minutes (ours for astronomic)."""
    if event.event_type is TimeclockEventType.SUNRISE:
        return SUNRISE, event.offset_minutes
    if event.event_type is TimeclockEventType.SUNSET:
        return SUNSET, event.offset_minutes
    hour, minute, second = event.time_of_day
    return dt.time(hour, minute, second), 0


def next_occurrence(
    event: TimeclockEventDescription, after: dt.datetime
) -> dt.datetime | None:
    """Return the first time strictly after `after` (processor time) at which `event` runs; None if on no day."""
    time_of_day, offset = event_time_of_day(event)
    for days in range(
        -1, 9
    ):  # an offset may move an event into the day before or after
        day = after.date() + dt.timedelta(days=days)
        when = dt.datetime.combine(
            day, time_of_day, tzinfo=after.tzinfo
        ) + dt.timedelta(minutes=offset)
        # days are Sunday..Saturday; the day that counts is the event's own (before its offset).
        if when > after and event.days[(day.weekday() + 1) % 7]:
            return when
    return None


def is_device_kind(description: DeviceDescription) -> bool:
    """Whether the emulator holds `description` as a `DeviceRecord` (every kind but switching modules, area groups)."""
    return description.kind not in (DeviceKind.SWITCHING_MODULE, DeviceKind.AREA_GROUP)
