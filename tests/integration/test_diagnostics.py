"""Diagnostics download: the system, its state and the connection, with credentials and host redacted."""

from __future__ import annotations

import socket
from typing import Any

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
    get_diagnostics_for_device,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion

from custom_components.homeworks_qsx.const import (
    CONF_HTTP_PORT,
    CONF_LIP_PORT,
    CONF_SERVE,
    DOMAIN,
)
from custom_components.homeworks_qsx.qsx.const import Fault
from homeassistant.const import CONF_HOST, CONF_PASSWORD, CONF_USERNAME
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.setup import async_setup_component

from .conftest import KITCHEN, PROCESSOR, emulated_data, get_device
from .whole_house import (
    DIMMERS,
    HOMEOWNER_KEYPAD,
    KITCHEN_KEYPAD,
    KITCHEN_SENSOR,
    LIVING_SHADE,
    STUDY_BLIND,
    TIMECLOCK,
)


async def test_diagnostics(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    init_integration: MockConfigEntry,
    snapshot: SnapshotAssertion,
) -> None:
    """The system model and every module's state."""
    await init_integration.runtime_data.backend.async_simulate(KITCHEN, Fault.CCI, True)
    assert await async_setup_component(hass, "diagnostics", {})
    diagnostics: dict[str, Any] = await get_diagnostics_for_config_entry(
        hass, hass_client, init_integration
    )
    assert diagnostics == snapshot


async def test_diagnostics_redacts_credentials(
    socket_enabled: None,
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
) -> None:
    """Host, user name and password of a served system do not appear."""
    ports = []
    for _ in range(2):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            ports.append(sock.getsockname()[1])
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id=PROCESSOR,
        data=emulated_data(
            **{
                CONF_SERVE: True,
                CONF_HOST: "127.0.0.1",
                CONF_LIP_PORT: ports[0],
                CONF_HTTP_PORT: ports[1],
                CONF_USERNAME: "installer-7",
                CONF_PASSWORD: "s3cret-pass",
            }
        ),
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert await async_setup_component(hass, "diagnostics", {})
    diagnostics: dict[str, Any] = await get_diagnostics_for_config_entry(
        hass, hass_client, entry
    )
    text = str(diagnostics)
    assert "s3cret-pass" not in text
    assert "installer-7" not in text
    assert "127.0.0.1" not in text
    assert diagnostics["servers"][PROCESSOR]["lip"]["listening"] is True
    assert diagnostics["servers"][PROCESSOR]["leap"] is None
    assert diagnostics["entry"]["data"][CONF_PASSWORD] == "**REDACTED**"


async def test_device_diagnostics(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    init_integration: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    """A module's page downloads that module; the processor's the connection and the system without its modules."""
    await init_integration.runtime_data.backend.async_simulate(KITCHEN, Fault.CCI, True)
    assert await async_setup_component(hass, "diagnostics", {})
    module: dict[str, Any] = await get_diagnostics_for_device(
        hass,
        hass_client,
        init_integration,
        get_device(hass, init_integration.entry_id, KITCHEN),
    )
    assert module == snapshot(name="module")
    assert module["module"]["serial"] == KITCHEN
    assert module["state"]["cci_open"] is True
    processor: dict[str, Any] = await get_diagnostics_for_device(
        hass,
        hass_client,
        init_integration,
        get_device(hass, init_integration.entry_id, PROCESSOR),
    )
    assert processor == snapshot(name="processor")
    assert "modules" not in processor["system"]
    assert processor["modules"] == 3

    # A device the system does not have (any more) says so.
    stale = device_registry.async_get_or_create(
        config_entry_id=init_integration.entry_id, identifiers={(DOMAIN, "DEADBEEF")}
    )
    assert await get_diagnostics_for_device(
        hass, hass_client, init_integration, stale
    ) == {"in_system": False}


@pytest.mark.parametrize(
    "serial",
    [DIMMERS, STUDY_BLIND, KITCHEN_KEYPAD, KITCHEN_SENSOR, TIMECLOCK],
)
async def test_device_diagnostics_of_every_kind(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    whole_house: MockConfigEntry,
    snapshot: SnapshotAssertion,
    serial: str,
) -> None:
    """A dimmer's, a shade's, a keypad's, a sensor's and a timeclock's download: its description and its state."""
    assert await async_setup_component(hass, "diagnostics", {})
    device = get_device(hass, whole_house.entry_id, serial)
    diagnostics: dict[str, Any] = await get_diagnostics_for_device(
        hass, hass_client, whole_house, device
    )
    assert diagnostics == snapshot
    assert diagnostics["connected"] is True


async def test_whole_house_diagnostics_lists_every_device(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    whole_house: MockConfigEntry,
) -> None:
    """The entry's download holds every device that is neither a module nor an area, with its state."""
    assert await async_setup_component(hass, "diagnostics", {})
    diagnostics: dict[str, Any] = await get_diagnostics_for_config_entry(
        hass, hass_client, whole_house
    )
    devices = diagnostics["devices"]
    assert set(devices) == {
        DIMMERS,
        LIVING_SHADE,
        STUDY_BLIND,
        KITCHEN_KEYPAD,
        HOMEOWNER_KEYPAD,
        KITCHEN_SENSOR,
        TIMECLOCK,
    }
    keypad = devices[KITCHEN_KEYPAD]
    assert keypad["device"]["inputs"][0]["engraving"] == "Dinner"
    assert keypad["device"]["inputs"][0]["programming"]["model"] == (
        "SingleActionProgrammingModel"
    )
    assert keypad["state"]["indicators"] == {"1": "off", "2": "off", "4": "off"}
    assert devices[HOMEOWNER_KEYPAD]["device"]["serial_number"] is None
