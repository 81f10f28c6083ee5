"""Floor binary sensors."""

from __future__ import annotations

from homeassistant.components.binary_sensor import BinarySensorEntity
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from . import FloorConfigEntry, FloorEntity, build_entities


class FloorBinarySensor(FloorEntity, BinarySensorEntity):
    """A binary sensor that stays off until flipped."""

    _attr_is_on = False

    def flip(self) -> None:
        """Switch the state shown."""
        self._attr_is_on = not self._attr_is_on


async def async_setup_entry(
    hass: HomeAssistant,
    entry: FloorConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the binary sensors."""
    async_add_entities(build_entities(entry, "binary_sensor", FloorBinarySensor))
