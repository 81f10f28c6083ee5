"""Home Assistant's core `lutron_caseta` against the emulator's LEAP server serving the whole house.

The integration connects to port 8081 (LP1) of its host, so the server listens on a loopback address of its own.
Its certificate files are issued by the emulator's CA (LP21). What it shows is counted from the description: every
dimmed zone a light, every `Shade` zone a cover (it skips `ShadeWithTilt`, LP33), switched and CCO zones and keypad
LEDs switches, each keypad button a button, each room with a sensor an occupancy sensor; a press on the emulator is
its `lutron_caseta_button_event`, and a light set in Home Assistant sets the dimmer.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncGenerator
from pathlib import Path
from typing import Any

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
import pytest_socket

from custom_components.homeworks_qsx.qsx.const import Fault, Gesture
from custom_components.homeworks_qsx.qsx.emulator import Emulator
from custom_components.homeworks_qsx.qsx.emulator.leap.certs import LeapCredentials
from custom_components.homeworks_qsx.qsx.emulator.leap.server import LeapServer
from custom_components.homeworks_qsx.qsx.model import ControlType, DeviceKind
from homeassistant.const import ATTR_ENTITY_ID, STATE_ON, STATE_UNAVAILABLE
from homeassistant.core import Event, HomeAssistant, callback
from tests.qsx.house import DIMMER, KEYPAD, SCENE, SENSOR_3
from tests.qsx.serving import wait_for

from .keypads import whole_house

# A loopback address of its own: lutron_caseta always dials 8081.
HOST = "127.0.0.23"


@pytest.fixture
async def served(
    socket_enabled: None, credentials: LeapCredentials
) -> AsyncGenerator[tuple[Emulator, LeapServer]]:
    """Return the whole house served on HOST:8081 (and let the test connect there)."""
    pytest_socket.socket_allow_hosts([HOST, "127.0.0.1"])
    emulator = Emulator(whole_house())
    server = LeapServer(emulator, credentials, HOST, 8081)
    await server.start()
    yield emulator, server
    await server.stop()
    emulator.close()
    pytest_socket.socket_allow_hosts(["127.0.0.1"])


@pytest.fixture
async def entry(
    hass: HomeAssistant,
    served: tuple[Emulator, LeapServer],
    credentials: LeapCredentials,
    tmp_path: Path,
) -> AsyncGenerator[MockConfigEntry]:
    """Return lutron_caseta's config entry, set up with certificate files the emulator's CA issued."""
    key, cert = credentials.issue_client("lutron_caseta")
    files = {
        "keyfile": tmp_path / "lutron_caseta-key.pem",
        "certfile": tmp_path / "lutron_caseta-cert.pem",
        "ca_certs": tmp_path / "lutron_caseta-ca.pem",
    }
    for path, text in zip(
        files.values(), (key, cert, credentials.ca_cert_pem), strict=True
    ):
        path.write_text(text)
    entry = MockConfigEntry(
        domain="lutron_caseta",
        data={"host": HOST, **{name: str(path) for name, path in files.items()}},
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    yield entry
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()


def entities(hass: HomeAssistant, domain: str) -> list[Any]:
    """Return the states of a domain's entities lutron_caseta made."""
    return [
        state
        for state in hass.states.async_all(domain)
        if state.state != STATE_UNAVAILABLE
    ]


async def test_lp24_lp30_lp35_lp44_home_assistant_shows_the_whole_house(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    served: tuple[Emulator, LeapServer],
) -> None:
    """LP24, LP30, LP35–LP37, LP44: lights, covers, switches, keypad buttons and occupancy, as many as described."""
    description = served[0].description
    kinds = Counter(
        output.control_type
        for device in description.devices
        for output in device.outputs
    )
    keypads = [d for d in description.devices if d.kind is DeviceKind.KEYPAD]
    leds = sum(len(keypad.indicators) for keypad in keypads)
    # LP11: the entry's unique id is made from the processor's integer serial (as 8 hexadecimal digits).
    assert entry.unique_id == description.processor.serial.lower()
    assert len(entities(hass, "light")) == kinds[ControlType.DIMMED] > 0
    assert len(entities(hass, "cover")) == kinds[ControlType.SHADE] > 0
    assert len(entities(hass, "switch")) == (
        kinds[ControlType.SWITCHED] + kinds[ControlType.CCO] + leds
    )
    assert len(entities(hass, "button")) == sum(len(k.buttons) for k in keypads)
    rooms = {
        d.area for d in description.devices if d.kind is DeviceKind.OCCUPANCY_SENSOR
    }
    occupancy = entities(hass, "binary_sensor")
    assert len(occupancy) == len(rooms) > 0
    assert {state.state for state in occupancy} == {"off"}


async def test_lp25_lp38_a_light_set_and_a_press_heard(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    served: tuple[Emulator, LeapServer],
) -> None:
    """LP25, LP28: light.turn_on sets the dimmer; LP38: a press on the emulator is a lutron_caseta_button_event."""
    emulator = served[0]
    lights = sorted(state.entity_id for state in entities(hass, "light"))
    await hass.services.async_call(
        "light",
        "turn_on",
        {ATTR_ENTITY_ID: lights[0], "brightness": 128},
        blocking=True,
    )
    levels = [zone.level for zone in emulator.state(DIMMER).zones]
    assert round(128 * 100 / 255) in levels
    await wait_for(
        lambda: getattr(hass.states.get(lights[0]), "state", None) == STATE_ON
    )
    heard: list[Event] = []

    @callback
    def hear(
        event: Event,
    ) -> None:  # in the loop, in order (a plain function would run in a thread)
        heard.append(event)

    hass.bus.async_listen("lutron_caseta_button_event", hear)
    emulator.press(KEYPAD, SCENE, Gesture.TAP)
    await wait_for(lambda: len(heard) >= 2)
    assert [event.data["action"] for event in heard] == ["press", "release"]
    assert heard[0].data["serial"] == int(KEYPAD, 16)
    emulator.simulate(SENSOR_3, Fault.OCCUPANCY, True)
    await wait_for(
        lambda: any(
            state.state == STATE_ON for state in entities(hass, "binary_sensor")
        )
    )
