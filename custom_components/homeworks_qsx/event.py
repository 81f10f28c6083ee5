"""Button presses as event entities: at switching modules (M8), and at keypads, one entity per button (LP38).

A keypad button reports press, release, long press and multi-tap, as the processor sends them (a QSX may send
only some of them for a button, LP38).
"""

from __future__ import annotations

from typing import override

from homeassistant.components.event import (
    EventDeviceClass,
    EventEntity,
    EventEntityDescription,
)
from homeassistant.core import callback

from .entity import (
    HomeworksQsxDeviceEntity,
    HomeworksQsxKeypadButtonEntity,
    device_platform_setup,
    supported,
)
from .qsx import (
    Button,
    ButtonAction,
    Capability,
    DeviceDescription,
    Event,
    EventKind,
    InputDescription,
)
from .runtime import HomeworksQsxRuntime

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


KEYPAD_EVENT_TYPES: list[str] = [action.value for action in ButtonAction]


def keypad_button_description(button: InputDescription) -> EventEntityDescription:
    """Describe the event entity of one keypad button ("Button 2", unless engraved or named)."""
    return EventEntityDescription(
        key=f"button_{button.number}",
        translation_key="keypad_button",
        translation_placeholders={"number": str(button.number)},
        device_class=EventDeviceClass.BUTTON,
        event_types=KEYPAD_EVENT_TYPES,
    )


def _entities(
    runtime: HomeworksQsxRuntime, device: DeviceDescription
) -> list[EventEntity]:
    entities: list[EventEntity] = []
    if supported(runtime, device, Capability.BUTTONS):
        entities.append(HomeworksQsxButtonEvent(runtime, device, BUTTON_DESCRIPTION))
    if supported(runtime, device, Capability.KEYPAD):
        entities.extend(
            HomeworksQsxKeypadButtonEvent(
                runtime, device, button, keypad_button_description(button)
            )
            for button in device.buttons
        )
    return entities


async_setup_entry = device_platform_setup(_entities)


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


class HomeworksQsxKeypadButtonEvent(HomeworksQsxKeypadButtonEntity, EventEntity):
    """What one keypad button reports: press, release, long press, multi-tap."""

    @callback
    @override
    def _handle_event(self, event: Event) -> None:
        if event.kind is EventKind.BUTTON:
            if event.zone == self.number and isinstance(event.value, ButtonAction):
                self._trigger_event(event.value.value)
                self.async_write_ha_state()
            return
        super()._handle_event(event)
