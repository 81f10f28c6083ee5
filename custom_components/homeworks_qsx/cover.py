"""Covers of the shade outputs of HomeWorks QSX devices: position, open, close, stop and tilt (LP30–LP33).

One cover per shade output, of a QS shade or of an area (LEAP, LP16). Position is the processor's level, the
percent open. Open and close are sent as levels 100 and 0, never as a bare raise or lower, which a QSX takes as a
held keypad button (LP32); stop is a stop. A shade with tilt has its tilt as the cover's tilt position.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final, override

from homeassistant.components.cover import (
    ATTR_POSITION,
    ATTR_TILT_POSITION,
    CoverDeviceClass,
    CoverEntity,
    CoverEntityDescription,
    CoverEntityFeature,
)

from .entity import HomeworksQsxOutputEntity, device_platform_setup, supported
from .helpers import homeworks_qsx_exception_handler
from .qsx import (
    SHADE_CONTROL_TYPES,
    Capability,
    ControlType,
    DeviceDescription,
    DeviceKind,
    OutputDescription,
    ShadeMove,
)
from .runtime import HomeworksQsxRuntime

# Commands wait for the processor's report; the backend orders them itself.
PARALLEL_UPDATES = 0

OPEN_LEVEL: Final = 100.0
CLOSED_LEVEL: Final = 0.0

SHADE_FEATURES: Final = (
    CoverEntityFeature.OPEN
    | CoverEntityFeature.CLOSE
    | CoverEntityFeature.STOP
    | CoverEntityFeature.SET_POSITION
)
TILT_FEATURES: Final = (
    CoverEntityFeature.OPEN_TILT
    | CoverEntityFeature.CLOSE_TILT
    | CoverEntityFeature.SET_TILT_POSITION
)


@dataclass(frozen=True, kw_only=True)
class HomeworksQsxCoverEntityDescription(CoverEntityDescription):
    """Describes the cover of a shade output; `key` is the output's stable key on its device."""

    features: CoverEntityFeature


def cover_description(
    device: DeviceDescription, output: OutputDescription
) -> HomeworksQsxCoverEntityDescription:
    """Describe the cover of one shade output, with tilt where the shade has it."""
    tilt = output.control_type is ControlType.SHADE_WITH_TILT
    return HomeworksQsxCoverEntityDescription(
        key=device.output_key(output),
        translation_key="shade_with_tilt" if tilt else "shade",
        device_class=CoverDeviceClass.SHADE,
        features=SHADE_FEATURES | TILT_FEATURES if tilt else SHADE_FEATURES,
    )


def _entities(
    runtime: HomeworksQsxRuntime, device: DeviceDescription
) -> list[CoverEntity]:
    if not supported(runtime, device, Capability.LEVELS):
        return []
    return [
        HomeworksQsxCover(runtime, device, output, cover_description(device, output))
        for output in device.outputs
        if output.control_type in SHADE_CONTROL_TYPES
    ]


async_setup_entry = device_platform_setup(_entities)


class HomeworksQsxCover(HomeworksQsxOutputEntity, CoverEntity):
    """A shade: its position is the percent open."""

    entity_description: HomeworksQsxCoverEntityDescription

    def __init__(
        self,
        runtime: HomeworksQsxRuntime,
        device: DeviceDescription,
        output: OutputDescription,
        description: HomeworksQsxCoverEntityDescription,
    ) -> None:
        """Attach the cover to `output` of `device`: a shade's one output is the device itself."""
        super().__init__(runtime, device, output, description)
        self._attr_supported_features = description.features
        # A QS shade is its one output: the cover takes the device's name. An area's shade is named as listed.
        self._attr_name = None if device.kind is DeviceKind.SHADE else output.name

    @property
    @override
    def current_cover_position(self) -> int:
        """The percent open."""
        return round(self.device_state.output_level(self.output_number))

    @property
    @override
    def current_cover_tilt_position(self) -> int | None:
        """The tilt (0..100) of a shade with tilt."""
        tilt = self.device_state.zones[self.output_number - 1].tilt
        return None if tilt is None else round(tilt)

    @property
    @override
    def is_closed(self) -> bool:
        """Whether the shade is fully closed."""
        return self.current_cover_position == 0

    @override
    def _value(self) -> Any:
        return (self.current_cover_position, self.current_cover_tilt_position)

    async def _async_set_level(self, level: float) -> None:
        device, output = self._output()
        await self.runtime.backend.async_set_level(device.serial, output.number, level)

    async def _async_set_tilt(self, tilt: float) -> None:
        device, output = self._output()
        await self.runtime.backend.async_set_tilt(device.serial, output.number, tilt)

    @homeworks_qsx_exception_handler
    @override
    async def async_open_cover(self, /, **kwargs: Any) -> None:
        """Open fully (level 100)."""
        await self._async_set_level(OPEN_LEVEL)

    @homeworks_qsx_exception_handler
    @override
    async def async_close_cover(self, /, **kwargs: Any) -> None:
        """Close fully (level 0)."""
        await self._async_set_level(CLOSED_LEVEL)

    @homeworks_qsx_exception_handler
    @override
    async def async_set_cover_position(self, /, **kwargs: Any) -> None:
        """Go to the percent open asked."""
        await self._async_set_level(float(kwargs[ATTR_POSITION]))

    @homeworks_qsx_exception_handler
    @override
    async def async_stop_cover(self, /, **kwargs: Any) -> None:
        """Stop where the shade is."""
        device, output = self._output()
        await self.runtime.backend.async_move_shade(
            device.serial, output.number, ShadeMove.STOP
        )

    @homeworks_qsx_exception_handler
    @override
    async def async_open_cover_tilt(self, /, **kwargs: Any) -> None:
        """Tilt fully open."""
        await self._async_set_tilt(OPEN_LEVEL)

    @homeworks_qsx_exception_handler
    @override
    async def async_close_cover_tilt(self, /, **kwargs: Any) -> None:
        """Tilt fully closed."""
        await self._async_set_tilt(CLOSED_LEVEL)

    @homeworks_qsx_exception_handler
    @override
    async def async_set_cover_tilt_position(self, /, **kwargs: Any) -> None:
        """Tilt to the position asked."""
        await self._async_set_tilt(float(kwargs[ATTR_TILT_POSITION]))
