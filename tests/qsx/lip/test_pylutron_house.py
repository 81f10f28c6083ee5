"""Home Assistant's core `lutron` library, pylutron 0.4.4, sees the whole house of the emulator over LIP.

It loads the project database (D1-D6) and finds the keypads with their buttons and LEDs, dimmable outputs and
shades; it receives a person's press as a button event (H3), an LED change (H5) and a room's occupancy (H6), and
sets a dimmer's level (H1). Same fixed ports as `test_pylutron.py` (127.0.0.2, 23 and 80); blocking calls run in
the executor, each bounded in time.
"""

from __future__ import annotations

import asyncio
from typing import Any

from pylutron import Button, Keypad, Led, Lutron, OccupancyGroup, Output, Shade
import pytest

from benchmarks.common import close_pylutron
from custom_components.homeworks_qsx.qsx.emulator import Emulator
from custom_components.homeworks_qsx.qsx.emulator.lip.server import LipServer
from custom_components.homeworks_qsx.qsx.model import SystemDescription
from tests.qsx.serving import wait_for

from .conftest import PASSWORD, USER, RawSession
from .house import (
    DIM_1,
    DIM_2,
    DIMMER,
    HOMEOWNER_ID,
    KEYPAD_ID,
    PALLADIOM_ID,
    SCENE,
    SENSOR_ID,
    SHADE,
    SHADE_OUT,
    TILT_OUT,
    house_description,
)
from .test_pylutron import HOST, fixed_port_server, in_thread, second_loopback

__all__ = ["fixed_port_server", "second_loopback"]


@pytest.fixture
def description() -> SystemDescription:
    """Return the whole house."""
    return house_description()


class Inbox:
    """Events pylutron delivers on its thread, handed to the test's loop."""

    def __init__(self) -> None:
        """Start empty."""
        self.loop = asyncio.get_running_loop()
        self.events: list[tuple[str, Any]] = []

    def handler(self, name: str) -> Any:
        """Return a pylutron handler that records `(name, event)`."""

        def handle(_entity: Any, _context: Any, event: Any, params: Any) -> None:
            self.loop.call_soon_threadsafe(
                self.events.append, (name, params.get("state", event))
            )

        return handle


async def test_pylutron_sees_keypads_dimmers_shades_and_occupancy(
    fixed_port_server: LipServer, emulator: Emulator
) -> None:
    """D1-D6, H1, H3, H5, H6: core `lutron`'s library finds and drives every LIP kind of the house."""
    lutron = Lutron(HOST, USER, PASSWORD)
    assert await in_thread(lutron.load_xml_db)
    try:
        await in_thread(lutron.connect)
        areas = {area.name: area for area in lutron.areas}
        assert list(areas) == ["Kitchen", "Garage", "Living", "HomeWorks QSX processor"]
        keypads: dict[int, Keypad] = {
            keypad.id: keypad for area in lutron.areas for keypad in area.keypads
        }
        assert sorted(keypads) == [KEYPAD_ID, PALLADIOM_ID, HOMEOWNER_ID]
        kitchen = keypads[KEYPAD_ID]
        assert kitchen.type == "SEETOUCH_KEYPAD"
        assert [(b.number, b.name, b.button_type) for b in kitchen.buttons] == [
            (1, "Key 1", "SingleAction"),
            (2, "Key 2", "AdvancedToggle"),
            (3, "Dimmer Raise", "SingleSceneRaiseLower"),
            (4, "Dimmer Lower", "SingleSceneRaiseLower"),
            (5, "Key 5", "Toggle"),
            (6, "Button 6", "Unprogrammed"),
        ]
        assert [(led.number, led.component_number) for led in kitchen.leds] == [
            (1, 81),
            (2, 82),
            (5, 85),
            (6, 86),
        ]
        assert keypads[PALLADIOM_ID].type == "PALLADIOM_KEYPAD"
        assert [b.number for b in keypads[PALLADIOM_ID].buttons] == [1, 4]
        assert keypads[HOMEOWNER_ID].type == "HOMEOWNER_KEYPAD"
        outputs: dict[int, Output] = {
            output.id: output for area in lutron.areas for output in area.outputs
        }
        assert outputs[DIM_1].is_dimmable
        assert outputs[DIM_2].type == "ELV"
        assert isinstance(outputs[SHADE_OUT], Shade)
        assert isinstance(outputs[TILT_OUT], Shade)
        module = emulator.description.modules[0]
        assert not outputs[module.zones[0].integration_id].is_dimmable

        # H6: the kitchen has a sensor (vacant), the living room none (unknown).
        kitchen_group = areas["Kitchen"].occupancy_group
        assert (
            await in_thread(lambda: kitchen_group.state) is OccupancyGroup.State.VACANT
        )
        living_group = areas["Living"].occupancy_group
        assert (
            await in_thread(lambda: living_group.state) is OccupancyGroup.State.UNKNOWN
        )

        # H1: pylutron dims; it reads levels with decimals.
        await in_thread(outputs[DIM_1].set_level, 55.5)
        await wait_for(lambda: emulator.state(DIMMER).zones[0].level == 55.5)
        emulator.set_level(SHADE, 1, 35.0)
        assert await in_thread(lambda: outputs[SHADE_OUT].level) == 35.0

        # H3, H5, H6: a person presses the scene button and enters the kitchen.
        inbox = Inbox()
        scene: Button = kitchen.buttons[SCENE - 1]
        scene.subscribe(inbox.handler("button"), None)
        led: Led = kitchen.leds[0]
        led.subscribe(inbox.handler("led"), None)
        kitchen_group.subscribe(inbox.handler("occupancy"), None)
        other = await RawSession.open(fixed_port_server.port, HOST)
        await other.login()
        await other.command(f"#EMULATOR,{KEYPAD_ID},TAP,{SCENE}")
        await other.command(f"#EMULATOR,{SENSOR_ID},OCCUPANCY,OCCUPIED")
        await wait_for(
            lambda: ("occupancy", OccupancyGroup.State.OCCUPIED) in inbox.events
        )
        assert ("button", Button.Event.PRESSED) in inbox.events
        assert ("button", Button.Event.RELEASED) in inbox.events
        assert ("led", 1) in inbox.events
        assert led.last_state == 1
        await other.close()

        # H3: pylutron's own tap reaches the emulator as a press of the button.
        await in_thread(outputs[DIM_1].set_level, 0.0)
        await wait_for(lambda: emulator.state(DIMMER).zones[0].level == 0.0)
        await in_thread(scene.tap)
        await wait_for(lambda: emulator.state(DIMMER).zones[0].level == 60.0)
    finally:
        await in_thread(close_pylutron, lutron)
