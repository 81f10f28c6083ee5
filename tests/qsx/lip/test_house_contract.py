"""The LIP backend cannot be told from the emulator for what LIP carries of the whole house (docs/lip.md H1-H6).

Commands go through the `LipBackend`, a person's actions through the emulator; after each step the backend's
states of every dimming module, shade, keypad and occupancy sensor equal the emulator's (levels, LEDs, occupancy),
and the events it published equal the emulator's of the kinds LIP reports (LEVEL, BUTTON, INDICATOR, OCCUPANCY).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncGenerator, Awaitable, Callable

import aiohttp
import pytest

from custom_components.homeworks_qsx.qsx.const import (
    ButtonAction,
    Fault,
    Gesture,
    ShadeMove,
)
from custom_components.homeworks_qsx.qsx.emulator import Emulator
from custom_components.homeworks_qsx.qsx.emulator.lip.server import LipServer
from custom_components.homeworks_qsx.qsx.events import Event, EventKind
from custom_components.homeworks_qsx.qsx.lip.backend import LipBackend
from custom_components.homeworks_qsx.qsx.model import DeviceKind, SystemDescription
from tests.qsx.serving import wait_for

from .conftest import FAST, PASSWORD, USER
from .house import (
    DIMMER,
    HOMEOWNER,
    KEYPAD,
    LOWER,
    PALLADIOM,
    SCENE,
    SENSOR,
    SHADE,
    SHADE_BUTTON,
    TOGGLE,
    house_description,
)

CARRIED = {EventKind.LEVEL, EventKind.BUTTON, EventKind.INDICATOR, EventKind.OCCUPANCY}
HOUSE_KINDS = {
    DeviceKind.DIMMING_MODULE,
    DeviceKind.SHADE,
    DeviceKind.KEYPAD,
    DeviceKind.OCCUPANCY_SENSOR,
}


@pytest.fixture
def description() -> SystemDescription:
    """Return the whole house."""
    return house_description()


class Contract:
    """The emulator, a LIP backend of it, and the events each published."""

    def __init__(self, emulator: Emulator, backend: LipBackend) -> None:
        """Record the events of both."""
        self.emulator = emulator
        self.backend = backend
        self.truth: list[Event] = []
        self.seen: list[Event] = []
        self.levels = {
            (device.serial, zone.number): emulator.state(device.serial)
            .zones[zone.number - 1]
            .level
            for device in emulator.description.devices
            if device.kind in HOUSE_KINDS
            for zone in device.zones
        }
        emulator.events.subscribe(self._truth)
        backend.subscribe(self._seen)

    def _truth(self, event: Event) -> None:
        if event.kind is EventKind.LEVEL:
            # LP27: the emulator announces a ramp's start with the level of the moment; a report of an unchanged
            # level changes nothing a client keeps, so it is no event there.
            key = (str(event.serial), int(event.zone or 0))
            if self.levels.get(key) == event.value:
                return
            self.levels[key] = event.value
        if event.kind in CARRIED:
            self.truth.append(event)

    def _seen(self, event: Event) -> None:
        if event.kind in CARRIED:
            self.seen.append(event)

    async def check(self) -> None:
        """Let the backend hear every report, then compare states and events; forget the events."""
        await self.backend.client.ping()
        for device in self.emulator.description.devices:
            if device.kind not in HOUSE_KINDS:
                continue
            real, known = (
                self.emulator.state(device.serial),
                self.backend.device_state(device.serial),
            )
            assert [z.level for z in known.zones] == [z.level for z in real.zones], (
                device.serial
            )
            assert [z.on for z in known.zones] == [z.on for z in real.zones], (
                device.serial
            )
            assert known.indicators == real.indicators, device.serial
            if device.kind is DeviceKind.OCCUPANCY_SENSOR:
                assert known.occupied == real.occupied
        assert Counter(self.seen) == Counter(self.truth)
        self.truth.clear()
        self.seen.clear()


@pytest.fixture
async def contract(
    server: LipServer, emulator: Emulator, http_session: aiohttp.ClientSession
) -> AsyncGenerator[Contract]:
    """Return the emulator and a started LIP backend of it."""
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
    contract = Contract(emulator, backend)
    await contract.check()
    yield contract
    await backend.async_stop()


type Step = Callable[[Contract], Awaitable[object]]


STEPS: list[tuple[str, Step]] = [
    ("H1 level with fade", lambda c: c.backend.async_set_level(DIMMER, 1, 45.5, 2)),
    ("H1 shade level", lambda c: c.backend.async_set_level(SHADE, 1, 80)),
    ("H2 raise", lambda c: c.backend.async_move_shade(DIMMER, 2, ShadeMove.RAISE)),
    ("H2 stop", lambda c: c.backend.async_move_shade(DIMMER, 2, ShadeMove.STOP)),
    ("H3 tap", lambda c: c.backend.async_press_keypad_button(KEYPAD, SCENE)),
    ("H3 toggle", lambda c: c.backend.async_press_keypad_button(KEYPAD, TOGGLE)),
    (
        "H3 double tap",
        lambda c: c.backend.async_press_keypad_button(PALLADIOM, 4, Gesture.DOUBLE_TAP),
    ),
    (
        "H3 hold",
        lambda c: c.backend.async_press_keypad_button(KEYPAD, LOWER, Gesture.HOLD),
    ),
    (
        "H3 release",
        lambda c: c.backend.async_press_keypad_button(KEYPAD, LOWER, Gesture.RELEASE),
    ),
    (
        "H3 shade button",
        lambda c: c.backend.async_press_keypad_button(KEYPAD, SHADE_BUTTON),
    ),
    ("H5 LED on", lambda c: c.backend.async_set_indicator(KEYPAD, 6, True)),
    ("H5 LED off", lambda c: c.backend.async_set_indicator(KEYPAD, 6, False)),
    ("H3 person taps", lambda c: _call(c.emulator.press, HOMEOWNER, 1, Gesture.TAP)),
    (
        "H6 person enters",
        lambda c: _call(c.emulator.simulate, SENSOR, Fault.OCCUPANCY, True),
    ),
    (
        "H6 person leaves",
        lambda c: _call(c.emulator.simulate, SENSOR, Fault.OCCUPANCY, False),
    ),
    (
        "H1 shade by hand",
        lambda c: _call(c.emulator.simulate, SHADE, Fault.MANUAL_LEVEL, 20.0),
    ),
]


async def _call(function: Callable[..., object], *args: object) -> None:
    function(*args)


async def test_lip_backend_follows_the_house_step_by_step(contract: Contract) -> None:
    """H1-H6: after every command or person's action, the backend's states and events are the emulator's."""
    for name, step in STEPS:
        await step(contract)
        try:
            await contract.check()
        except AssertionError as err:
            raise AssertionError(f"after {name}: {err}") from err


async def test_a_hold_long_press_reaches_the_backend(contract: Contract) -> None:
    """H3, LP39: a hold over LIP gives the long press after 2 s, as on the emulator, then the release."""
    await contract.backend.async_press_keypad_button(KEYPAD, LOWER, Gesture.HOLD)
    await wait_for(
        lambda: (
            Event(EventKind.BUTTON, KEYPAD, LOWER, ButtonAction.LONG_PRESS)
            in contract.seen
        )
    )
    await contract.backend.async_press_keypad_button(KEYPAD, LOWER, Gesture.RELEASE)
    await contract.check()
