"""Floor buttons."""

from __future__ import annotations

from homeassistant.components.button import ButtonEntity
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from . import FloorConfigEntry, FloorEntity, build_entities


class FloorButton(FloorEntity, ButtonEntity):
    """A button whose press does nothing (a burst never changes a button)."""

    async def async_press(self) -> None:
        """Not used by the benchmarks."""


async def async_setup_entry(
    hass: HomeAssistant,
    entry: FloorConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the buttons."""
    async_add_entities(build_entities(entry, "button", FloorButton))
