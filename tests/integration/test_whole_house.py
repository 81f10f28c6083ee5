"""The whole house: entities only where device and backend both can, and devices the system does not know."""

from __future__ import annotations

from unittest.mock import patch

import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
)

from custom_components.homeworks_qsx import device_trigger
from custom_components.homeworks_qsx.const import DOMAIN, EVENT_KEYPAD_BUTTON
from custom_components.homeworks_qsx.qsx.emulator.backend import EmulatedBackend
from custom_components.homeworks_qsx.qsx.model import Capability
from homeassistant.components.device_automation import (
    DeviceAutomationType,
    async_get_device_automations,
)
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import device_registry as dr, entity_registry as er

from .conftest import async_set_up_whole_house, get_device, state_of
from .whole_house import KITCHEN_KEYPAD

# A backend that reports keypad LEDs, but neither levels, buttons, occupancy nor timeclocks.
LEDS_ONLY = frozenset(Capability) - {
    Capability.LEVELS,
    Capability.KEYPAD,
    Capability.OCCUPANCY,
    Capability.TIMECLOCK,
}
STALE = "DEADBEEF"


def _trigger(device_id: str) -> dict[str, str]:
    return {
        "platform": "device",
        "domain": DOMAIN,
        "device_id": device_id,
        "type": "press",
        "subtype": "button_1",
    }


async def test_entities_only_where_the_backend_can(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
) -> None:
    """Without levels, buttons, occupancy and timeclocks, only the keypads' LEDs of the new kinds are made."""
    with patch.object(EmulatedBackend, "capabilities", LEDS_ONLY):
        entry = await async_set_up_whole_house(hass)
        domains = {
            entity.entity_id.split(".", 1)[0]
            for entity in er.async_entries_for_config_entry(
                entity_registry, entry.entry_id
            )
        }
        assert "light" not in domains
        assert "cover" not in domains
        keypad = get_device(hass, entry.entry_id, KITCHEN_KEYPAD)
        keypad_entities = er.async_entries_for_device(entity_registry, keypad.id)
        assert sorted(entity.entity_id for entity in keypad_entities) == [
            "switch.kitchen_keypad_button_2_led",
            "switch.kitchen_keypad_dinner_led",
            "switch.kitchen_keypad_shade_led",
        ]
        assert entity_registry.async_get("switch.outdoor_timeclock_enabled") is None
        assert (
            entity_registry.async_get("binary_sensor.kitchen_sensor_occupancy") is None
        )
        # Buttons the backend cannot hear offer no triggers.
        triggers = await async_get_device_automations(
            hass, DeviceAutomationType.TRIGGER, [keypad.id]
        )
        assert [t for t in triggers[keypad.id] if t["domain"] == DOMAIN] == []


@pytest.mark.parametrize("platforms", [[Platform.LIGHT]])
async def test_no_bus_event_for_a_keypad_without_device(
    hass: HomeAssistant, whole_house: MockConfigEntry
) -> None:
    """A keypad Home Assistant has no device for (none of its entities set up) fires nothing on the bus."""
    fired = async_capture_events(hass, EVENT_KEYPAD_BUTTON)
    backend: EmulatedBackend | None = whole_house.runtime_data.emulated
    assert backend is not None
    await backend.async_press_keypad_button(KITCHEN_KEYPAD, 2)
    await hass.async_block_till_done()
    assert fired == []


async def test_device_the_system_does_not_know(
    hass: HomeAssistant,
    device_registry: dr.DeviceRegistry,
    whole_house: MockConfigEntry,
) -> None:
    """A device left in the registry for a serial the system lacks: no triggers, and actions say it is gone."""
    stale = device_registry.async_get_or_create(
        config_entry_id=whole_house.entry_id, identifiers={(DOMAIN, STALE)}
    )
    triggers = await async_get_device_automations(
        hass, DeviceAutomationType.TRIGGER, [stale.id]
    )
    assert [t for t in triggers[stale.id] if t["domain"] == DOMAIN] == []
    # Checked once the device is known again; an unknown device id likewise.
    for device_id in (stale.id, "no-such-device"):
        config = _trigger(device_id)
        assert (
            await device_trigger.async_validate_trigger_config(hass, config) == config
        )
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN,
            "press_keypad_button",
            {"device_id": stale.id, "button": 1},
            blocking=True,
        )
    assert err.value.translation_key == "unknown_module"


async def test_every_device_counts_on_its_link(
    hass: HomeAssistant, whole_house: MockConfigEntry
) -> None:
    """A link's devices and zones count dimmers, shades and keypads as modules count (P3)."""
    # Link 1: the kitchen panel (4 zones), the dimmers (4), two shades (1 each) and the kitchen keypad (none).
    assert state_of(hass, "sensor.whole_house_link_1_devices") == "5"
    assert state_of(hass, "sensor.whole_house_link_1_zones") == "10"
    assert state_of(hass, "sensor.whole_house_link_2_devices") == "0"
