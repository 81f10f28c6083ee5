"""Sensors: operating mode, relay operations, load current, temperature and link usage."""

from __future__ import annotations

import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    snapshot_platform,
)
from syrupy.assertion import SnapshotAssertion

from custom_components.homeworks_qsx.qsx.const import Fault
from custom_components.homeworks_qsx.sensor import LINK_DESCRIPTIONS, link_descriptions
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er

from .conftest import KITCHEN, get_state, state_of

MODE = "sensor.kitchen_panel_operating_mode"
CURRENT = "sensor.kitchen_panel_load_current"
RELAY_1 = "sensor.kitchen_panel_island_relay_operations"
TEMPERATURE = "sensor.kitchen_panel_temperature"
ISLAND = "switch.kitchen_panel_island"


@pytest.fixture
def platforms() -> list[Platform]:
    """Sensors, and switches to act with."""
    return [Platform.SENSOR]


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_snapshot(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    """Every sensor with its device class, unit, category and state."""
    await snapshot_platform(hass, entity_registry, snapshot, init_integration.entry_id)
    entries = er.async_entries_for_config_entry(
        entity_registry, init_integration.entry_id
    )
    # per module: mode, four relay counts, load current, temperature; per link: devices, zones; power and
    # energy of the kitchen (3 zones with a load) and the garage (1), and the system's total power
    assert len(entries) == 3 * 7 + 2 * 2 + (2 + 3 * 2) + (2 + 1 * 2) + 1


async def test_relay_operations_disabled_by_default(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    entity_registry: er.EntityRegistry,
) -> None:
    """Relay operation counts are noisy diagnostics: disabled until the user enables them."""
    entry = entity_registry.async_get(RELAY_1)
    assert entry is not None
    assert entry.disabled_by is er.RegistryEntryDisabler.INTEGRATION
    assert hass.states.get(RELAY_1) is None


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_values_follow_the_module(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Mode, current, relay count and temperature follow the module."""
    backend = init_integration.runtime_data.backend
    await backend.async_set_zone(KITCHEN, 1, True)
    assert state_of(hass, CURRENT) == "5.0"
    assert state_of(hass, RELAY_1) == "1"
    await backend.async_simulate(KITCHEN, Fault.CCI, True)
    assert state_of(hass, MODE) == "manual_override"
    # Override switches every zone on (C2): 5 + 2 + 1 + 0 A.
    assert state_of(hass, CURRENT) == "8.0"
    await backend.async_simulate(KITCHEN, Fault.POWER, False)
    assert state_of(hass, MODE) == "no_power"
    assert state_of(hass, CURRENT) == "0.0"
    await backend.async_simulate(KITCHEN, Fault.POWER, True)
    await backend.async_simulate(KITCHEN, Fault.CCI, False)
    await backend.async_simulate(KITCHEN, Fault.PROGRAM, True)
    assert state_of(hass, MODE) == "program"
    await backend.async_simulate(KITCHEN, Fault.TEMPERATURE, 70.25)
    assert state_of(hass, TEMPERATURE) == "70.25"


async def test_state_written_only_on_change(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """An event that does not change what a sensor shows does not write its state again."""
    backend = init_integration.runtime_data.backend
    before = get_state(hass, TEMPERATURE)
    await backend.async_simulate(KITCHEN, Fault.PROGRAM, True)
    assert state_of(hass, MODE) == "program"
    assert get_state(hass, TEMPERATURE).last_reported == before.last_reported
    assert get_state(hass, TEMPERATURE).context == before.context


async def test_zero_current_keeps_its_text(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """0 A reads the same with every zone off, with a 0 A zone on, and after a reload: no change without one."""
    assert state_of(hass, CURRENT) == "0.0"
    before = get_state(hass, CURRENT)
    backend = init_integration.runtime_data.backend
    await backend.async_set_zone(KITCHEN, 4, True)  # zone 4 draws 0 A
    await hass.async_block_till_done()
    assert get_state(hass, CURRENT).state == "0.0"
    assert get_state(hass, CURRENT).last_changed == before.last_changed
    assert await hass.config_entries.async_reload(init_integration.entry_id)
    await hass.async_block_till_done()
    assert get_state(hass, CURRENT).state == "0.0"


def test_link_descriptions_of_any_link() -> None:
    """Links a processor model can have share descriptions made once; a live database may number links freely."""
    assert link_descriptions(2) is LINK_DESCRIPTIONS[2]
    assert [description.key for description in link_descriptions(7)] == [
        "link_7_devices",
        "link_7_zones",
    ]
    assert link_descriptions(7)[0].translation_placeholders == {"link": "7"}
