"""Home Assistant's core `lutron` integration (pylutron 0.4.4) sees the emulated whole house over our LIP server.

Set up through its own config flow (host, user, password), it makes the keypads devices with an event entity per
programmed button, a switch per scene LED and a scene per button, lights of the dimmed outputs, covers of the
shades and an occupancy sensor of the room with one (docs/lip.md H1-H6, D1-D6). A person's tap at the keypad fires
the button's event and lights its LED, a person entering the kitchen turns its sensor on; Home Assistant's LED
switch, scene and light reach the emulator.

pylutron's ports are fixed (23 and 80): the server listens on a loopback address of its own, from its own thread
(`served_house.py`), since core `lutron` connects with a blocking call on Home Assistant's loop.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable, Generator
from typing import Any

import pytest
import pytest_socket

from benchmarks.common import close_pylutron
from custom_components.homeworks_qsx.qsx.const import Fault, Gesture, LedState
from homeassistant.config_entries import SOURCE_USER, ConfigEntry, ConfigEntryState
from homeassistant.const import CONF_HOST, CONF_PASSWORD, CONF_USERNAME
from homeassistant.core import Event, HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import device_registry as dr, entity_registry as er
from tests.qsx.lip.house import DIMMER, KEYPAD, SCENE, SENSOR, TOGGLE, house_description

from .conftest import PASSWORD, USERNAME, get_state
from .served_house import ThreadedLipServer

HOST = "127.0.0.3"
WAIT = 10.0


@pytest.fixture
def lutron_loopback(socket_enabled: None) -> Generator[None]:
    """Let the test and pylutron reach the server's own loopback address."""
    pytest_socket.socket_allow_hosts([HOST, "127.0.0.1"])
    yield
    pytest_socket.socket_allow_hosts(["127.0.0.1"])


@pytest.fixture
def served(lutron_loopback: None) -> Generator[ThreadedLipServer]:
    """Serve the whole house over LIP on ports 23 and 80, as pylutron expects."""
    server = ThreadedLipServer(house_description(), HOST, USERNAME, PASSWORD).start()
    yield server
    server.stop()


async def until(condition: Callable[[], bool]) -> None:
    """Wait (bounded) until `condition()` holds: pylutron reports from its own thread, in real time."""
    async with asyncio.timeout(WAIT):
        while not condition():
            await asyncio.sleep(0.01)


def entities(hass: HomeAssistant, entry: ConfigEntry, domain: str) -> dict[str, str]:
    """Return the entry's entities of one domain: original name (or device name) → entity id."""
    registry, devices = er.async_get(hass), dr.async_get(hass)
    found: dict[str, str] = {}
    for entity in er.async_entries_for_config_entry(registry, entry.entry_id):
        if entity.domain != domain:
            continue
        device = devices.async_get(entity.device_id) if entity.device_id else None
        device_name = device.name if device is not None else ""
        found[f"{device_name}: {entity.original_name}"] = entity.entity_id
    return found


async def set_up_core_lutron(hass: HomeAssistant) -> ConfigEntry:
    """Add core `lutron` through its config flow, as a user would."""
    result = await hass.config_entries.flow.async_init(
        "lutron", context={"source": SOURCE_USER}
    )
    assert result["type"] is FlowResultType.FORM
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_HOST: HOST, CONF_USERNAME: USERNAME, CONF_PASSWORD: PASSWORD},
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    [entry] = hass.config_entries.async_entries("lutron")
    assert entry.state is ConfigEntryState.LOADED
    return entry


async def unload(hass: HomeAssistant, entry: ConfigEntry) -> None:
    """Unload the entry and stop pylutron's thread (core `lutron` leaves it running)."""
    client = entry.runtime_data.client
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_add_executor_job(close_pylutron, client)


async def test_core_lutron_sees_the_keypads_D1_D6_H1_H3_H5_H6(
    hass: HomeAssistant, served: ThreadedLipServer
) -> None:
    """Keypads with button events, LED switches and scenes; dimmers, shades and occupancy, each one working."""
    entry = await set_up_core_lutron(hass)
    try:
        # 4 dimmed zones; 2 shades; 12 switched zones and 3 CCOs, plus the LEDs of scene buttons (3 kitchen, 2
        # living, 1 homeowner); 9 keypad buttons with an event each; 8 of them scenes (not the unprogrammed one);
        # one occupancy sensor per room.
        platforms = Counter(
            entity.domain
            for entity in er.async_entries_for_config_entry(
                er.async_get(hass), entry.entry_id
            )
        )
        assert platforms["light"] == 4
        assert platforms["cover"] == 2
        assert platforms["switch"] == 15 + 6
        assert platforms["event"] == 9
        assert platforms["scene"] == 8
        assert platforms["binary_sensor"] == 4
        keypads = sorted(
            device.name or ""
            for device in dr.async_entries_for_config_entry(
                dr.async_get(hass), entry.entry_id
            )
            if device.name and "keypad" in device.name
        )
        assert keypads == ["Homeowner keypad", "Kitchen keypad", "Living keypad"]
        events = entities(hass, entry, "event")
        assert {
            "Kitchen keypad: Key 1",
            "Kitchen keypad: Key 2",
            "Kitchen keypad: Dimmer Raise",
            "Kitchen keypad: Dimmer Lower",
            "Kitchen keypad: Key 5",
            "Living keypad: Key 1",
            "Living keypad: Key 4",
            "Homeowner keypad: Key 1",
        } <= set(events)
        leds = entities(hass, entry, "switch")
        assert {"Kitchen keypad: Key 1", "Kitchen keypad: Key 2"} <= set(leds)
        scenes = entities(hass, entry, "scene")
        assert "Kitchen keypad: Key 2" in scenes
        lights = entities(hass, entry, "light")
        assert "Dimmed 1: None" in lights
        assert entities(hass, entry, "cover")
        sensors = entities(hass, entry, "binary_sensor").values()
        [occupancy] = [s for s in sensors if s.startswith("binary_sensor.kitchen_")]
        assert get_state(hass, occupancy).state == "off"

        # H3, H5: a person taps the scene button: its event, the `lutron_event`, its LED, the levels it sets.
        fired: list[Event[Any]] = []
        hass.bus.async_listen("lutron_event", fired.append)
        scene_event = events["Kitchen keypad: Key 1"]
        scene_led = leds["Kitchen keypad: Key 1"]
        assert get_state(hass, scene_led).state == "off"
        await served.call(lambda emulator: emulator.press(KEYPAD, SCENE, Gesture.TAP))
        await until(lambda: get_state(hass, scene_event).state != "unknown")
        assert get_state(hass, scene_event).attributes["event_type"] == "single_press"
        await until(lambda: get_state(hass, scene_led).state == "on")
        await until(lambda: bool(fired))
        assert fired[0].data["action"] == "single"
        light = lights["Dimmed 1: None"]
        await until(lambda: get_state(hass, light).state == "on")

        # H6: a person enters the kitchen.
        await served.call(
            lambda emulator: emulator.simulate(SENSOR, Fault.OCCUPANCY, True)
        )
        await until(lambda: get_state(hass, occupancy).state == "on")

        # H5: Home Assistant lights the toggle button's LED; H3: its scene presses the button.
        toggle_led = leds["Kitchen keypad: Key 2"]
        await hass.services.async_call(
            "switch", "turn_on", {"entity_id": toggle_led}, blocking=True
        )
        await until(lambda: get_state(hass, toggle_led).state == "on")
        assert (
            await served.call(
                lambda emulator: emulator.state(KEYPAD).indicators[TOGGLE]
            )
            is LedState.ON
        )
        await hass.services.async_call(
            "scene", "turn_on", {"entity_id": scenes["Kitchen keypad: Key 2"]}
        )
        dimmed_3 = lights["Dimmed 3: None"]
        await until(lambda: get_state(hass, dimmed_3).state == "on")
        assert (
            await served.call(lambda emulator: emulator.state(DIMMER).zones[2].level)
            == 100
        )

        # H1: Home Assistant dims.
        await hass.services.async_call(
            "light",
            "turn_on",
            {"entity_id": lights["Dimmed 4: None"], "brightness": 128},
            blocking=True,
        )
        await until(lambda: get_state(hass, lights["Dimmed 4: None"]).state == "on")
        level = await served.call(
            lambda emulator: emulator.state(DIMMER).zones[3].level
        )
        assert 49 < level < 51
    finally:
        await unload(hass, entry)
