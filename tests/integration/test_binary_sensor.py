"""Binary sensors: the manual override input, high temperature, QS link and the processor connection."""

from __future__ import annotations

import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    snapshot_platform,
)
from syrupy.assertion import SnapshotAssertion

from custom_components.homeworks_qsx.qsx.const import Fault
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er

from .conftest import GARAGE, HALL, KITCHEN, state_of

CCI = "binary_sensor.kitchen_panel_manual_override_input"
GARAGE_CCI = "binary_sensor.garage_panel_manual_override_input"
HALL_CCI = "binary_sensor.hall_panel_manual_override_input"
HOT = "binary_sensor.kitchen_panel_high_temperature"
LINK = "binary_sensor.kitchen_panel_qs_link"
CONNECTION = "binary_sensor.test_house_connection"


@pytest.fixture
def platforms() -> list[Platform]:
    """Only binary sensors."""
    return [Platform.BINARY_SENSOR]


async def test_snapshot(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    """Every binary sensor with its device class, category and state."""
    await snapshot_platform(hass, entity_registry, snapshot, init_integration.entry_id)
    entries = er.async_entries_for_config_entry(
        entity_registry, init_integration.entry_id
    )
    # per module: override input, high temperature, QS link; the connection
    assert len(entries) == 3 * 3 + 1


async def test_manual_override_input(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """On while the CCI is open; a CCI group opens together (C7)."""
    backend = init_integration.runtime_data.backend
    await backend.async_simulate(KITCHEN, Fault.CCI, True)
    assert state_of(hass, CCI) == "on"
    await backend.async_simulate(KITCHEN, Fault.CCI, False)
    assert state_of(hass, CCI) == "off"
    await backend.async_simulate(GARAGE, Fault.CCI, True)
    assert state_of(hass, GARAGE_CCI) == "on"
    assert state_of(hass, HALL_CCI) == "on"


async def test_temperature_and_link(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """High temperature from 65 °C (M12); the QS link follows the wiring."""
    backend = init_integration.runtime_data.backend
    await backend.async_simulate(KITCHEN, Fault.TEMPERATURE, 64.9)
    assert state_of(hass, HOT) == "off"
    await backend.async_simulate(KITCHEN, Fault.TEMPERATURE, 65.0)
    assert state_of(hass, HOT) == "on"
    await backend.async_simulate(KITCHEN, Fault.LINK, False)
    assert state_of(hass, LINK) == "off"
    assert state_of(hass, CONNECTION) == "on"
    await backend.async_simulate(HALL, Fault.LINK, False)
    assert state_of(hass, LINK) == "off"


async def test_connection_after_stop(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """The connection sensor stays available and reports the backend stopping."""
    await init_integration.runtime_data.backend.async_stop()
    await hass.async_block_till_done()
    assert state_of(hass, CONNECTION) == "off"
    assert state_of(hass, CCI) == "unavailable"
