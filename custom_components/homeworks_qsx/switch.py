"""Zone and contact closure output switches of HomeWorks QSX switching modules and area groups.

An area group (LEAP: the zones of an area whose modules the processor does not identify, LP16) gets one switch per
zone, switched and CCO zones alike: LEAP does not tell a maintained CCO from a momentary one, so a CCO zone is a
plain close/open switch.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from typing import Any, override

from homeassistant.components.switch import (
    SwitchDeviceClass,
    SwitchEntity,
    SwitchEntityDescription,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .entity import HomeworksQsxGroupEntity, HomeworksQsxModuleEntity
from .helpers import homeworks_qsx_exception_handler
from .qsx.backend import Capability, QsxBackend
from .qsx.const import DEFAULT_CCO_NAME, ZONES_PER_MODULE, CcoType, default_zone_name
from .qsx.errors import UnknownObjectError
from .qsx.model import (
    AreaGroupDescription,
    GroupZoneDescription,
    ModuleDescription,
    ModuleState,
)
from .runtime import HomeworksQsxConfigEntry, HomeworksQsxRuntime

# Commands wait for the module's report; the backend orders them itself.
PARALLEL_UPDATES = 0


# Names the library gives outputs it was told nothing about are shown translated instead.
def _given_name(name: str, default: str) -> str | None:
    """Return the name the system description gives, or None for the library's default (translated instead)."""
    return None if name.strip().casefold() in ("", default.casefold()) else name


@dataclass(frozen=True, kw_only=True)
class HomeworksQsxSwitchEntityDescription(SwitchEntityDescription):
    """Describes a switch of a switching module."""

    capability: Capability
    name_fn: Callable[[ModuleDescription], str | None]
    is_on_fn: Callable[[ModuleState], bool]
    set_fn: Callable[[QsxBackend, ModuleDescription, bool], Awaitable[None]]


@dataclass(frozen=True, kw_only=True)
class HomeworksQsxGroupSwitchEntityDescription(SwitchEntityDescription):
    """Describes the switch of one zone of an area group, by the zone's processor id (stable as zones come and go)."""

    zone_id: int


def _zone_description(number: int) -> HomeworksQsxSwitchEntityDescription:
    """One of the four switched zones (M1)."""
    return HomeworksQsxSwitchEntityDescription(
        key=f"zone_{number}",
        translation_key=f"zone_{number}",
        device_class=SwitchDeviceClass.SWITCH,
        capability=Capability.ZONES,
        name_fn=lambda module: _given_name(
            module.zone(number).name, default_zone_name(number)
        ),
        is_on_fn=lambda state: state.zones[number - 1].on,
        set_fn=lambda backend, module, on: backend.async_set_zone(
            module.serial, number, on
        ),
    )


async def _async_set_cco(
    backend: QsxBackend, module: ModuleDescription, on: bool
) -> None:
    """Close or open a maintained CCO; turning a momentary one on pulses it (it opens again by itself)."""
    if on and module.cco.cco_type is CcoType.MOMENTARY:
        await backend.async_pulse_cco(module.serial)
        return
    await backend.async_set_cco(module.serial, on)


ZONE_DESCRIPTIONS = tuple(
    _zone_description(number) for number in range(1, ZONES_PER_MODULE + 1)
)

# The contact closure output (O1, O2): maintained, or momentary.
CCO_DESCRIPTION = HomeworksQsxSwitchEntityDescription(
    key="cco",
    translation_key="cco",
    device_class=SwitchDeviceClass.SWITCH,
    capability=Capability.CCO,
    name_fn=lambda module: _given_name(module.cco.name, DEFAULT_CCO_NAME),
    is_on_fn=lambda state: state.cco_closed,
    set_fn=_async_set_cco,
)

DESCRIPTIONS = (*ZONE_DESCRIPTIONS, CCO_DESCRIPTION)

GROUP_ZONE_KEY = "group_zone"
GROUP_CCO_KEY = "group_cco"


def _entities(
    runtime: HomeworksQsxRuntime, module: ModuleDescription
) -> list[SwitchEntity]:
    capabilities = runtime.backend.capabilities
    return [
        HomeworksQsxSwitch(runtime, module, description)
        for description in DESCRIPTIONS
        if description.capability in capabilities
    ]


def group_zone_description(
    zone: GroupZoneDescription,
) -> HomeworksQsxGroupSwitchEntityDescription:
    """Describe the switch of one zone of an area group (its translation gives the icon; the name is the zone's)."""
    return HomeworksQsxGroupSwitchEntityDescription(
        key=f"zone_{zone.integration_id}",
        translation_key=GROUP_CCO_KEY if zone.is_cco else GROUP_ZONE_KEY,
        device_class=SwitchDeviceClass.SWITCH,
        zone_id=zone.integration_id,
    )


def _group_entities(
    runtime: HomeworksQsxRuntime, group: AreaGroupDescription
) -> list[SwitchEntity]:
    return [
        HomeworksQsxGroupSwitch(runtime, group, group_zone_description(zone), zone.name)
        for zone in group.zones
    ]


async def async_setup_entry(
    hass: HomeAssistant,
    entry: HomeworksQsxConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up the zone and CCO switches of every module and area group, and of those added later."""
    runtime = entry.runtime_data
    runtime.async_add_module_entities(
        async_add_entities,
        partial(_entities, runtime),
        group_entities_of=partial(_group_entities, runtime),
    )


class HomeworksQsxSwitch(HomeworksQsxModuleEntity, SwitchEntity):
    """A zone or the CCO of a switching module, named from the system description (else translated)."""

    entity_description: HomeworksQsxSwitchEntityDescription

    def __init__(
        self,
        runtime: HomeworksQsxRuntime,
        module: ModuleDescription,
        description: HomeworksQsxSwitchEntityDescription,
    ) -> None:
        """Attach the switch to `module`; the description's name, if any, replaces the translated one."""
        super().__init__(runtime, module, description)
        if (name := description.name_fn(module)) is not None:
            self._attr_name = name

    @property
    @override
    def is_on(self) -> bool:
        """Whether the output is on (closed, for the CCO)."""
        return self.entity_description.is_on_fn(self.module_state)

    @override
    def _value(self) -> Any:
        return self.is_on

    @homeworks_qsx_exception_handler
    @override
    async def async_turn_on(self, /, **kwargs: Any) -> None:
        """Switch the output on (a momentary CCO pulses)."""
        await self.entity_description.set_fn(self.runtime.backend, self.module, True)

    @homeworks_qsx_exception_handler
    @override
    async def async_turn_off(self, /, **kwargs: Any) -> None:
        """Switch the output off."""
        await self.entity_description.set_fn(self.runtime.backend, self.module, False)


class HomeworksQsxGroupSwitch(HomeworksQsxGroupEntity, SwitchEntity):
    """A switched or CCO zone of an area group, named as the processor names it."""

    entity_description: HomeworksQsxGroupSwitchEntityDescription

    def __init__(
        self,
        runtime: HomeworksQsxRuntime,
        group: AreaGroupDescription,
        description: HomeworksQsxGroupSwitchEntityDescription,
        name: str,
    ) -> None:
        """Attach the switch to `group`, named as the processor names the zone (the translation gives the icon)."""
        super().__init__(runtime, group, description)
        self._attr_name = name

    def _number(self) -> int:
        """Return the zone's number in the group now (zones are found by their processor id)."""
        zone_id = self.entity_description.zone_id
        for zone in self.area_group.zones:
            if zone.integration_id == zone_id:
                return zone.number
        raise UnknownObjectError(
            f"Zone {zone_id} is no longer in {self.area_group.name}"
        )

    @property
    @override
    def is_on(self) -> bool:
        """Whether the zone is on (closed, for a CCO zone)."""
        return self.module_state.zones[self._number() - 1].on

    @override
    def _value(self) -> Any:
        return self.is_on

    @homeworks_qsx_exception_handler
    @override
    async def async_turn_on(self, /, **kwargs: Any) -> None:
        """Switch the zone on (close a CCO zone)."""
        await self.runtime.backend.async_set_zone(self.serial, self._number(), True)

    @homeworks_qsx_exception_handler
    @override
    async def async_turn_off(self, /, **kwargs: Any) -> None:
        """Switch the zone off (open a CCO zone)."""
        await self.runtime.backend.async_set_zone(self.serial, self._number(), False)
