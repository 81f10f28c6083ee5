"""A project of several processors in one emulator: a processor cut off the network and back (P4, LP49, LP53)."""

from __future__ import annotations

from dataclasses import replace
import json

import pytest

from custom_components.homeworks_qsx.qsx.clock import ManualScheduler
from custom_components.homeworks_qsx.qsx.const import (
    Fault,
    Gesture,
    IgnoredReason,
    IntegrationIdKind,
    OperatingMode,
    ShadeMove,
)
from custom_components.homeworks_qsx.qsx.emulator import Emulator
from custom_components.homeworks_qsx.qsx.emulator.backend import EmulatedBackend
from custom_components.homeworks_qsx.qsx.emulator.description import new_module
from custom_components.homeworks_qsx.qsx.errors import (
    CommandIgnoredError,
    DescriptionError,
    UnknownObjectError,
)
from custom_components.homeworks_qsx.qsx.events import Event, EventKind

from .conftest import A1, B1, EventLog
from .house import (
    DIMMER,
    HALL_KEYPAD,
    KEYPAD,
    POOL_HOUSE,
    SCENE,
    TILT_SHADE,
    TIMECLOCK,
    two_processor_house,
)

MAIN = "0A0B0C0D"  # the first processor of the project
POOL_DEVICES = (B1, TILT_SHADE, HALL_KEYPAD)  # the devices on the pool house's link


@pytest.fixture
def project(scheduler: ManualScheduler) -> Emulator:
    """Return the two-processor house on the manual clock."""
    return Emulator(two_processor_house(), scheduler=scheduler)


@pytest.fixture
def events(project: Emulator) -> EventLog:
    """Return a recorder of the project's events."""
    recorder = EventLog()
    project.events.subscribe(recorder)
    return recorder


def test_lp53_a_processor_cut_off_makes_its_devices_unreachable(
    project: Emulator, events: EventLog
) -> None:
    """LP53: cut off, a processor's devices are unreachable as with a link fault (LP49); the others are not."""
    project.simulate(POOL_HOUSE, Fault.PROCESSOR, False)
    assert events.events[0] == Event(EventKind.PROCESSOR, POOL_HOUSE, None, False)
    assert [(e.serial, e.value) for e in events.of(EventKind.LINK)] == [
        (serial, False) for serial in POOL_DEVICES
    ]
    assert not project.processor_online(POOL_HOUSE)
    assert project.processor_online(MAIN.lower())
    assert project.set_zone(B1, 1, True) is IgnoredReason.NO_LINK
    assert project.state(B1).mode is OperatingMode.NO_LINK
    assert project.set_tilt(TILT_SHADE, 1, 40.0) is IgnoredReason.NO_LINK
    assert not project.state(TILT_SHADE).zones[0].level_accurate  # LP49: `Bad`
    assert project.press(HALL_KEYPAD, 1) is IgnoredReason.NO_LINK
    # The first processor's devices still obey.
    assert project.set_zone(A1, 1, True) is None
    assert project.set_level(DIMMER, 1, 30.0) is None

    events.clear()
    project.simulate(POOL_HOUSE, Fault.PROCESSOR, True)
    assert events.events[0] == Event(EventKind.PROCESSOR, POOL_HOUSE, None, True)
    assert [(e.serial, e.value) for e in events.of(EventKind.LINK)] == [
        (serial, True) for serial in POOL_DEVICES
    ]
    assert project.set_zone(B1, 1, True) is None
    assert project.state(TILT_SHADE).zones[0].level_accurate
    assert project.set_tilt(TILT_SHADE, 1, 40.0) is None


def test_lp53_a_device_with_its_own_link_fault_stays_down(
    project: Emulator, events: EventLog
) -> None:
    """LP53: a device comes back to its own link condition: one whose own link is cut stays down."""
    project.set_link(B1, False)
    project.simulate(TILT_SHADE, Fault.LINK, False)
    events.clear()
    project.set_processor_online(POOL_HOUSE, False)
    assert [e.serial for e in events.of(EventKind.LINK)] == [HALL_KEYPAD]
    # A link repaired while its processor is off changes nothing yet.
    project.simulate(TILT_SHADE, Fault.LINK, True)
    assert not project.state(TILT_SHADE).link_up
    events.clear()
    project.set_processor_online(POOL_HOUSE, True)
    assert [e.serial for e in events.of(EventKind.LINK)] == [TILT_SHADE, HALL_KEYPAD]
    assert not project.state(B1).link_up
    project.set_link(B1, True)
    assert project.state(B1).link_up


def test_lp53_no_change_publishes_nothing_and_bad_values_raise(
    project: Emulator, events: EventLog
) -> None:
    """LP53: a processor already on the network stays quiet; setting an unknown serial or a non-bool value raises."""
    project.set_processor_online(POOL_HOUSE, True)
    project.simulate(MAIN, Fault.PROCESSOR, True)
    assert events.events == []
    with pytest.raises(UnknownObjectError, match="No processor has serial"):
        project.simulate(B1, Fault.PROCESSOR, False)
    with pytest.raises(TypeError, match="processor"):
        project.simulate(POOL_HOUSE, Fault.PROCESSOR, 0)
    assert not project.processor_online(
        "FFFFFFFF"
    )  # not in the project: not on its network
    assert events.events == []


def test_lp53_a_timeclock_is_part_of_its_processor(project: Emulator) -> None:
    """LP53: cutting the first processor off leaves its timeclock alone (it has no link of its own)."""
    project.set_processor_online(MAIN, False)
    assert project.state(TIMECLOCK).link_up
    assert not project.state(KEYPAD).link_up
    assert project.set_timeclock(TIMECLOCK, False) is None


def test_lp53_a_keypad_press_reaches_a_zone_of_the_other_processor_while_it_is_on(
    project: Emulator,
) -> None:
    """LP53: one project: a keypad of one processor runs programming on any device that is reachable."""
    assert project.press(KEYPAD, SCENE) is None
    assert project.state(DIMMER).zones[0].level == 75.0
    project.set_processor_online(MAIN, False)
    assert project.press(KEYPAD, SCENE, Gesture.TAP) is IgnoredReason.NO_LINK


def test_lp53_a_moving_shade_stops_when_its_processor_is_cut_off(
    project: Emulator, scheduler: ManualScheduler
) -> None:
    """LP53 with LP33: a shade moving on a processor cut off stops where it is, as with a link fault."""
    assert project.move(TILT_SHADE, 1, ShadeMove.RAISE) is None
    scheduler.advance(5.0)
    project.set_processor_online(POOL_HOUSE, False)
    assert not project.shade_moving(TILT_SHADE, 1)
    assert project.state(TILT_SHADE).zones[0].level == 25.0
    # One left "moving" at its end stop (LP33) is not moving any more either.
    project.set_processor_online(POOL_HOUSE, True)
    assert project.move(TILT_SHADE, 1, ShadeMove.RAISE) is None
    scheduler.advance(20.0)
    assert project.shade_moving(TILT_SHADE, 1)
    project.set_processor_online(POOL_HOUSE, False)
    assert not project.shade_moving(TILT_SHADE, 1)


def test_lp53_a_project_with_a_processor_cut_off_is_exported_and_restored(
    project: Emulator, scheduler: ManualScheduler
) -> None:
    """LP53: a project of two processors, the second cut off, comes back from its export as it was."""
    project.set_processor_online(POOL_HOUSE, False)
    data = json.loads(json.dumps(project.export_state()))
    assert data["offline_processors"] == [POOL_HOUSE]
    restored = Emulator.from_export(data, scheduler=scheduler)
    assert [p.serial for p in restored.description.processors] == [MAIN, POOL_HOUSE]
    assert not restored.processor_online(POOL_HOUSE)
    assert restored.processor_online(MAIN)
    assert [restored.state(serial).link_up for serial in POOL_DEVICES] == [False] * 3
    assert restored.state(A1).link_up
    again = restored.export_state()
    for key in ("modules", "devices", "offline_processors"):
        assert again[key] == data[key], key


def test_lp53_every_processor_answers_integration_id_lookups(project: Emulator) -> None:
    """LP53: one id space: each processor's integration id names it, as a device."""
    assert project.device_integration_id(POOL_HOUSE) == 900
    assert project.device_integration_id(MAIN) == 1
    assert project.description.integration_id_info(900) == (
        IntegrationIdKind.DEVICE,
        POOL_HOUSE,
    )


def test_lp53_a_module_moved_to_or_added_on_a_processor_cut_off_has_no_link(
    project: Emulator, events: EventLog
) -> None:
    """LP53: a module moved onto the links of a processor cut off loses its link (a LINK event); one added starts so."""
    project.set_processor_online(POOL_HOUSE, False)
    events.clear()
    moved = replace(project.module(A1), processor=POOL_HOUSE, link=2, address=20)
    project.update_module(moved)
    assert events.kinds()[0] is EventKind.DEVICE_CHANGED
    assert events.of(EventKind.LINK, A1) == [Event(EventKind.LINK, A1, None, False)]
    added = new_module(project.description, link=2, processor=POOL_HOUSE)
    project.add_module(added)
    assert not project.state(added.serial).link_up
    project.set_processor_online(POOL_HOUSE, True)
    assert project.state(added.serial).link_up
    assert project.state(A1).link_up


def test_lp53_processors_in_diagnostics(project: Emulator) -> None:
    """LP53: diagnostics list every processor, its links, its device count and whether it is on the network."""
    project.set_processor_online(POOL_HOUSE, False)
    diagnostics = project.diagnostics()
    assert diagnostics["processor"]["serial"] == MAIN
    assert diagnostics["processors"] == [
        {
            "serial": MAIN,
            "model": "HQP7-2",
            "online": True,
            "links": [1],
            "devices": 10,
        },
        {
            "serial": POOL_HOUSE,
            "model": "HQP7-2",
            "online": False,
            "links": [2],
            "devices": 3,
        },
    ]
    assert diagnostics["modules_without_link"] == 1
    assert diagnostics["devices_unreachable"] == 2


def test_lp53_a_processor_cut_off_is_exported_and_restored(
    emulator: Emulator, scheduler: ManualScheduler
) -> None:
    """LP53: a processor cut off survives export and restore; a device's own link condition is exported."""
    serial = emulator.description.processor.serial
    emulator.set_link(B1, False)
    emulator.set_processor_online(serial, False)
    data = json.loads(json.dumps(emulator.export_state()))
    assert data["offline_processors"] == [serial]
    assert (
        data["modules"][A1]["link_up"] is True
    )  # its own link: only the processor is off
    assert data["modules"][B1]["link_up"] is False
    restored = Emulator.from_export(data, scheduler=scheduler)
    assert not restored.processor_online(serial)
    assert not restored.state(A1).link_up
    restored.set_processor_online(serial, True)
    assert restored.state(A1).link_up
    assert not restored.state(B1).link_up

    log = EventLog()
    restored.events.subscribe(log)
    restored.restore_state(data)
    assert log.of(EventKind.PROCESSOR) == [
        Event(EventKind.PROCESSOR, serial, None, False)
    ]
    assert Event(EventKind.LINK, A1, None, False) in log.events


def test_lp53_an_export_without_processors_cut_off_reads_as_before(
    emulator: Emulator,
) -> None:
    """LP53: exports made before processors could be cut off load with every processor on the network."""
    data = emulator.export_state()
    assert "offline_processors" not in data
    restored = Emulator.from_export(data)
    assert restored.processor_online(emulator.description.processor.serial)


def test_lp53_an_export_naming_an_unknown_processor_is_refused(
    emulator: Emulator,
) -> None:
    """LP53: a processor cut off that the description does not hold is named in the error; nothing changes."""
    data = emulator.export_state()
    data["offline_processors"] = ["FFFFFFFF"]
    with pytest.raises(DescriptionError, match=r"offline_processors\.0"):
        emulator.restore_state(data)
    data["offline_processors"] = "FFFFFFFF"
    with pytest.raises(DescriptionError, match="offline_processors"):
        emulator.restore_state(data)
    assert emulator.processor_online(emulator.description.processor.serial)


async def test_lp53_the_emulated_backend_cuts_a_processor_off(
    scheduler: ManualScheduler,
) -> None:
    """LP53: Home Assistant's emulated entry sees each processor and cuts one off through the backend."""
    backend = EmulatedBackend(Emulator(two_processor_house(), scheduler=scheduler))
    await backend.async_start()
    assert [p.serial for p in backend.description.processors] == [MAIN, POOL_HOUSE]
    await backend.async_set_processor_online(POOL_HOUSE, False)
    assert not backend.processor_online(POOL_HOUSE)
    with pytest.raises(CommandIgnoredError):
        await backend.async_set_zone(B1, 1, True)
    assert backend.diagnostics()["processors"][1]["online"] is False
    await backend.async_simulate(POOL_HOUSE, Fault.PROCESSOR, True)
    assert backend.processor_online(POOL_HOUSE)
    await backend.async_set_zone(B1, 1, True)
    await backend.async_stop()
