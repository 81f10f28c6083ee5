"""Home Assistant's own floor, for benchmarks only (never shipped): devices and entities with constant states.

A config entry's data says how many modules to create and, per platform, how many entities each module and the
processor get (enabled and disabled by default), so the floor matches the integration it is compared with.
Every entity is pushed (no polling) and shows a constant state; `set_all` changes the state of many entities at
once, the floor of a burst of changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity import Entity

DOMAIN = "qsx_floor"
PLATFORMS = [
    Platform.BINARY_SENSOR,
    Platform.BUTTON,
    Platform.EVENT,
    Platform.SENSOR,
    Platform.SWITCH,
]
PROCESSOR = "processor"


@dataclass
class FloorData:
    """What a loaded floor entry keeps: its layout and its entities."""

    modules: int
    layout: dict[str, dict[str, int]]
    processor_device_id: str
    entities: list[FloorEntity] = field(default_factory=list)


type FloorConfigEntry = ConfigEntry[FloorData]


class FloorEntity(Entity):
    """A pushed entity with a constant state, on a module's device or on the processor's."""

    _attr_has_entity_name = True
    _attr_should_poll = False

    def __init__(
        self, data: FloorData, entry_id: str, device: str, index: int, enabled: bool
    ) -> None:
        """Name the entity after its index on its device."""
        self._attr_unique_id = f"{entry_id}_{device}_{type(self).__name__}_{index}"
        self._attr_name = f"{type(self).__name__} {index}"
        self._attr_entity_registry_enabled_default = enabled
        self._attr_device_info = (
            DeviceInfo(identifiers={(DOMAIN, f"{entry_id}_{device}")})
            if device == PROCESSOR
            else DeviceInfo(
                identifiers={(DOMAIN, f"{entry_id}_{device}")},
                manufacturer="Floor",
                model="Module",
                name=f"Module {device}",
                serial_number=device,
                via_device_id=data.processor_device_id,
            )
        )

    def flip(self) -> None:
        """Change the state shown (a burst)."""


def build_entities[E: FloorEntity](
    entry: FloorConfigEntry, platform: str, kind: type[E]
) -> list[E]:
    """Create the entities of one platform for every module and for the processor."""
    data = entry.runtime_data
    counts = data.layout.get(platform, {})
    entities: list[E] = []
    for device, enabled_key, disabled_key in (
        (PROCESSOR, "processor", "processor_disabled"),
        *(
            (f"{number:04d}", "module", "module_disabled")
            for number in range(data.modules)
        ),
    ):
        enabled, disabled = counts.get(enabled_key, 0), counts.get(disabled_key, 0)
        entities.extend(
            kind(data, entry.entry_id, device, index, index < enabled)
            for index in range(enabled + disabled)
        )
    data.entities.extend(entities)
    return entities


async def async_setup_entry(hass: HomeAssistant, entry: FloorConfigEntry) -> bool:
    """Register the processor device, then the platforms."""
    layout: dict[str, dict[str, int]] = entry.data["layout"]
    processor = dr.async_get(hass).async_get_or_create(
        config_entry_id=entry.entry_id,
        identifiers={(DOMAIN, f"{entry.entry_id}_{PROCESSOR}")},
        manufacturer="Floor",
        model="Processor",
        name=entry.title,
    )
    entry.runtime_data = FloorData(int(entry.data["modules"]), layout, processor.id)
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    return True


async def async_unload_entry(hass: HomeAssistant, entry: FloorConfigEntry) -> bool:
    """Unload the platforms."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


def set_all(entities: list[Any]) -> None:
    """Change and write the state of every entity given (the floor of a burst)."""
    for entity in entities:
        entity.flip()
        entity.async_write_ha_state()
