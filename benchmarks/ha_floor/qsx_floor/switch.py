"""Floor switches."""

from __future__ import annotations

from typing import Any

from homeassistant.components.switch import SwitchEntity
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from . import FloorConfigEntry, FloorEntity, build_entities


class FloorSwitch(FloorEntity, SwitchEntity):
    """A switch that stays off until flipped."""

    _attr_is_on = False

    def flip(self) -> None:
        """Switch the state shown."""
        self._attr_is_on = not self._attr_is_on

    async def async_turn_on(self, **kwargs: Any) -> None:
        """Not used by the benchmarks."""

    async def async_turn_off(self, **kwargs: Any) -> None:
        """Not used by the benchmarks."""


async def async_setup_entry(
    hass: HomeAssistant,
    entry: FloorConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the switches."""
    async_add_entities(build_entities(entry, "switch", FloorSwitch))
