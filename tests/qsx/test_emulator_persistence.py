"""Export and restore: the whole state survives a host restart, which is not a power failure (M5, M7, O3, P5)."""

from __future__ import annotations

import copy
import datetime as dt
import json
from typing import Any

import pytest

from custom_components.homeworks_qsx.qsx.clock import ManualScheduler
from custom_components.homeworks_qsx.qsx.const import (
    Fault,
    Gesture,
    LedState,
    OperatingMode,
    ShadeMove,
)
from custom_components.homeworks_qsx.qsx.emulator import Emulator
from custom_components.homeworks_qsx.qsx.emulator.description import (
    description_to_dict,
    new_module,
)
from custom_components.homeworks_qsx.qsx.errors import DescriptionError
from custom_components.homeworks_qsx.qsx.events import Event, EventKind

from .conftest import A1, A2, A3, B1, EventLog, zone_levels
from .house import (
    BARE,
    DIMMER,
    KEYPAD,
    RAISE,
    SCENE,
    SENSOR_1,
    SENSOR_2,
    SHADE,
    TILT_SHADE,
    TIMECLOCK,
    house_description,
)


def _busy(emulator: Emulator) -> None:
    """Put the small system in a state that exercises every exported field."""
    emulator.set_zone(A3, 1, True)
    emulator.set_zone(A3, 1, False)
    emulator.set_zone(A3, 2, True)
    emulator.set_cci(A1, True)  # A1 and A2 in override, with saved levels
    emulator.set_power(A2, False)
    emulator.set_link(B1, False)
    emulator.set_bypass(A3, True)
    emulator.set_program_mode(B1, True)
    emulator.set_temperature(B1, 66.5)
    emulator.set_cco(B1, True)
    emulator.set_processor_time(dt.datetime(2031, 3, 4, 5, 6, 7, 891011, tzinfo=dt.UTC))


def test_export_is_plain_json(emulator: Emulator) -> None:
    """The export holds the description and every module's state, as JSON-serialisable data."""
    _busy(emulator)
    data = emulator.export_state()
    assert json.loads(json.dumps(data)) == data
    assert data["description"] == description_to_dict(emulator.description)
    assert set(data["modules"]) == {A1, A2, A3, B1}
    assert data["modules"][A1]["saved_levels"] == [False] * 4
    assert data["modules"][B1]["temperature_c"] == 66.5


def test_restore_reproduces_the_state_exactly(emulator: Emulator) -> None:
    """A system rebuilt from its export has the same description, states, levels and processor time."""
    _busy(emulator)
    data = json.loads(json.dumps(emulator.export_state()))
    clone = Emulator.from_export(data, scheduler=ManualScheduler())
    assert clone.export_state() == emulator.export_state()
    assert clone.description == emulator.description
    for serial in (A1, A2, A3, B1):
        assert clone.state(serial) == emulator.state(serial)
        assert zone_levels(clone, serial) == zone_levels(emulator, serial)
    assert clone.processor_time() == emulator.processor_time()


def test_restore_is_not_a_power_failure(emulator: Emulator) -> None:
    """M7, O3: restoring moves no relay, keeps closed CCOs closed and counts nothing."""
    emulator.set_zone(A3, 1, True)
    emulator.set_cco(A3, True)
    data = emulator.export_state()
    clone = Emulator.from_export(data, scheduler=ManualScheduler())
    state = clone.state(A3)
    assert state.cco_closed
    assert state.zones[0].on
    assert state.zones[0].relay_operations == 1
    assert state.zone_leds[0] is LedState.ON
    assert state.mode is OperatingMode.NORMAL


def test_pulse_in_progress_is_restored_open(
    emulator: Emulator, scheduler: ManualScheduler
) -> None:
    """O2: a pulse running at export time comes back with its contact open and no timer."""
    emulator.pulse_cco(A1)
    data = emulator.export_state()
    assert data["modules"][A1]["cco_pulsing"]
    clock = ManualScheduler()
    clone = Emulator.from_export(data, scheduler=clock)
    assert not clone.state(A1).cco_closed
    assert clock.pending == 0


def test_override_continues_after_restore(emulator: Emulator) -> None:
    """C5: an override in progress is restored with its saved levels, which come back when the CCI closes."""
    emulator.set_zone(A1, 2, True)
    emulator.set_cci(A1, True)
    clone = Emulator.from_export(emulator.export_state(), scheduler=ManualScheduler())
    assert clone.state(A1).override_active
    clone.set_cci(A1, False)
    assert zone_levels(clone, A1) == (False, True, False, False)


def test_restore_in_place_publishes_the_differences(
    emulator: Emulator, log: EventLog
) -> None:
    """Restoring onto a running emulator publishes removed, added and changed modules, then state changes."""
    snapshot = emulator.export_state()
    held = emulator.state(A3)
    added = new_module(emulator.description, 2)
    emulator.add_module(added)
    emulator.remove_module(B1)
    emulator.set_zone(A3, 1, True)
    log.clear()
    emulator.restore_state(snapshot)
    assert [(e.kind, e.serial) for e in log.events[:2]] == [
        (EventKind.DEVICE_REMOVED, added.serial),
        (EventKind.DEVICE_ADDED, B1),
    ]
    assert any(
        e.kind is EventKind.ZONE and e.serial == A3 and e.value is False
        for e in log.events
    )
    assert emulator.state(A3) is held  # live state objects stay valid
    assert not held.zones[0].on
    assert emulator.export_state() == snapshot


def test_restore_reports_changed_descriptions(
    emulator: Emulator, log: EventLog
) -> None:
    """A module whose settings differ in the export is announced as changed."""
    data = emulator.export_state()
    data["description"]["modules"][0]["name"] = "Renamed"
    emulator.restore_state(data)
    assert [(e.kind, e.serial) for e in log.events] == [(EventKind.DEVICE_CHANGED, A1)]
    assert emulator.module(A1).name == "Renamed"


def _corrupt(data: dict[str, Any], path: list[Any], value: Any) -> dict[str, Any]:
    broken = copy.deepcopy(data)
    target: Any = broken
    for key in path[:-1]:
        target = target[key]
    if value is _DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return broken


_DELETE = object()


@pytest.mark.parametrize(
    ("path", "value", "error_path"),
    [
        (["format"], 2, "format"),
        (["description"], _DELETE, "description"),
        (
            ["description", "modules", 0, "zones", 1, "amps"],
            9,
            "description.modules[0].zones[1].amps",
        ),
        (["modules", A1, "levels"], [True], f"modules.{A1}.levels"),
        (["modules", A1, "levels"], [1, 0, 0, 0], f"modules.{A1}.levels"),
        (
            ["modules", A1, "relay_operations"],
            [-1, 0, 0, 0],
            f"modules.{A1}.relay_operations",
        ),
        (["modules", A1, "temperature_c"], "warm", f"modules.{A1}.temperature_c"),
        (["modules", A1, "cci_open"], True, f"modules.{A1}.override_active"),
        (["modules", A1, "saved_levels"], [False] * 4, f"modules.{A1}.saved_levels"),
        (["modules", A1], _DELETE, f"modules.{A1}"),
        (["modules", "DEADBEEF"], None, "modules.DEADBEEF"),
        (["processor_time_offset_us"], "soon", "processor_time_offset_us"),
    ],
)
def test_restore_rejects_invalid_data(
    emulator: Emulator, path: list[Any], value: Any, error_path: str
) -> None:
    """Invalid exports raise `DescriptionError` with the path, and the running system is unchanged."""
    emulator.set_zone(A3, 1, True)
    data = emulator.export_state()
    if path == ["modules", "DEADBEEF"]:
        value = copy.deepcopy(data["modules"][A1])
    broken = _corrupt(data, path, value)
    with pytest.raises(DescriptionError) as info:
        emulator.restore_state(broken)
    assert info.value.path == error_path
    assert emulator.export_state() == data


def test_restore_rejects_a_closed_cco_without_power(emulator: Emulator) -> None:
    """O3: a module without power cannot have its CCO closed."""
    data = emulator.export_state()
    data["modules"][A3]["powered"] = False
    data["modules"][A3]["cco_closed"] = True
    with pytest.raises(DescriptionError, match=r"\(O3\)"):
        emulator.restore_state(data)


def test_restore_without_power_accepts_pending_cci(emulator: Emulator) -> None:
    """A module without power may have its CCI open and no override yet (override at power-up)."""
    emulator.set_power(A3, False)
    emulator.set_cci(A3, True)
    clone = Emulator.from_export(emulator.export_state(), scheduler=ManualScheduler())
    clone.set_power(A3, True)
    assert clone.state(A3).override_active


def test_restore_cancels_delayed_callbacks(
    emulator: Emulator, scheduler: ManualScheduler
) -> None:
    """Restoring cancels callbacks scheduled on the running emulator (they belonged to the old state)."""
    ran: list[int] = []
    data = emulator.export_state()
    emulator.call_later(1, lambda: ran.append(1))
    emulator.restore_state(data)
    scheduler.advance(2)
    assert ran == []
    assert scheduler.pending == 0


def test_restore_unknown_temperature(emulator: Emulator) -> None:
    """A temperature the backend could not know (None) is restored as unknown."""
    data = emulator.export_state()
    data["modules"][A3]["temperature_c"] = None
    emulator.restore_state(data)
    assert emulator.state(A3).temperature_c is None
    assert emulator.state(A3).high_temperature is None


def test_export_must_be_a_mapping() -> None:
    """Anything but an export mapping is refused."""
    with pytest.raises(DescriptionError, match="description"):
        Emulator.from_export([], scheduler=ManualScheduler())  # type: ignore[arg-type]


def test_p5_processor_timeclock(scheduler: ManualScheduler, emulator: Emulator) -> None:
    """P5: the processor time runs with the clock, can be set, and survives export and restore."""
    assert emulator.processor_time() == scheduler.now()
    target = dt.datetime(2030, 12, 31, 23, 59, 0, tzinfo=dt.UTC)
    emulator.set_processor_time(target)
    assert emulator.processor_time() == target
    scheduler.advance(61)
    assert emulator.processor_time() == target + dt.timedelta(seconds=61)
    clone_clock = ManualScheduler(scheduler.now())
    clone = Emulator.from_export(emulator.export_state(), scheduler=clone_clock)
    assert clone.processor_time() == emulator.processor_time()
    with pytest.raises(ValueError, match="timezone-aware"):
        emulator.set_processor_time(dt.datetime(2030, 1, 1))  # noqa: DTZ001


def test_export_of_modules_only_loads_without_devices(emulator: Emulator) -> None:
    """An export made before the house (no `devices` key) still loads."""
    _busy(emulator)
    data = emulator.export_state()
    assert "devices" not in data  # as exported before the house
    clone = Emulator.from_export(data, scheduler=ManualScheduler())
    assert clone.export_state() == emulator.export_state()


@pytest.mark.parametrize(
    ("devices", "error_path"),
    [
        ({"DEADBEEF": {}}, "devices.DEADBEEF"),
        ({A1: {}}, f"devices.{A1}"),
        ({"DEADBEEF": {"levels": [101]}}, "devices.DEADBEEF.levels"),
        ({"DEADBEEF": {"tilts": "up"}}, "devices.DEADBEEF.tilts"),
        ({"DEADBEEF": {"levels": 3}}, "devices.DEADBEEF.levels"),
        ({"DEADBEEF": {"powered": "yes"}}, "devices.DEADBEEF.powered"),
    ],
)
def test_restore_rejects_device_states_that_do_not_fit(
    emulator: Emulator, devices: dict[str, Any], error_path: str
) -> None:
    """A saved device state for a serial the description lacks, or of the wrong shape, is refused with its path."""
    data = emulator.export_state()
    data["devices"] = devices
    with pytest.raises(DescriptionError) as info:
        emulator.restore_state(data)
    assert info.value.path == error_path


def _busy_house(house: Emulator, clock: ManualScheduler) -> None:
    """Put every device of the house in a state that exercises every exported field."""
    house.set_level(DIMMER, 2, 40)
    house.set_tilt(TILT_SHADE, 1, 30)
    house.set_level(SHADE, 1, 60)
    house.set_indicator(KEYPAD, BARE, True)
    house.simulate(SENSOR_1, Fault.OCCUPANCY, True)
    house.set_timeclock(TIMECLOCK, False)
    house.simulate(SHADE, Fault.LINK, False)
    house.simulate(TILT_SHADE, Fault.POWER, False)
    house.press(KEYPAD, RAISE, Gesture.HOLD)  # a ramp in progress: exported where it is
    clock.advance(1)


def test_house_export_restores_every_device() -> None:
    """Levels, tilts, LEDs, occupancy, timeclocks, power and link come back; a ramp comes back where it was."""
    clock = ManualScheduler()
    house = Emulator(house_description(), scheduler=clock)
    _busy_house(house, clock)
    data = json.loads(json.dumps(house.export_state()))
    assert data["devices"][DIMMER]["levels"] == [0.0, 40.0, 20.0, 0.0]
    clone = Emulator.from_export(data, scheduler=ManualScheduler())
    assert clone.description == house.description
    assert clone.export_state() == data
    assert clone.state(DIMMER).zones[2].level == 20  # the ramp stopped where it was
    assert not clone.shade_moving(DIMMER, 3)
    assert clone.state(DIMMER).zones[1].level == 40
    assert clone.state(SHADE).zones[0].level == 60
    assert not clone.state(SHADE).zones[0].level_accurate  # no link
    assert clone.state(TILT_SHADE).zones[0].tilt == 30
    assert not clone.state(TILT_SHADE).powered
    assert clone.state(KEYPAD).indicators[BARE] is LedState.ON
    assert clone.state(SENSOR_2).occupied is True  # its area's occupancy, from sensor 1
    assert clone.area_occupancy("Kitchen") is True
    assert clone.state(TIMECLOCK).timeclock_enabled is False
    assert not clone.diagnostics()["timeclock_scheduled"]


def test_house_restore_in_place_publishes_the_differences() -> None:
    """Restoring over a running house publishes each device's differences, and cancels its motions and holds."""
    clock = ManualScheduler()
    source = Emulator(house_description(), scheduler=clock)
    _busy_house(source, clock)
    data = source.export_state()
    house = Emulator(house_description(), scheduler=clock)
    house.move(SHADE, 1, ShadeMove.LOWER)
    house.press(KEYPAD, SCENE, Gesture.HOLD)
    log = EventLog()
    house.events.subscribe(log)
    house.restore_state(data)
    assert Event(EventKind.LEVEL, DIMMER, 2, 40.0) in log.events
    assert Event(EventKind.TILT, TILT_SHADE, 1, 30.0) in log.events
    assert Event(EventKind.INDICATOR, KEYPAD, BARE, LedState.ON) in log.events
    assert Event(EventKind.OCCUPANCY, SENSOR_2, None, True) in log.events
    assert Event(EventKind.TIMECLOCK, TIMECLOCK, None, False) in log.events
    assert Event(EventKind.LINK, SHADE, None, False) in log.events
    assert not house.shade_moving(SHADE, 1)
    log.clear()
    clock.advance(60)
    assert log.of(EventKind.BUTTON) == []  # the hold was forgotten: no LongHold
    assert log.of(EventKind.LEVEL) == []
    assert house.export_state() == data


def test_house_restore_reports_reshaped_and_removed_devices() -> None:
    """A device whose LEDs changed is published as changed (no state comparison); one gone as removed."""
    clock = ManualScheduler()
    house = Emulator(house_description(), scheduler=clock)
    data = house.export_state()
    keypads = data["description"]["keypads"]
    keypads[0]["buttons"] = keypads[0]["buttons"][:3]
    del data["devices"][KEYPAD]["leds"]
    data["description"]["shades"] = data["description"]["shades"][:1]
    del data["devices"][TILT_SHADE]
    log = EventLog()
    house.events.subscribe(log)
    house.restore_state(data)
    changed = log.of(EventKind.DEVICE_CHANGED)
    assert [event.serial for event in changed] == [KEYPAD]
    assert [event.serial for event in log.of(EventKind.DEVICE_REMOVED)] == [TILT_SHADE]
    assert log.of(EventKind.INDICATOR) == []
    assert sorted(house.state(KEYPAD).indicators) == [1, 2, 3]


@pytest.mark.parametrize(
    ("item", "error_path"),
    [
        ({"levels": [1.0]}, f"devices.{DIMMER}.levels"),
        ({"tilts": [None, 1, 2, 3]}, f"devices.{DIMMER}.tilts"),
        ({"leds": {"1": True}}, f"devices.{DIMMER}.leds.1"),
        ({"occupied": True}, f"devices.{DIMMER}.occupied"),
        ({"enabled": True}, f"devices.{DIMMER}.enabled"),
    ],
)
def test_house_restore_rejects_states_that_do_not_fit(
    item: dict[str, Any], error_path: str
) -> None:
    """A device state that does not fit its device is refused with its path; nothing changes."""
    house = Emulator(house_description(), scheduler=ManualScheduler())
    data = house.export_state()
    data["devices"][DIMMER] = item
    with pytest.raises(DescriptionError) as info:
        house.restore_state(data)
    assert info.value.path == error_path
    assert house.export_state() != data


def test_house_restored_over_modules_only(emulator: Emulator) -> None:
    """Restoring a house over a system of modules adds its devices; one without a saved state starts new."""
    clock = ManualScheduler()
    source = Emulator(house_description(), scheduler=clock)
    _busy_house(source, clock)
    data = source.export_state()
    del data["devices"][TILT_SHADE]
    log = EventLog()
    emulator.events.subscribe(log)
    emulator.restore_state(data)
    added = [event.serial for event in log.of(EventKind.DEVICE_ADDED)]
    assert DIMMER in added and TIMECLOCK in added
    assert emulator.state(DIMMER).zones[1].level == 40
    assert emulator.state(TILT_SHADE).zones[0].tilt == 0  # factory state
    assert emulator.state(TILT_SHADE).powered
