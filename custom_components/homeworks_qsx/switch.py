"""Switches of HomeWorks QSX devices: switched zones, contact closure outputs, keypad LEDs and timeclocks.

One switch per switched or CCO output, chosen by its control type (dimmed outputs are lights, shades covers). A
device whose outputs keep their numbers (a switching module) names them from the system description (else
translated: "Zone 1", "CCO"); a device whose outputs the processor lists (an area group, LEAP, LP16) finds each by
its processor id and names it as the processor does. LEAP does not
tell a maintained CCO from a momentary one, so a listed CCO zone is a plain close/open switch; a module's own CCO
pulses when it is momentary.

A keypad's LEDs are switches too (LP41): a client's write lasts until the button's programming changes it (LP42).
A timeclock's switch enables or disables it (LP45, LP46): a disabled timeclock runs none of its events.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any, Final, override

from homeassistant.components.switch import (
    SwitchDeviceClass,
    SwitchEntity,
    SwitchEntityDescription,
)

from .entity import (
    HomeworksQsxDeviceEntity,
    HomeworksQsxOutputEntity,
    device_platform_setup,
    supported,
)
from .helpers import button_name, given_name, homeworks_qsx_exception_handler
from .qsx import (
    DEFAULT_CCO_NAME,
    Capability,
    CcoType,
    ControlType,
    DeviceDescription,
    DeviceKind,
    DeviceState,
    IndicatorDescription,
    LedState,
    OutputDescription,
    QsxBackend,
    default_zone_name,
)
from .runtime import HomeworksQsxRuntime

# Commands wait for the module's report; the backend orders them itself.
PARALLEL_UPDATES = 0


type SetOutput = Callable[
    [QsxBackend, DeviceDescription, OutputDescription, bool], Awaitable[None]
]


@dataclass(frozen=True, kw_only=True)
class HomeworksQsxSwitchEntityDescription(SwitchEntityDescription):
    """Describes the switch of an output of one control type; `key` is the output's stable key on its device."""

    capability: Capability  # made only where the backend supports it
    default_name: Callable[[OutputDescription], str]
    set_fn: SetOutput


async def _async_set_zone(
    backend: QsxBackend,
    device: DeviceDescription,
    output: OutputDescription,
    on: bool,
) -> None:
    """Switch an output numbered among the zones (a listed CCO zone opens and closes)."""
    await backend.async_set_zone(device.serial, output.number, on)


async def _async_set_cco(
    backend: QsxBackend,
    device: DeviceDescription,
    output: OutputDescription,
    on: bool,
) -> None:
    """Close or open a device's own CCO; turning a momentary one on pulses it (it opens again by itself)."""
    if output is not device.own_cco:
        await _async_set_zone(backend, device, output, on)
        return
    if on and device.cco.cco_type is CcoType.MOMENTARY:
        await backend.async_pulse_cco(device.serial)
        return
    await backend.async_set_cco(device.serial, on)


# One description per control type; each output's switch takes it with its own key.
DESCRIPTIONS: Final[dict[ControlType, HomeworksQsxSwitchEntityDescription]] = {
    ControlType.SWITCHED: HomeworksQsxSwitchEntityDescription(
        key="zone",
        translation_key="group_zone",
        device_class=SwitchDeviceClass.SWITCH,
        capability=Capability.ZONES,
        default_name=lambda output: default_zone_name(output.number),
        set_fn=_async_set_zone,
    ),
    # The contact closure output (O1, O2): maintained, or momentary.
    ControlType.CCO: HomeworksQsxSwitchEntityDescription(
        key="cco",
        translation_key="group_cco",
        device_class=SwitchDeviceClass.SWITCH,
        capability=Capability.CCO,
        default_name=lambda _: DEFAULT_CCO_NAME,
        set_fn=_async_set_cco,
    ),
}

# Made once per key: a large system has thousands of outputs with a few keys.
_KEYED: dict[tuple[ControlType, str, bool], HomeworksQsxSwitchEntityDescription] = {}


def output_description(
    device: DeviceDescription, output: OutputDescription
) -> HomeworksQsxSwitchEntityDescription:
    """Describe the switch of one output: numbered outputs translate by their key, listed ones by control type."""
    key = device.output_key(output)
    numbered = device.numbered_outputs
    cache_key = (output.control_type, key, numbered)
    description = _KEYED.get(cache_key)
    if description is None:
        base = DESCRIPTIONS[output.control_type]
        description = _KEYED[cache_key] = replace(
            base,
            key=key,
            translation_key=key if numbered else base.translation_key,
            # A listed CCO zone is driven as a zone: the backend needs no CCO of its own for it.
            capability=base.capability
            if output is device.own_cco
            else Capability.ZONES,
        )
    return description


@dataclass(frozen=True, kw_only=True)
class HomeworksQsxDeviceSwitchEntityDescription(SwitchEntityDescription):
    """Describes a switch of a device as a whole, or of one of its numbered parts (a keypad's LED)."""

    capability: Capability  # made only where the device and the backend support it
    is_on_fn: Callable[[DeviceState], bool | None]
    set_fn: Callable[[QsxBackend, str, bool], Awaitable[None]]


TIMECLOCK_DESCRIPTION: Final = HomeworksQsxDeviceSwitchEntityDescription(
    key="timeclock",
    translation_key="timeclock",
    device_class=SwitchDeviceClass.SWITCH,
    capability=Capability.TIMECLOCK,
    is_on_fn=lambda state: state.timeclock_enabled,
    set_fn=lambda backend, serial, on: backend.async_set_timeclock(serial, on),
)


def indicator_description(
    device: DeviceDescription, indicator: IndicatorDescription
) -> HomeworksQsxDeviceSwitchEntityDescription:
    """Describe the switch of a keypad LED, named after its button ("Button 2 LED", "Dinner LED")."""
    number = indicator.number
    name = button_name(device, number)
    return HomeworksQsxDeviceSwitchEntityDescription(
        key=f"led_{number}",
        translation_key="indicator" if name is None else "indicator_named",
        translation_placeholders={"number": str(number)}
        if name is None
        else {"name": name},
        device_class=SwitchDeviceClass.SWITCH,
        capability=Capability.INDICATORS,
        # An LED that flashes is lit for a user.
        is_on_fn=lambda state: (
            state.indicators.get(number, LedState.OFF) != LedState.OFF
        ),
        set_fn=lambda backend, serial, on: backend.async_set_indicator(
            serial, number, on
        ),
    )


def _device_descriptions(
    device: DeviceDescription,
) -> list[HomeworksQsxDeviceSwitchEntityDescription]:
    if device.kind is DeviceKind.TIMECLOCK:
        return [TIMECLOCK_DESCRIPTION]
    return [indicator_description(device, led) for led in device.indicators]


def _entities(
    runtime: HomeworksQsxRuntime, device: DeviceDescription
) -> list[SwitchEntity]:
    capabilities = runtime.backend.capabilities
    entities: list[SwitchEntity] = []
    for output in device.outputs:
        if output.control_type not in DESCRIPTIONS:
            continue  # a light or a cover
        description = output_description(device, output)
        if description.capability in capabilities:
            entities.append(HomeworksQsxSwitch(runtime, device, output, description))
    entities.extend(
        HomeworksQsxDeviceSwitch(runtime, device, description)
        for description in _device_descriptions(device)
        if supported(runtime, device, description.capability)
    )
    return entities


async_setup_entry = device_platform_setup(_entities)


class HomeworksQsxSwitch(HomeworksQsxOutputEntity, SwitchEntity):
    """An output of a device, found by its stable key, named from the description (else translated)."""

    entity_description: HomeworksQsxSwitchEntityDescription

    def __init__(
        self,
        runtime: HomeworksQsxRuntime,
        device: DeviceDescription,
        output: OutputDescription,
        description: HomeworksQsxSwitchEntityDescription,
    ) -> None:
        """Attach the switch to `output` of `device`; a name the description gives replaces the translated one."""
        super().__init__(runtime, device, output, description)
        name = (
            given_name(output.name, description.default_name(output))
            if device.numbered_outputs
            else output.name
        )
        if name is not None:
            self._attr_name = name

    @property
    @override
    def is_on(self) -> bool:
        """Whether the output is on (closed, for a CCO)."""
        return self.device_state.output_on(self.output_number)

    @override
    def _value(self) -> Any:
        return self.is_on

    @homeworks_qsx_exception_handler
    @override
    async def async_turn_on(self, /, **kwargs: Any) -> None:
        """Switch the output on (a momentary CCO pulses)."""
        device, output = self._output()
        await self.entity_description.set_fn(self.runtime.backend, device, output, True)

    @homeworks_qsx_exception_handler
    @override
    async def async_turn_off(self, /, **kwargs: Any) -> None:
        """Switch the output off."""
        device, output = self._output()
        await self.entity_description.set_fn(
            self.runtime.backend, device, output, False
        )


class HomeworksQsxDeviceSwitch(HomeworksQsxDeviceEntity, SwitchEntity):
    """A switch of a device as a whole (a timeclock) or of a numbered part of it (a keypad LED)."""

    entity_description: HomeworksQsxDeviceSwitchEntityDescription

    @property
    @override
    def is_on(self) -> bool | None:
        """Whether it is on (None while the processor has not told)."""
        return self.entity_description.is_on_fn(self.device_state)

    @override
    def _value(self) -> Any:
        return self.is_on

    @homeworks_qsx_exception_handler
    @override
    async def async_turn_on(self, /, **kwargs: Any) -> None:
        """Turn it on."""
        await self.entity_description.set_fn(self.runtime.backend, self.serial, True)

    @homeworks_qsx_exception_handler
    @override
    async def async_turn_off(self, /, **kwargs: Any) -> None:
        """Turn it off."""
        await self.entity_description.set_fn(self.runtime.backend, self.serial, False)
