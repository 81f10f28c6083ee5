"""A maximal system: HQP7-2 with two QS links of 99 modules each (P3)."""

from __future__ import annotations

from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.homeworks_qsx.const import DOMAIN
from custom_components.homeworks_qsx.qsx.emulator.description import (
    default_processor_serial,
)
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import EVENT_STATE_CHANGED
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.helpers import device_registry as dr

from .conftest import counted_data, state_of


async def test_maximal_system(
    hass: HomeAssistant, device_registry: dr.DeviceRegistry
) -> None:
    """198 modules set up, and a change writes only the states that changed."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Tower",
        data=counted_data(name="Tower", modules_per_link=[99, 99]),
        unique_id=default_processor_serial("Tower"),
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert (
        len(dr.async_entries_for_config_entry(device_registry, entry.entry_id)) == 199
    )
    assert state_of(hass, "sensor.tower_link_1_devices") == "99"
    assert state_of(hass, "sensor.tower_link_2_zones") == "396"

    changed: list[str] = []

    @callback
    def _record(event: Event[EventStateChangedData]) -> None:
        changed.append(event.data["entity_id"])

    unsubscribe = hass.bus.async_listen(EVENT_STATE_CHANGED, _record)
    await hass.services.async_call(
        "switch",
        "turn_on",
        {"entity_id": "switch.module_2_99_zone_3"},
        blocking=True,
    )
    await hass.async_block_till_done()
    unsubscribe()
    assert sorted(changed) == ["switch.module_2_99_zone_3"]
