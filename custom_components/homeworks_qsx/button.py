"""Buttons: pulses of momentary contact closure outputs (O2), and presses of keypad buttons (LP40).

A keypad button's button entity taps it as a person would: the processor runs the button's programming and
reports the press and release like any other (LP40).

A pulse is not a state, so a module's momentary CCO gets a button besides its switch: a press closes the contact
for the pulse time, and no area-wide `switch.turn_on` reaches it. Over LEAP a CCO's type is not reported (LP17), so
every module CCO a LEAP backend can pulse gets one; the CCO zones of an area group (LP16) cannot be pulsed and get
none. A CCO made maintained loses its button (the device's entities follow its description).
"""

from __future__ import annotations

from dataclasses import replace
from typing import override

from homeassistant.components.button import ButtonEntity, ButtonEntityDescription

from .entity import (
    HomeworksQsxDeviceEntity,
    HomeworksQsxKeypadButtonEntity,
    device_platform_setup,
    supported,
)
from .helpers import given_name, homeworks_qsx_exception_handler
from .qsx import (
    DEFAULT_CCO_NAME,
    Capability,
    CcoType,
    DeviceDescription,
    InputDescription,
)
from .runtime import HomeworksQsxRuntime

# A press waits for the module's report; the backend orders commands itself.
PARALLEL_UPDATES = 0

PULSE_DESCRIPTION = ButtonEntityDescription(
    key="cco_pulse", translation_key="cco_pulse"
)
# The CCO has a name of its own: "Pulse {name}".
NAMED_PULSE_DESCRIPTION = ButtonEntityDescription(
    key="cco_pulse", translation_key="cco_pulse_named"
)


def pulses(
    backend_capabilities: frozenset[Capability], device: DeviceDescription
) -> bool:
    """Whether the device's own CCO gets a pulse button: it can be pulsed, and it is momentary or of unknown type."""
    cco = device.own_cco
    return (
        cco is not None
        and Capability.CCO_PULSE in backend_capabilities
        and (
            Capability.CCO_TYPE not in backend_capabilities
            or cco.cco_type is CcoType.MOMENTARY
        )
    )


def keypad_button_description(button: InputDescription) -> ButtonEntityDescription:
    """Describe the button entity that presses one keypad button ("Button 2", unless engraved or named)."""
    return ButtonEntityDescription(
        key=f"button_{button.number}",
        translation_key="keypad_button",
        translation_placeholders={"number": str(button.number)},
    )


def _pulse_entities(
    runtime: HomeworksQsxRuntime, device: DeviceDescription
) -> list[ButtonEntity]:
    if not pulses(runtime.backend.capabilities, device):
        return []
    name = given_name(device.cco.name, DEFAULT_CCO_NAME)
    description = (
        PULSE_DESCRIPTION
        if name is None
        else replace(NAMED_PULSE_DESCRIPTION, translation_placeholders={"name": name})
    )
    return [HomeworksQsxPulseButton(runtime, device, description)]


def _entities(
    runtime: HomeworksQsxRuntime, device: DeviceDescription
) -> list[ButtonEntity]:
    entities = _pulse_entities(runtime, device)
    if supported(runtime, device, Capability.KEYPAD):
        entities.extend(
            HomeworksQsxKeypadButton(
                runtime, device, button, keypad_button_description(button)
            )
            for button in device.buttons
        )
    return entities


async_setup_entry = device_platform_setup(_entities)


class HomeworksQsxPulseButton(HomeworksQsxDeviceEntity, ButtonEntity):
    """Pulses a module's CCO: it closes for the pulse time, then opens by itself."""

    @homeworks_qsx_exception_handler
    @override
    async def async_press(self, /) -> None:
        """Pulse the CCO for its pulse time."""
        await self.runtime.backend.async_pulse_cco(self.serial)


class HomeworksQsxKeypadButton(HomeworksQsxKeypadButtonEntity, ButtonEntity):
    """Taps one keypad button: its programming runs, as for a person's tap."""

    @homeworks_qsx_exception_handler
    @override
    async def async_press(self, /) -> None:
        """Tap the button."""
        await self.runtime.backend.async_press_keypad_button(self.serial, self.number)
