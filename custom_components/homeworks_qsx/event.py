"""Button presses at HomeWorks QSX switching modules (M8), as event entities."""

from __future__ import annotations

from functools import partial
from typing import override

from homeassistant.components.event import (
    EventDeviceClass,
    EventEntity,
    EventEntityDescription,
)
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .entity import HomeworksQsxDeviceEntity
from .qsx import Button, Capability, DeviceDescription, Event, EventKind
from .runtime import HomeworksQsxConfigEntry, HomeworksQsxRuntime

# Read-only: presses are pushed by the backend.
PARALLEL_UPDATES = 0

EVENT_TYPES: dict[Button, str] = {
    Button.ZONE_1: "zone_1",
    Button.ZONE_2: "zone_2",
    Button.ZONE_3: "zone_3",
    Button.ZONE_4: "zone_4",
    Button.PROG: "prog",
}

BUTTON_DESCRIPTION = EventEntityDescription(
    key="button",
    translation_key="button",
    device_class=EventDeviceClass.BUTTON,
    event_types=list(EVENT_TYPES.values()),
)


def _entities(
    runtime: HomeworksQsxRuntime, device: DeviceDescription
) -> list[EventEntity]:
    if (
        Capability.BUTTONS not in runtime.backend.capabilities
        or Capability.BUTTONS not in device.capabilities
    ):
        return []
    return [HomeworksQsxButtonEvent(runtime, device, BUTTON_DESCRIPTION)]


async def async_setup_entry(
    hass: HomeAssistant,
    entry: HomeworksQsxConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up the button event entity of every device."""
    runtime = entry.runtime_data
    runtime.async_add_device_entities(async_add_entities, partial(_entities, runtime))


class HomeworksQsxButtonEvent(HomeworksQsxDeviceEntity, EventEntity):
    """A press of one of the device's local buttons: a zone button or Prog."""

    @callback
    @override
    def _handle_event(self, event: Event) -> None:
        if event.kind is EventKind.BUTTON and event.zone is not None:
            self._trigger_event(EVENT_TYPES[Button(event.zone)])
            self.async_write_ha_state()
            return
        super()._handle_event(event)
