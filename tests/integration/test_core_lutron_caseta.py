"""Home Assistant's core `lutron_caseta`, given certificates from our `issue-cert` command, shows the whole house.

The emulated whole house (whole_house.py) is served over LEAP on a loopback address of its own (lutron_caseta always
dials 8081), with the CA `issue-cert` created. lutron_caseta, configured with the three files the command wrote,
shows its lights (dimmed zones), covers (shades), switches (switched zones, the CCO and keypad LEDs), keypad buttons
and occupancy. A person's tap fires its button events and lights the LED; lutron_caseta dims a light (LP25, LP28),
turns an LED off (LP41), presses a button (LP40) and opens the shade (LP31); a person entering the kitchen (the
emulator's simulation) shows on its occupancy sensor (LP43, LP44).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable, Generator
from pathlib import Path
from typing import Any

import pytest
import pytest_socket

from custom_components.homeworks_qsx.qsx import __main__ as cli
from custom_components.homeworks_qsx.qsx.const import Fault, Gesture, LedState
from custom_components.homeworks_qsx.qsx.emulator import Emulator
from custom_components.homeworks_qsx.qsx.emulator.leap.certs import LeapCredentials
from custom_components.homeworks_qsx.qsx.emulator.leap.server import LeapServer
from homeassistant.config_entries import ConfigEntry, ConfigEntryState
from homeassistant.const import CONF_HOST
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component

from .conftest import get_state
from .whole_house import (
    DIMMERS,
    KITCHEN_KEYPAD,
    KITCHEN_SENSOR,
    LIVING_SHADE,
    PROCESSOR,
    whole_house,
)

HOST = "127.0.0.10"
WAIT = 10.0


@pytest.fixture
def caseta_loopback(socket_enabled: None) -> Generator[None]:
    """Let the test reach the server's own loopback address (lutron_caseta always dials 8081)."""
    pytest_socket.socket_allow_hosts([HOST, "127.0.0.1"])
    yield
    pytest_socket.socket_allow_hosts(["127.0.0.1"])


@pytest.fixture
async def issued(hass: HomeAssistant, tmp_path: Path) -> dict[str, str]:
    """Run `issue-cert` as a user would: the CA is created, the three files written; return lutron_caseta's config."""
    ca = tmp_path / "leap-ca.json"
    out = tmp_path / "certs"
    status = await hass.async_add_executor_job(
        cli.main, ["issue-cert", "--leap-ca", str(ca), "--out", str(out), "--id", HOST]
    )
    assert status == 0
    return {
        "keyfile": str(out / f"lutron_caseta-{HOST}-key.pem"),
        "certfile": str(out / f"lutron_caseta-{HOST}-cert.pem"),
        "ca_certs": str(out / f"lutron_caseta-{HOST}-ca.pem"),
        "ca": str(ca),
    }


@pytest.fixture
async def served(
    caseta_loopback: None, issued: dict[str, str]
) -> AsyncGenerator[Emulator]:
    """Serve the whole house over LEAP on port 8081 with the CA `issue-cert` made."""
    emulator = Emulator(whole_house())
    credentials, created = LeapCredentials.load_or_create(Path(issued["ca"]))
    assert not created
    server = LeapServer(emulator, credentials, HOST, 8081)
    await server.start()
    yield emulator
    await server.stop()
    emulator.close()


async def until(condition: Callable[[], bool]) -> None:
    """Wait (bounded) until `condition()` holds."""
    async with asyncio.timeout(WAIT):
        while not condition():
            await asyncio.sleep(0.01)


def entities(hass: HomeAssistant, entry: ConfigEntry, domain: str) -> dict[str, str]:
    """Return the entry's entities of one domain: name → entity id (lutron_caseta prefixes area and station)."""
    return {
        entity.original_name or "": entity.entity_id
        for entity in er.async_entries_for_config_entry(
            er.async_get(hass), entry.entry_id
        )
        if entity.domain == domain
    }


def named(found: dict[str, str], suffix: str) -> str:
    """Return the one entity whose name ends with `suffix`."""
    [entity_id] = [entity for name, entity in found.items() if name.endswith(suffix)]
    return entity_id


async def test_core_lutron_caseta_shows_the_whole_house_LP24_LP30_LP34_LP38_LP41_LP43(
    hass: HomeAssistant, served: Emulator, issued: dict[str, str]
) -> None:
    """Lights, covers, switches, keypad buttons with their LEDs and occupancy, each one working."""
    config = {CONF_HOST: HOST, **{k: v for k, v in issued.items() if k != "ca"}}
    assert await async_setup_component(
        hass, "lutron_caseta", {"lutron_caseta": [config]}
    )
    await hass.async_block_till_done()
    [entry] = hass.config_entries.async_entries("lutron_caseta")
    assert entry.state is ConfigEntryState.LOADED
    assert entry.unique_id == PROCESSOR.lower()  # LP11
    try:
        lights = entities(hass, entry, "light")
        covers = entities(hass, entry, "cover")
        switches = entities(hass, entry, "switch")
        buttons = entities(hass, entry, "button")
        sensors = entities(hass, entry, "binary_sensor")
        # LP24: the dimming module's four zones are lights; LP30: the shade a cover (its tilt sibling is a type
        # lutron_caseta skips); switched zones and the CCO switches; every keypad button and LED (LP34-LP41).
        assert len(lights) == 4
        chandelier = named(lights, "Chandelier")
        assert [name.split()[-1] for name in covers] == ["Shade"]
        for zone in ("Zone 1", "Zone 2", "Zone 3", "Zone 4", "CCO"):
            named(switches, f"Kitchen {zone}")
        dinner, dinner_led = named(buttons, "Dinner"), named(switches, "Dinner LED")
        assert len(buttons) == 4
        assert {name.split("Keypad ")[-1] for name in buttons} == {
            "Dinner",
            "Button 2",
            "Shade",
            "Button 1",
        }
        named(switches, "Shade LED")
        occupancy = named(sensors, "Kitchen Occupancy")
        assert get_state(hass, occupancy).state == "off"
        assert get_state(hass, dinner_led).state == "off"

        # LP38, LP39, LP42: a person's tap fires press then release; its scene lights the LED and the chandelier.
        presses: list[Event[Any]] = []

        @callback
        def heard(event: Event[Any]) -> None:
            """Record in the loop, in order: a plain listener would run in a worker thread."""
            presses.append(event)

        hass.bus.async_listen("lutron_caseta_button_event", heard)
        served.press(KITCHEN_KEYPAD, 1, Gesture.TAP)
        await until(lambda: len(presses) == 2)
        assert [e.data["action"] for e in presses] == ["press", "release"]
        assert presses[0].data["device_name"].startswith("Kitchen keypad")
        await until(lambda: get_state(hass, dinner_led).state == "on")
        await until(lambda: get_state(hass, chandelier).state == "on")
        assert get_state(hass, chandelier).attributes["brightness"] == 191  # 75 %

        # LP25, LP28: lutron_caseta dims; LP41: it turns an LED off; LP40: its button presses ours.
        await hass.services.async_call(
            "light", "turn_off", {"entity_id": chandelier}, blocking=True
        )
        await until(lambda: served.state(DIMMERS).zones[0].level == 0)
        await hass.services.async_call(
            "light",
            "turn_on",
            {"entity_id": chandelier, "brightness": 128},
            blocking=True,
        )
        await until(
            lambda: served.state(DIMMERS).zones[0].level == pytest.approx(50, abs=0.5)
        )
        await hass.services.async_call(
            "switch", "turn_off", {"entity_id": dinner_led}, blocking=True
        )
        await until(lambda: served.state(KITCHEN_KEYPAD).indicators[1] is LedState.OFF)
        await hass.services.async_call(
            "button", "press", {"entity_id": dinner}, blocking=True
        )
        await until(lambda: served.state(DIMMERS).zones[0].level == 75)
        await until(lambda: len(presses) == 4)

        # LP31: the shade opened from lutron_caseta; LP43, LP44: a person enters the kitchen.
        shade = next(iter(covers.values()))
        await hass.services.async_call(
            "cover", "open_cover", {"entity_id": shade}, blocking=True
        )
        await until(lambda: served.state(LIVING_SHADE).zones[0].level == 100)
        served.simulate(KITCHEN_SENSOR, Fault.OCCUPANCY, True)
        await until(lambda: get_state(hass, occupancy).state == "on")
    finally:
        assert await hass.config_entries.async_unload(entry.entry_id)
