"""Property-based tests of the house: random levels, ramps, shade moves, presses, occupancy, faults and time.

Invariants after every step: the events describe the devices' state exactly (levels, tilts, LEDs, occupancy, power,
link), only real changes but the LP27 ramp pushes; every programmed LED shows what its programming says (LP42);
each occupancy sensor reports its area's occupancy, which is any of its sensors' (LP44); levels stay 0..100 with
`on` above 0; `close()` leaves no timer behind.
"""

from __future__ import annotations

from hypothesis import given, settings, strategies as st

from custom_components.homeworks_qsx.qsx.clock import ManualScheduler
from custom_components.homeworks_qsx.qsx.const import (
    Fault,
    Gesture,
    LedState,
    ProgrammingModel,
    ShadeMove,
)
from custom_components.homeworks_qsx.qsx.emulator import Emulator
from custom_components.homeworks_qsx.qsx.events import Event, EventKind
from custom_components.homeworks_qsx.qsx.model import DeviceKind

from .conftest import A1
from .house import (
    DIMMER,
    HALL_KEYPAD,
    KEYPAD,
    SENSOR_1,
    SENSOR_2,
    SENSOR_3,
    SHADE,
    TILT_SHADE,
    TIMECLOCK,
    house_description,
)

HOUSE = house_description()
LEVEL_OUTPUTS = [(DIMMER, n) for n in range(1, 5)] + [(SHADE, 1), (TILT_SHADE, 1)]
BUTTONS = [(KEYPAD, n) for n in range(1, 8)] + [(HALL_KEYPAD, 1), (HALL_KEYPAD, 2)]
SENSORS = [SENSOR_1, SENSOR_2, SENSOR_3]
REACHABLE = [DIMMER, SHADE, TILT_SHADE, KEYPAD, HALL_KEYPAD]
DEVICES = [
    device.serial
    for device in HOUSE.devices
    if device.kind is not DeviceKind.SWITCHING_MODULE
]
LEVELS = [0.0, 1.0, 37.5, 75.0, 100.0]

NAMES = ["level", "move", "move", "press", "press", "press", "advance", "advance"]
NAMES += ["occupancy", "power", "link", "zone", "manual", "tilt", "timeclock"]
ACTIONS = st.tuples(
    st.sampled_from(NAMES),
    st.integers(min_value=0, max_value=99),
    st.integers(min_value=0, max_value=99),
)


def _apply(
    house: Emulator, clock: ManualScheduler, action: tuple[str, int, int]
) -> None:
    name, index, value = action
    serial, output = LEVEL_OUTPUTS[index % len(LEVEL_OUTPUTS)]
    if name == "level":
        house.set_level(
            serial, output, LEVELS[value % len(LEVELS)], fade_seconds=value % 3
        )
    elif name == "move":
        house.move(serial, output, list(ShadeMove)[value % 3])
    elif name == "manual":
        house.simulate(
            serial, Fault.MANUAL_LEVEL, LEVELS[value % len(LEVELS)], output=output
        )
    elif name == "tilt":
        house.set_tilt(TILT_SHADE, 1, LEVELS[value % len(LEVELS)])
    elif name == "press":
        keypad, button = BUTTONS[index % len(BUTTONS)]
        house.press(keypad, button, list(Gesture)[value % 4])
    elif name == "occupancy":
        house.simulate(SENSORS[index % 3], Fault.OCCUPANCY, value % 2 == 0)
    elif name in ("power", "link"):
        target = REACHABLE[index % len(REACHABLE)]
        state = house.state(target)
        current = state.powered if name == "power" else state.link_up
        house.simulate(target, Fault(name), not current)
    elif name == "zone":
        house.set_zone(A1, index % 4 + 1, value % 2 == 0)
    elif name == "timeclock":
        house.set_timeclock(TIMECLOCK, value % 2 == 0)
    else:
        clock.advance([0.0, 0.1, 0.4, 1.5, 3.0, 25.0, 4 * 3600.0][value % 7])


class Mirror:
    """What a subscriber knows of the devices beside the modules from the events alone."""

    def __init__(self, house: Emulator) -> None:
        """Start from the current state and follow the events."""
        self.levels = {
            (s, n): z.level
            for s in DEVICES
            for n, z in enumerate(house.state(s).zones, start=1)
        }
        self.tilts = {
            (s, n): z.tilt
            for s in DEVICES
            for n, z in enumerate(house.state(s).zones, start=1)
        }
        self.leds = {
            (s, n): led for s in DEVICES for n, led in house.state(s).indicators.items()
        }
        self.occupied = {s: house.state(s).occupied for s in DEVICES}
        self.enabled = {s: house.state(s).timeclock_enabled for s in DEVICES}
        self.powered = {s: house.state(s).powered for s in DEVICES}
        self.link = {s: house.state(s).link_up for s in DEVICES}
        house.events.subscribe(self.on_event)

    def on_event(self, event: Event) -> None:
        """Apply one event: a real change, but a ramp's pushes (LP27) which may repeat a level."""
        serial = event.serial
        assert serial is not None
        key = (serial, event.zone or 0)
        if event.kind is EventKind.LEVEL and serial in DEVICES:
            self.levels[key] = event.value
        elif event.kind is EventKind.TILT:
            assert self.tilts[key] != event.value
            self.tilts[key] = event.value
        elif event.kind is EventKind.INDICATOR:
            assert self.leds[key] != event.value
            self.leds[key] = event.value
        elif event.kind is EventKind.OCCUPANCY:
            assert self.occupied[serial] != event.value
            self.occupied[serial] = event.value
        elif event.kind is EventKind.TIMECLOCK:
            self.enabled[serial] = event.value
        elif event.kind is EventKind.POWER and serial in DEVICES:
            self.powered[serial] = event.value
        elif event.kind is EventKind.LINK and serial in DEVICES:
            self.link[serial] = event.value

    def check(self, house: Emulator) -> None:
        """Assert that the events told the whole truth."""
        for serial in DEVICES:
            state = house.state(serial)
            for number, zone in enumerate(state.zones, start=1):
                assert self.levels[(serial, number)] == zone.level
                assert self.tilts[(serial, number)] == zone.tilt
                assert 0 <= zone.level <= 100
                assert zone.on == (zone.level > 0)
            for number, led in state.indicators.items():
                assert self.leds[(serial, number)] is led
            assert self.occupied[serial] == state.occupied
            assert self.enabled[serial] == state.timeclock_enabled
            assert self.powered[serial] == state.powered
            assert self.link[serial] == state.link_up


def _at(house: Emulator, integration_id: int, level: float) -> bool:
    ref = HOUSE.output_by_integration_id(integration_id)
    state = house.state(ref.serial)
    if ref.zone is None:
        return state.cco_closed == (level > 0)
    current = state.output_level(ref.zone)
    if ref.device.kind is DeviceKind.SWITCHING_MODULE:
        return (current > 0) == (level > 0)
    return abs(current - level) < 0.5 if level > 0 else current == 0


def _check_leds(house: Emulator) -> None:
    """LP42: every LED of a scene, toggle or shade button shows what its programming says."""
    for keypad, button in BUTTONS:
        programming = HOUSE.device(keypad).input(button).programming
        if programming is None:
            continue
        targets = programming.targets
        if programming.model is ProgrammingModel.SINGLE_ACTION:
            expected = all(_at(house, iid, level) for iid, level in targets)
        elif programming.model is ProgrammingModel.TOGGLE:
            expected = all(not _at(house, iid, 0.0) for iid, _ in targets)
        elif programming.model is ProgrammingModel.OPEN_STOP_CLOSE_STOP:
            expected = any(
                house.shade_moving(ref.serial, ref.zone or 1)
                for ref in (HOUSE.output_by_integration_id(iid) for iid, _ in targets)
            )
        else:
            continue
        led = house.state(keypad).indicators[button]
        assert led is (LedState.ON if expected else LedState.OFF), (keypad, button)


def _check_occupancy(house: Emulator) -> None:
    for sensor in SENSORS:
        area = HOUSE.device(sensor).area
        assert house.state(sensor).occupied == house.area_occupancy(area)


@settings(max_examples=150, deadline=None)
@given(st.lists(ACTIONS, min_size=5, max_size=60))
def test_house_invariants_hold_for_any_sequence(
    actions: list[tuple[str, int, int]],
) -> None:
    """Events tell the whole truth, LEDs follow their programming, areas their sensors, after every step."""
    clock = ManualScheduler()
    house = Emulator(HOUSE, scheduler=clock)
    mirror = Mirror(house)
    for action in actions:
        _apply(house, clock, action)
        mirror.check(house)
        _check_leds(house)
        _check_occupancy(house)
    house.close()
    mirror.check(house)
    assert clock.pending == 0
