"""Home Assistant's core `lutron` integration, set up against the emulator's whole house over LIP.

Core `lutron` connects with pylutron from the event loop and waits for its thread to log in, so the emulator and
its LIP server run on an event loop of their own, in a thread, on 127.0.0.2 (pylutron's ports are fixed: 23 and
80). Checked: the keypads' buttons (events, scenes) and LEDs (switches), the dimmers (lights), the shades (covers)
and the rooms' occupancy (binary sensors) appear (D1-D6); a person's press fires `lutron_event` (H3); a person
entering the kitchen turns its sensor on (H6); a light set from Home Assistant dims the emulator's zone (H1).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncGenerator, Callable
import threading
from typing import Any

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from benchmarks.common import close_pylutron
from custom_components.homeworks_qsx.qsx.emulator import Emulator
from custom_components.homeworks_qsx.qsx.emulator.lip.server import LipServer
from homeassistant.const import CONF_HOST, CONF_PASSWORD, CONF_USERNAME
from homeassistant.core import Event as HassEvent, HomeAssistant
from homeassistant.helpers import entity_registry as er
from tests.qsx.serving import wait_for

from .conftest import PASSWORD, USER, RawSession
from .house import DIMMER, KEYPAD_ID, SCENE, SENSOR_ID, house_description
from .test_pylutron import HOST, second_loopback

__all__ = ["second_loopback"]


class ServedHouse:
    """The house's emulator and LIP server on an event loop of their own, in a thread."""

    def __init__(self) -> None:
        """Prepare the loop and its thread; nothing is served before `start`."""
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="lip-house")
        self.emulator: Emulator | None = None
        self.server: LipServer | None = None

    def run[T](self, function: Callable[[], T]) -> T:
        """Run `function` on the server's loop and return its result (bounded in time)."""

        async def call() -> T:
            return function()

        return asyncio.run_coroutine_threadsafe(call(), self.loop).result(10)

    async def start(self) -> None:
        """Start the thread, then the emulator and server on its loop."""
        self.thread.start()

        async def serve() -> None:
            self.emulator = Emulator(house_description())
            self.server = LipServer(
                self.emulator, HOST, 23, USER, PASSWORD, http_port=80
            )
            await self.server.start()

        await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(serve(), self.loop))

    async def stop(self) -> None:
        """Stop the server and the emulator, then the loop and its thread."""

        async def close() -> None:
            if self.server is not None:
                await self.server.stop()
            if self.emulator is not None:
                self.emulator.close()

        await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(close(), self.loop))
        self.loop.call_soon_threadsafe(self.loop.stop)
        await asyncio.get_running_loop().run_in_executor(None, self.thread.join, 10)
        self.loop.close()


@pytest.fixture
async def served(second_loopback: None) -> AsyncGenerator[ServedHouse]:
    """Return the house served from its own thread on 127.0.0.2."""
    house = ServedHouse()
    await house.start()
    yield house
    await house.stop()


async def test_core_lutron_sees_and_drives_the_whole_house(
    hass: HomeAssistant, served: ServedHouse, entity_registry: er.EntityRegistry
) -> None:
    """D1-D6, H1, H3, H6: core `lutron` makes entities of every LIP kind, hears a press and occupancy, dims."""
    description = house_description()
    entry = MockConfigEntry(
        domain="lutron",
        data={CONF_HOST: HOST, CONF_USERNAME: USER, CONF_PASSWORD: PASSWORD},
        unique_id=description.guid,
    )
    entry.add_to_hass(hass)
    try:
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
        platforms = Counter(
            item.domain
            for item in er.async_entries_for_config_entry(
                entity_registry, entry.entry_id
            )
        )
        # 4 dimmed zones; 2 shades; 12 switched zones and 3 CCOs, plus the LEDs of scene buttons (3 kitchen, 2
        # living, 1 homeowner); 9 keypad buttons with an event each; 8 of them scenes (not the unprogrammed one);
        # one occupancy sensor per room.
        assert platforms["light"] == 4
        assert platforms["cover"] == 2
        assert platforms["switch"] == 15 + 6
        assert platforms["event"] == 9
        assert platforms["scene"] == 8
        assert platforms["binary_sensor"] == 4
        occupancy = [
            item.entity_id
            for item in er.async_entries_for_config_entry(
                entity_registry, entry.entry_id
            )
            if item.domain == "binary_sensor"
        ]
        kitchen = next(entity for entity in occupancy if "kitchen" in entity)
        assert hass.states.get(kitchen).state == "off"  # type: ignore[union-attr]

        presses: list[HassEvent[Any]] = []
        hass.bus.async_listen("lutron_event", presses.append)
        person = await RawSession.open(23, HOST)
        await person.login()
        await person.command(f"#EMULATOR,{KEYPAD_ID},TAP,{SCENE}")
        await person.command(f"#EMULATOR,{SENSOR_ID},OCCUPANCY,OCCUPIED")
        await person.close()
        await wait_for(lambda: hass.states.get(kitchen).state == "on")  # type: ignore[union-attr]
        await wait_for(lambda: bool(presses))
        assert presses[0].data["action"] == "single"

        light = "light.kitchen_dimmed_1"  # output DIM_1, named after its room and zone
        assert entity_registry.async_get(light) is not None
        await hass.services.async_call(
            "light", "turn_on", {"entity_id": light, "brightness": 128}, blocking=True
        )

        def dimmer_level() -> float:
            assert served.emulator is not None
            return served.emulator.state(DIMMER).zones[0].level

        await wait_for(lambda: served.run(dimmer_level) == pytest.approx(50.2, abs=0.5))
    finally:
        client = entry.runtime_data.client if hasattr(entry, "runtime_data") else None
        await hass.config_entries.async_unload(entry.entry_id)
        if client is not None:
            await hass.async_add_executor_job(close_pylutron, client)
