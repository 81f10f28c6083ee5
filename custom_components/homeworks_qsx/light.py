"""Lights of the dimmed outputs of HomeWorks QSX devices: brightness and transition (LP24–LP28).

One light per dimmed output, of a dimming module or of an area (LEAP, LP16). Brightness 0–255 maps to the
processor's level 0–100 as Home Assistant's `lutron_caseta` maps it (LP28), except that a brightness above 0 is
never sent as level 0; a transition is the processor's fade, in seconds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final, override

from homeassistant.components.light import (
    ATTR_BRIGHTNESS,
    ATTR_TRANSITION,
    ColorMode,
    LightEntity,
    LightEntityDescription,
    LightEntityFeature,
)

from .entity import HomeworksQsxOutputEntity, device_platform_setup, supported
from .helpers import given_name, homeworks_qsx_exception_handler
from .qsx import (
    Capability,
    ControlType,
    DeviceDescription,
    DeviceState,
    OutputDescription,
    default_zone_name,
)
from .runtime import HomeworksQsxRuntime

# Commands wait for the processor's report; the backend orders them itself.
PARALLEL_UPDATES = 0

FULL_LEVEL: Final = 100.0


def brightness_to_level(brightness: int) -> float:
    """Return the level (0..100) of a brightness (0..255): lutron_caseta's rounding, but never 0 for a light on."""
    level = round(brightness * 100 / 255)
    return float(max(level, 1) if brightness > 0 else 0)


def level_to_brightness(level: float) -> int:
    """Return the brightness (0..255) of a level (0..100), as lutron_caseta reads it (LP28)."""
    return int(level * 255 // 100)


@dataclass(frozen=True, kw_only=True)
class HomeworksQsxLightEntityDescription(LightEntityDescription):
    """Describes the light of a dimmed output; `key` is the output's stable key on its device."""

    level_fn: Callable[[DeviceState, int], float] = lambda state, number: (
        state.output_level(number)
    )


def light_description(
    device: DeviceDescription, output: OutputDescription
) -> HomeworksQsxLightEntityDescription:
    """Describe the light of one output: a device's numbered output translates as "Zone n", a listed one by its name."""
    key = device.output_key(output)
    if device.numbered_outputs:
        return HomeworksQsxLightEntityDescription(
            key=key,
            translation_key="zone",
            translation_placeholders={"number": str(output.number)},
        )
    return HomeworksQsxLightEntityDescription(key=key, translation_key="group_zone")


def _entities(
    runtime: HomeworksQsxRuntime, device: DeviceDescription
) -> list[LightEntity]:
    if not supported(runtime, device, Capability.LEVELS):
        return []
    return [
        HomeworksQsxLight(runtime, device, output, light_description(device, output))
        for output in device.outputs
        if output.control_type is ControlType.DIMMED
    ]


async_setup_entry = device_platform_setup(_entities)


class HomeworksQsxLight(HomeworksQsxOutputEntity, LightEntity):
    """A dimmed output: on at a brightness, with fades."""

    entity_description: HomeworksQsxLightEntityDescription
    _attr_color_mode = ColorMode.BRIGHTNESS
    _attr_supported_color_modes = {ColorMode.BRIGHTNESS}
    _attr_supported_features = LightEntityFeature.TRANSITION

    def __init__(
        self,
        runtime: HomeworksQsxRuntime,
        device: DeviceDescription,
        output: OutputDescription,
        description: HomeworksQsxLightEntityDescription,
    ) -> None:
        """Attach the light to `output` of `device`; a name the description gives replaces the translated one."""
        super().__init__(runtime, device, output, description)
        name = (
            given_name(output.name, default_zone_name(output.number))
            if device.numbered_outputs
            else output.name
        )
        if name is not None:
            self._attr_name = name

    @property
    def _level(self) -> float:
        return self.entity_description.level_fn(self.device_state, self.output_number)

    @property
    @override
    def is_on(self) -> bool:
        """Whether the light is on (its level above 0)."""
        return self._level > 0

    @property
    @override
    def brightness(self) -> int:
        """The brightness (0..255) of the level."""
        return level_to_brightness(self._level)

    @override
    def _value(self) -> Any:
        return self._level

    async def _async_set_level(self, level: float, kwargs: dict[str, Any]) -> None:
        transition: float | None = kwargs.get(ATTR_TRANSITION)
        device, output = self._output()
        await self.runtime.backend.async_set_level(
            device.serial,
            output.number,
            level,
            fade_seconds=None if transition is None else float(transition),
        )

    @homeworks_qsx_exception_handler
    @override
    async def async_turn_on(self, /, **kwargs: Any) -> None:
        """Go to the brightness asked (full when none), over the transition asked (the processor's fade if none)."""
        brightness: int | None = kwargs.get(ATTR_BRIGHTNESS)
        level = FULL_LEVEL if brightness is None else brightness_to_level(brightness)
        await self._async_set_level(level, kwargs)

    @homeworks_qsx_exception_handler
    @override
    async def async_turn_off(self, /, **kwargs: Any) -> None:
        """Go to level 0, over the transition asked."""
        await self._async_set_level(0.0, kwargs)
