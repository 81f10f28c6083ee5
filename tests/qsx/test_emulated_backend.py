"""`EmulatedBackend`: the emulator behind the interface the integration uses."""

from __future__ import annotations

import pytest

from custom_components.homeworks_qsx.qsx.clock import AsyncioScheduler, ManualScheduler
from custom_components.homeworks_qsx.qsx.const import (
    Button,
    ButtonAction,
    Fault,
    Gesture,
    IgnoredReason,
    LedState,
    ShadeMove,
)
from custom_components.homeworks_qsx.qsx.emulator import Emulator
from custom_components.homeworks_qsx.qsx.emulator.backend import EmulatedBackend
from custom_components.homeworks_qsx.qsx.emulator.description import new_module
from custom_components.homeworks_qsx.qsx.errors import (
    CommandIgnoredError,
    UnknownObjectError,
)
from custom_components.homeworks_qsx.qsx.events import Event, EventKind
from custom_components.homeworks_qsx.qsx.model import SystemDescription

from .conftest import A1, A3, B1
from .house import (
    DIMMER,
    KEYPAD,
    SCENE,
    SENSOR_1,
    SHADE,
    TILT_SHADE,
    TIMECLOCK,
    house_description,
)


async def test_backend_lifecycle_and_commands(
    emulator: Emulator, scheduler: ManualScheduler
) -> None:
    """Start connects; commands reach the emulator; its events reach subscribers; stop closes timers, disconnects."""
    backend = EmulatedBackend(emulator)
    assert backend.supports_simulation
    connection: list[bool] = []
    backend.subscribe_connection(connection.append)
    forgotten = backend.subscribe_connection(
        lambda connected: connection.append(not connected)
    )
    forgotten()
    forgotten()  # twice is harmless
    events: list[Event] = []
    backend.subscribe(events.append)
    await backend.async_start()
    assert backend.connected
    assert connection == [True]
    await backend.async_set_zone(B1, 1, True)
    assert emulator.state(B1).zones[0].on
    assert backend.device_state(B1).zones[0].on
    await backend.async_press_button(B1, Button.ZONE_2)
    await backend.async_set_cco(A3, True)
    await backend.async_pulse_cco(A1, 1.5)
    assert backend.device_state(A3).cco_closed
    assert Event(EventKind.ZONE, B1, 1, True) in events
    assert Event(EventKind.CCO, A1, None, True) in events
    assert scheduler.pending == 1
    await backend.async_stop()
    assert scheduler.pending == 0
    assert not backend.connected
    assert connection == [True, False]
    events.clear()
    emulator.set_zone(
        B1, 3, True
    )  # one bus: a change made to the emulator itself still reaches subscribers
    assert Event(EventKind.ZONE, B1, 3, True) in events
    events.clear()
    await backend.async_start()
    emulator.set_zone(B1, 3, False)
    assert events == [
        Event(EventKind.ZONE, B1, 3, False),
        Event(EventKind.RELAY_COUNT, B1, 3, 2),
        Event(EventKind.LED, B1, 3, emulator.state(B1).zone_leds[2]),
    ]
    await backend.async_stop()
    await backend.async_stop()  # stopping twice is harmless
    assert connection == [True, False, True, False]


async def test_backend_raises_for_ignored_commands(emulator: Emulator) -> None:
    """A command the module ignores raises `CommandIgnoredError` with the reason; the state stays real."""
    backend = EmulatedBackend(emulator)
    await backend.async_simulate(A3, Fault.CCI, True)
    with pytest.raises(CommandIgnoredError) as info:
        await backend.async_set_zone(A3, 1, False)
    assert info.value.reason is IgnoredReason.MANUAL_OVERRIDE
    assert info.value.serial == A3
    assert backend.device_state(A3).zones[0].on
    await backend.async_simulate(B1, Fault.POWER, False)
    for command in (
        backend.async_set_cco(B1, True),
        backend.async_pulse_cco(B1),
        backend.async_press_button(B1, Button.PROG),
    ):
        with pytest.raises(CommandIgnoredError, match="no power"):
            await command
    with pytest.raises(UnknownObjectError):
        backend.device_state("DEADBEEF")
    await backend.async_stop()


async def test_backend_diagnostics(emulator: Emulator) -> None:
    """Diagnostics report the backend, the connection and the emulator's counts."""
    backend = EmulatedBackend(emulator)
    await backend.async_start()
    await backend.async_simulate(A1, Fault.CCI, True)
    diagnostics = backend.diagnostics()
    assert diagnostics["backend"] == "emulator"
    assert diagnostics["connected"] is True
    assert diagnostics["modules"] == 4
    assert diagnostics["overrides_active"] == 2
    assert diagnostics["zones_on"] == 6  # A1: on, off, unchanged (off), on; A2: all on
    await backend.async_stop()


async def test_backend_on_the_event_loop(small_description: SystemDescription) -> None:
    """With the asyncio scheduler a pulse runs on the loop, and stopping leaves no timer behind."""
    emulator = Emulator(small_description, scheduler=AsyncioScheduler())
    backend = EmulatedBackend(emulator)
    await backend.async_start()
    await backend.async_pulse_cco(A1, 0.25)
    assert backend.device_state(A1).cco_closed
    await backend.async_stop()
    assert not backend.device_state(A1).cco_closed


def test_default_scheduler_is_asyncio(small_description: SystemDescription) -> None:
    """Without a scheduler the emulator uses the asyncio one; it needs a loop only for timers."""
    emulator = Emulator(small_description)
    assert isinstance(emulator.scheduler, AsyncioScheduler)
    emulator.set_zone(B1, 1, True)
    with pytest.raises(RuntimeError):
        emulator.pulse_cco(A1)
    assert not emulator.state(A1).cco_closed  # nothing changed


def test_description_follows_the_emulator(emulator: Emulator) -> None:
    """The backend's description is the emulator's as it is now: a module added to the emulator is in it."""
    backend = EmulatedBackend(emulator)
    module = new_module(emulator.description, 2, name="Attic")
    emulator.add_module(module)
    assert backend.description.device(module.serial) == module
    assert backend.device_state(module.serial).powered


async def test_backend_drives_the_house(scheduler: ManualScheduler) -> None:
    """The house's commands through the backend: levels, tilt, shade moves, presses, LEDs, timeclocks, faults."""
    emulator = Emulator(house_description(), scheduler=scheduler)
    backend = EmulatedBackend(emulator)
    events: list[Event] = []
    backend.subscribe(events.append)
    await backend.async_start()
    await backend.async_set_level(DIMMER, 1, 40, fade_seconds=2)
    assert backend.device_state(DIMMER).zones[0].level == 40
    await backend.async_set_tilt(TILT_SHADE, 1, 30)
    assert backend.device_state(TILT_SHADE).zones[0].tilt == 30
    await backend.async_move_shade(SHADE, 1, ShadeMove.RAISE)
    scheduler.advance(2)
    await backend.async_move_shade(SHADE, 1, ShadeMove.STOP)
    assert backend.device_state(SHADE).zones[0].level == 10
    await backend.async_press_keypad_button(KEYPAD, SCENE)
    assert backend.device_state(DIMMER).zones[0].level == 75
    await backend.async_press_keypad_button(KEYPAD, SCENE, Gesture.HOLD)
    scheduler.advance(2)
    await backend.async_press_keypad_button(KEYPAD, SCENE, Gesture.RELEASE)
    assert [e.value for e in events if e.kind is EventKind.BUTTON][-3:] == [
        ButtonAction.PRESS,
        ButtonAction.LONG_PRESS,
        ButtonAction.RELEASE,
    ]
    await backend.async_set_indicator(KEYPAD, SCENE, False)
    assert backend.device_state(KEYPAD).indicators[SCENE] is LedState.OFF
    await backend.async_set_timeclock(TIMECLOCK, False)
    assert backend.device_state(TIMECLOCK).timeclock_enabled is False
    await backend.async_simulate(SENSOR_1, Fault.OCCUPANCY, True)
    assert backend.device_state(SENSOR_1).occupied is True
    await backend.async_simulate(DIMMER, Fault.MANUAL_LEVEL, 12, output=2)
    assert backend.device_state(DIMMER).zones[1].level == 12
    diagnostics = backend.diagnostics()
    assert diagnostics["devices"]["keypad"] == 2
    assert diagnostics["areas_occupied"] == 1
    assert diagnostics["timeclocks_enabled"] == 0
    await backend.async_stop()


async def test_backend_house_commands_ignored(scheduler: ManualScheduler) -> None:
    """LP49: a device without power or link makes the backend raise `CommandIgnoredError` with the reason."""
    emulator = Emulator(house_description(), scheduler=scheduler)
    backend = EmulatedBackend(emulator)
    await backend.async_simulate(DIMMER, Fault.POWER, False)
    await backend.async_simulate(SHADE, Fault.LINK, False)
    await backend.async_simulate(TILT_SHADE, Fault.POWER, False)
    await backend.async_simulate(KEYPAD, Fault.LINK, False)
    for command in (
        backend.async_set_level(DIMMER, 1, 50),
        backend.async_move_shade(SHADE, 1, ShadeMove.LOWER),
        backend.async_set_tilt(TILT_SHADE, 1, 50),
        backend.async_press_keypad_button(KEYPAD, SCENE),
        backend.async_set_indicator(KEYPAD, SCENE, True),
    ):
        with pytest.raises(CommandIgnoredError, match="no"):
            await command
    assert backend.device_state(DIMMER).zones[0].level == 0
