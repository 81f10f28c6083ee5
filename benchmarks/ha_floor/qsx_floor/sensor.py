"""Floor sensors."""

from __future__ import annotations

from homeassistant.components.sensor import SensorEntity
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from . import FloorConfigEntry, FloorEntity, build_entities


class FloorSensor(FloorEntity, SensorEntity):
    """A sensor showing 0 until flipped."""

    _attr_native_value = 0

    def flip(self) -> None:
        """Change the value shown."""
        self._attr_native_value = 1 - int(self._attr_native_value or 0)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: FloorConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the sensors."""
    async_add_entities(build_entities(entry, "sensor", FloorSensor))
