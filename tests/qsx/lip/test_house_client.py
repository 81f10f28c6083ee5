"""The LIP client and backend read and drive the whole house of the emulator over loopback (docs/lip.md H1-H9).

The client's model is compared with the emulator's (D1: the same devices, timeclocks aside), its events with the
emulator's changes, and each backend command with what it does to the emulator.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator

import aiohttp
import pytest

from custom_components.homeworks_qsx.qsx.const import (
    ButtonAction,
    Fault,
    Gesture,
    LedState,
    ShadeMove,
)
from custom_components.homeworks_qsx.qsx.emulator import Emulator
from custom_components.homeworks_qsx.qsx.emulator.lip.dbxml_build import build_dbxml
from custom_components.homeworks_qsx.qsx.emulator.lip.server import LipServer
from custom_components.homeworks_qsx.qsx.errors import (
    NotSupportedError,
    UnknownObjectError,
)
from custom_components.homeworks_qsx.qsx.events import Event, EventBus, EventKind
from custom_components.homeworks_qsx.qsx.lip.backend import LipBackend
from custom_components.homeworks_qsx.qsx.lip.client import LipClient
from custom_components.homeworks_qsx.qsx.lip.dbxml.parse import parse_database
from custom_components.homeworks_qsx.qsx.lip.protocol import DeviceReport, GroupReport
from custom_components.homeworks_qsx.qsx.lip.tracker import SystemTracker
from custom_components.homeworks_qsx.qsx.model import (
    Capability,
    DeviceKind,
    SystemDescription,
)
from tests.qsx.serving import wait_for

from .conftest import FAST, PASSWORD, USER, RawSession
from .house import (
    DIMMER,
    KEYPAD,
    KEYPAD_ID,
    PALLADIOM,
    SCENE,
    SENSOR,
    SENSOR_ID,
    SHADE,
    TILT_SHADE,
    TIMECLOCK,
    TOGGLE,
    house_description,
)


@pytest.fixture
def description() -> SystemDescription:
    """Return the whole house."""
    return house_description()


@pytest.fixture
async def backend(
    server: LipServer, http_session: aiohttp.ClientSession
) -> AsyncGenerator[LipBackend]:
    """Return a started LIP backend of the house."""
    backend = LipBackend(
        "127.0.0.1",
        server.port,
        USER,
        PASSWORD,
        session=http_session,
        http_port=server.http_port or 0,
        timings=FAST,
    )
    await backend.async_start()
    yield backend
    await backend.async_stop()


def recorder(events: list[Event], kinds: set[EventKind]) -> object:
    """Return a subscriber that keeps the events of `kinds`."""

    def record(event: Event) -> None:
        if event.kind in kinds:
            events.append(event)

    return record


async def test_client_reads_every_kind_and_state(
    server: LipServer, emulator: Emulator, http_session: aiohttp.ClientSession
) -> None:
    """D1-D6, H1, H5, H6: the client's devices are the emulator's (no timeclocks), with their levels, LEDs, occupancy."""
    emulator.set_level(DIMMER, 2, 40.0)
    emulator.set_level(SHADE, 1, 70.0)
    emulator.set_indicator(KEYPAD, 6, True)
    emulator.simulate(SENSOR, Fault.OCCUPANCY, True)
    client = LipClient(
        "127.0.0.1",
        server.port,
        USER,
        PASSWORD,
        session=http_session,
        http_port=server.http_port or 0,
        timings=FAST,
    )
    await client.connect()
    try:
        expected = {
            device.serial: device
            for device in emulator.description.devices
            if device.kind is not DeviceKind.TIMECLOCK
        }
        assert {d.serial: d for d in client.description.devices} == expected
        assert client.state(DIMMER).zones[1].level == 40.0
        assert client.state(DIMMER).zones[1].on
        assert client.state(SHADE).zones[0].level == 70.0
        assert client.state(KEYPAD).indicators[6] is LedState.ON
        assert client.state(KEYPAD).indicators[SCENE] is LedState.OFF
        assert client.state(SENSOR).occupied is True
    finally:
        await client.close()


async def test_client_follows_presses_levels_leds_and_occupancy(
    client: LipClient, emulator: Emulator
) -> None:
    """H1, H3, H5, H6: a person's press, its scene and LED, and a person entering a room reach the client as events."""
    events: list[Event] = []
    client.events.subscribe(
        recorder(
            events,
            {
                EventKind.BUTTON,
                EventKind.LEVEL,
                EventKind.INDICATOR,
                EventKind.OCCUPANCY,
            },
        )  # type: ignore[arg-type]
    )
    emulator.press(KEYPAD, SCENE, Gesture.TAP)
    emulator.simulate(SENSOR, Fault.OCCUPANCY, True)
    await wait_for(lambda: any(e.kind is EventKind.OCCUPANCY for e in events))
    assert Event(EventKind.BUTTON, KEYPAD, SCENE, ButtonAction.PRESS) in events
    assert Event(EventKind.BUTTON, KEYPAD, SCENE, ButtonAction.RELEASE) in events
    assert Event(EventKind.LEVEL, DIMMER, 1, 60.0) in events
    assert Event(EventKind.INDICATOR, KEYPAD, SCENE, LedState.ON) in events
    assert Event(EventKind.OCCUPANCY, SENSOR, None, True) in events
    assert client.state(DIMMER).zones[0].level == 60.0
    assert client.state(SENSOR).occupied is True
    events.clear()
    emulator.press(KEYPAD, TOGGLE, Gesture.DOUBLE_TAP)
    await wait_for(lambda: len(events) >= 4)
    buttons = [e.value for e in events if e.kind is EventKind.BUTTON]
    assert ButtonAction.MULTI_TAP in buttons


async def test_backend_sets_levels_moves_shades_presses_and_lights(
    backend: LipBackend, emulator: Emulator
) -> None:
    """H1-H5: each backend command does to the emulator what it says, and the backend's model follows."""
    await backend.async_set_level(DIMMER, 3, 33.3, fade_seconds=1.5)
    assert emulator.state(DIMMER).zones[2].level == 33.3
    await wait_for(lambda: backend.device_state(DIMMER).zones[2].level == 33.3)
    await backend.async_set_level(SHADE, 1, 100)
    assert emulator.state(SHADE).zones[0].level == 100.0
    await backend.async_move_shade(SHADE, 1, ShadeMove.LOWER)
    assert emulator.shade_moving(SHADE, 1)
    await backend.async_move_shade(SHADE, 1, ShadeMove.STOP)
    assert not emulator.shade_moving(SHADE, 1)

    events: list[Event] = []
    backend.subscribe(recorder(events, {EventKind.BUTTON}))  # type: ignore[arg-type]
    await backend.async_press_keypad_button(KEYPAD, SCENE)
    await wait_for(lambda: len(events) >= 2)
    assert [e.value for e in events] == [ButtonAction.PRESS, ButtonAction.RELEASE]
    assert emulator.state(DIMMER).zones[0].level == 60.0
    events.clear()
    await backend.async_press_keypad_button(PALLADIOM, 4, Gesture.HOLD)
    await backend.async_press_keypad_button(PALLADIOM, 4, Gesture.RELEASE)
    await wait_for(lambda: len(events) >= 2)
    assert [e.value for e in events] == [ButtonAction.PRESS, ButtonAction.RELEASE]
    events.clear()
    await backend.async_press_keypad_button(KEYPAD, TOGGLE, Gesture.DOUBLE_TAP)
    await wait_for(lambda: len(events) >= 4)
    assert events[2].value is ButtonAction.MULTI_TAP

    await backend.async_set_indicator(KEYPAD, 6, True)
    assert emulator.state(KEYPAD).indicators[6] is LedState.ON
    await wait_for(lambda: backend.device_state(KEYPAD).indicators[6] is LedState.ON)
    await backend.async_set_indicator(KEYPAD, 6, False)
    assert emulator.state(KEYPAD).indicators[6] is LedState.OFF


async def test_backend_capabilities_and_refusals(backend: LipBackend) -> None:
    """H2, H4, H7: no tilt and no timeclocks over LIP; unknown buttons, LEDs and outputs are refused before sending."""
    assert Capability.TIMECLOCK not in backend.capabilities
    assert {
        Capability.LEVELS,
        Capability.KEYPAD,
        Capability.INDICATORS,
        Capability.OCCUPANCY,
    } <= (backend.capabilities)
    with pytest.raises(NotSupportedError, match="tilt"):
        await backend.async_set_tilt(TILT_SHADE, 1, 50)
    with pytest.raises(NotSupportedError):
        await backend.async_set_timeclock(TIMECLOCK, True)
    with pytest.raises(UnknownObjectError):
        await backend.async_press_keypad_button(KEYPAD, 9)
    with pytest.raises(UnknownObjectError):
        await backend.async_set_indicator(KEYPAD, 4, True)
    with pytest.raises(UnknownObjectError):
        await backend.async_set_level(KEYPAD, 1, 50)
    with pytest.raises(UnknownObjectError):
        await backend.async_set_level(backend.description.modules[0].serial, 1, 50)
    with pytest.raises(UnknownObjectError):
        await backend.async_move_shade(DIMMER, 5, ShadeMove.RAISE)
    with pytest.raises(ValueError, match="level"):
        await backend.async_set_level(DIMMER, 1, 101)
    with pytest.raises(ValueError, match="fade"):
        await backend.async_set_level(DIMMER, 1, 50, fade_seconds=-1)
    with pytest.raises(UnknownObjectError):
        await backend.async_set_zone(DIMMER, 1, True)


async def test_h5_unchanged_led_write_answered_and_h6_occupancy_only_to_monitors(
    server: LipServer, raw: object, emulator: Emulator
) -> None:
    """H5: an LED write that changes nothing is answered with the state in force; H6: `~GROUP` goes to type 6 only."""
    sender: RawSession = await raw()  # type: ignore[operator]
    quiet: RawSession = await raw()  # type: ignore[operator]
    for session in (sender, quiet):
        session.send("#MONITORING,12,2")
        await session.sync()
    quiet.send("#MONITORING,6,2")
    await quiet.sync()
    sender.send(f"#DEVICE,{KEYPAD_ID},86,9,0")
    assert await sender.sync() == [f"~DEVICE,{KEYPAD_ID},86,9,0"]
    emulator.simulate(SENSOR, Fault.OCCUPANCY, True)
    lines = await sender.sync()
    assert any(line.startswith("~GROUP,") and line.endswith(",3,3") for line in lines)
    assert not any(line.startswith("~GROUP,") for line in await quiet.sync())
    assert server.diagnostics()["errors"] == 0
    sender.send(f"?DEVICE,{SENSOR_ID},1,22")
    assert await sender.sync() == ["~ERROR,2"]


def test_tracker_ignores_what_is_not_a_house_report() -> None:
    """H3, H5, H6: unknown LED states, actions and components, devices without components, unknown groups."""
    database = parse_database(build_dbxml(house_description()))
    events: list[Event] = []
    bus = EventBus()
    bus.subscribe(events.append)
    tracker = SystemTracker(bus)
    tracker.set_description(database.description, database.occupancy_groups)
    for report in (
        DeviceReport(KEYPAD_ID, 81, 9, (7,)),  # no LED state 7
        DeviceReport(KEYPAD_ID, 84, 9, (1,)),  # button 4 has no LED
        DeviceReport(KEYPAD_ID, 81, 9),  # no state
        DeviceReport(KEYPAD_ID, 1, 7),  # no action 7
        DeviceReport(KEYPAD_ID, 9, 3),  # no button 9
        DeviceReport(SENSOR_ID, 1, 3),  # a sensor has no components
    ):
        assert tracker.apply_device(report) is not None
    (group,) = database.occupancy_groups
    assert tracker.apply_group(GroupReport(group + 100, 3)) == ()
    assert tracker.apply_group(GroupReport(group, 255)) == (
        SENSOR,
    )  # unknown: nothing to say
    assert events == []
    assert tracker.state(KEYPAD).indicators[1] is LedState.OFF
    assert tracker.state(SENSOR).occupied is None
    assert tracker.apply_group(GroupReport(group, 3)) == (SENSOR,)
    assert tracker.apply_group(GroupReport(group, 3)) == (SENSOR,)
    assert events == [Event(EventKind.OCCUPANCY, SENSOR, None, True)]
