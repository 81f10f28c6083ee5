"""Floor event entities."""

from __future__ import annotations

from homeassistant.components.event import EventEntity
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from . import FloorConfigEntry, FloorEntity, build_entities


class FloorEvent(FloorEntity, EventEntity):
    """An event entity that never fires unless flipped."""

    _attr_event_types = ["press"]

    def flip(self) -> None:
        """Fire an event."""
        self._trigger_event("press")


async def async_setup_entry(
    hass: HomeAssistant,
    entry: FloorConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the event entities."""
    async_add_entities(build_entities(entry, "event", FloorEvent))
