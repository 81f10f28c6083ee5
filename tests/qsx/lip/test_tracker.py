"""The client's model: states and modes derived from LIP reports, and the events they publish."""

from __future__ import annotations

from dataclasses import replace

import pytest

from custom_components.homeworks_qsx.qsx.const import LedState, OperatingMode
from custom_components.homeworks_qsx.qsx.errors import UnknownObjectError
from custom_components.homeworks_qsx.qsx.events import Event, EventBus, EventKind
from custom_components.homeworks_qsx.qsx.lip.protocol import DeviceReport, OutputReport
from custom_components.homeworks_qsx.qsx.lip.tracker import SystemTracker
from custom_components.homeworks_qsx.qsx.model import (
    DeviceDescription,
    OutputRef,
    SystemDescription,
)


@pytest.fixture
def events() -> list[Event]:
    """Events published by the tracker."""
    return []


@pytest.fixture
def tracker(description: SystemDescription, events: list[Event]) -> SystemTracker:
    """Return a tracker that has read the description."""
    bus = EventBus()
    bus.subscribe(events.append)
    tracker = SystemTracker(bus)
    tracker.set_description(description)
    return tracker


@pytest.fixture
def module(description: SystemDescription) -> DeviceDescription:
    """Return the first module."""
    return description.modules[0]


def led(module: DeviceDescription, number: int, state: LedState) -> DeviceReport:
    """`~DEVICE,<m>,8<n>,9,<state>`."""
    return DeviceReport(module.integration_id, 80 + number, 9, (int(state),))


def test_before_loading(events: list[Event]) -> None:
    """Nothing is known before the database is read."""
    tracker = SystemTracker(EventBus())
    assert not tracker.loaded
    with pytest.raises(UnknownObjectError):
        _ = tracker.description
    with pytest.raises(UnknownObjectError):
        tracker.state("00000000")


def test_initial_state_unknowns(
    tracker: SystemTracker, module: DeviceDescription, events: list[Event]
) -> None:
    """A live module's relay counts and temperature are unknown (None); loading publishes nothing."""
    state = tracker.state(module.serial)
    assert [zone.relay_operations for zone in state.zones] == [None] * 4
    assert state.temperature_c is None
    assert state.high_temperature is None
    assert events == []
    assert tracker.output(module.cco.integration_id) == OutputRef(module, None)
    assert tracker.output(module.zones[1].integration_id) == OutputRef(module, 2)
    assert tracker.output(9999) is None
    with pytest.raises(UnknownObjectError):
        tracker.device("FFFFFFFF")


def test_levels(
    tracker: SystemTracker, module: DeviceDescription, events: list[Event]
) -> None:
    """`~OUTPUT` levels switch zones and the CCO; a repeated level publishes nothing; unknown ids are ignored."""
    assert tracker.apply_output(
        OutputReport(module.zones[0].integration_id, 100.0)
    ) == OutputRef(module, 1)
    tracker.apply_output(OutputReport(module.zones[0].integration_id, 100.0))
    tracker.apply_output(OutputReport(module.cco.integration_id, 100.0))
    tracker.apply_output(OutputReport(module.cco.integration_id, 0.0))
    assert tracker.apply_output(OutputReport(9999, 100.0)) is None
    assert events == [
        Event(EventKind.ZONE, module.serial, 1, True),
        Event(EventKind.CCO, module.serial, None, True),
        Event(EventKind.CCO, module.serial, None, False),
    ]
    assert tracker.state(module.serial).zones[0].on


def test_override_from_cci_and_prog_led(
    tracker: SystemTracker, module: DeviceDescription, events: list[Event]
) -> None:
    """C2/M11: CCI open with the Prog LED flashing rapidly is manual override."""
    serial = module.serial
    assert tracker.apply_device(DeviceReport(module.integration_id, 11, 4)) == serial
    assert not tracker.state(serial).override_active
    tracker.apply_device(led(module, 5, LedState.RAPID_FLASH))
    state = tracker.state(serial)
    assert state.override_active
    assert state.mode is OperatingMode.MANUAL_OVERRIDE
    assert events == [
        Event(EventKind.CCI, serial, None, True),
        Event(EventKind.LED, serial, None, LedState.RAPID_FLASH),
        Event(EventKind.OVERRIDE, serial, None, True),
        Event(EventKind.MODE, serial, None, OperatingMode.MANUAL_OVERRIDE),
    ]
    events.clear()
    tracker.apply_device(DeviceReport(module.integration_id, 11, 3))
    tracker.apply_device(led(module, 5, LedState.ON))
    assert tracker.state(serial).mode is OperatingMode.NORMAL
    assert [event.kind for event in events] == [
        EventKind.CCI,
        EventKind.OVERRIDE,
        EventKind.MODE,
        EventKind.LED,
    ]


def test_power_link_program(tracker: SystemTracker, module: DeviceDescription) -> None:
    """M11: Prog LED off = no power (link and program stay as last known); flash = program; zone flash = no link."""
    serial = module.serial
    state = tracker.state(serial)
    tracker.apply_device(led(module, 5, LedState.FLASH))
    assert state.program_mode
    assert state.mode is OperatingMode.PROGRAM
    for number in range(1, 5):
        tracker.apply_device(led(module, number, LedState.FLASH))
    assert not state.link_up
    assert state.mode is OperatingMode.NO_LINK
    tracker.apply_device(led(module, 5, LedState.OFF))
    for number in range(1, 5):
        tracker.apply_device(led(module, number, LedState.OFF))
    assert not state.powered
    assert not state.link_up  # unknown without power: the last known value stays
    assert state.program_mode
    assert state.mode is OperatingMode.NO_POWER
    tracker.apply_device(led(module, 5, LedState.ON))
    assert state.powered
    assert state.link_up
    assert not state.program_mode


def test_buttons_and_ignored_reports(
    tracker: SystemTracker, module: DeviceDescription, events: list[Event]
) -> None:
    """A press is a BUTTON event (the release is not); unknown devices, components and LED states are ignored."""
    device = module.integration_id
    tracker.apply_device(DeviceReport(device, 5, 3))
    tracker.apply_device(DeviceReport(device, 5, 4))
    assert events == [Event(EventKind.BUTTON, module.serial, 5, None)]
    events.clear()
    assert tracker.apply_device(DeviceReport(9999, 1, 3)) is None
    assert tracker.apply_device(DeviceReport(device, 11, 35)) == module.serial
    assert (
        tracker.apply_device(DeviceReport(device, 81, 9)) == module.serial
    )  # no state given
    assert tracker.apply_device(DeviceReport(device, 81, 9, (7,))) == module.serial
    assert tracker.apply_device(DeviceReport(device, 81, 14, (1,))) == module.serial
    assert tracker.apply_device(DeviceReport(device, 40, 3)) == module.serial
    assert events == []


def test_description_changes(
    tracker: SystemTracker, description: SystemDescription, events: list[Event]
) -> None:
    """A new database publishes modules removed, added and changed; states of kept modules stay."""
    first, second, third = description.modules
    kept_state = tracker.state(second.serial)
    renamed = replace(second, name="Renamed")
    added = replace(first, serial="0000FFFF")
    tracker.set_description(replace(description, devices=(renamed, third, added)))
    assert events == [
        Event(EventKind.DEVICE_REMOVED, first.serial, None, first),
        Event(EventKind.DEVICE_CHANGED, second.serial, None, renamed),
        Event(EventKind.DEVICE_ADDED, added.serial, None, added),
    ]
    assert tracker.state(second.serial) is kept_state
    with pytest.raises(UnknownObjectError):
        tracker.state(first.serial)
