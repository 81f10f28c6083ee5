"""Occupancy sensors: their room's occupancy as a binary sensor (LP43, LP44), and a person entering or leaving."""

from __future__ import annotations

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.homeworks_qsx.const import DOMAIN
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError

from .conftest import get_device, get_state, state_of
from .whole_house import KITCHEN_SENSOR, PANEL, SENSOR_MODEL

OCCUPANCY = "binary_sensor.kitchen_sensor_occupancy"


@pytest.fixture
def platforms() -> list[Platform]:
    """Only binary sensors."""
    return [Platform.BINARY_SENSOR]


async def _set_occupancy(
    hass: HomeAssistant, entry: MockConfigEntry, serial: str, occupied: bool
) -> None:
    await hass.services.async_call(
        DOMAIN,
        "set_occupancy",
        {
            "device_id": get_device(hass, entry.entry_id, serial).id,
            "occupied": occupied,
        },
        blocking=True,
    )
    await hass.async_block_till_done()


async def test_occupancy_follows_a_person_lp44(
    hass: HomeAssistant, whole_house: MockConfigEntry
) -> None:
    """A person entering the kitchen makes it occupied, leaving it unoccupied (LP44)."""
    state = get_state(hass, OCCUPANCY)
    assert state.state == "off"
    assert state.attributes["device_class"] == "occupancy"
    device = get_device(hass, whole_house.entry_id, KITCHEN_SENSOR)
    assert device.model_id == SENSOR_MODEL
    assert device.model == "Occupancy sensor"
    assert device.suggested_area == "Kitchen"
    await _set_occupancy(hass, whole_house, KITCHEN_SENSOR, True)
    assert state_of(hass, OCCUPANCY) == "on"
    await _set_occupancy(hass, whole_house, KITCHEN_SENSOR, False)
    assert state_of(hass, OCCUPANCY) == "off"


async def test_occupancy_only_for_sensors(
    hass: HomeAssistant, whole_house: MockConfigEntry
) -> None:
    """A device without occupancy cannot be given a person."""
    with pytest.raises(ServiceValidationError) as err:
        await _set_occupancy(hass, whole_house, PANEL, True)
    assert err.value.translation_key == "not_for_this_device"
    assert "Kitchen panel" in str(err.value)
