"""Zone and contact closure output switches of HomeWorks QSX switching modules."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any, override

from homeassistant.components.switch import SwitchEntity, SwitchEntityDescription
from homeassistant.components.switch.const import SwitchDeviceClass
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import HomeworksQsxConfigEntry, HomeworksQsxData
from .entity import HomeworksQsxModuleEntity
from .qsx.const import DEFAULT_CCO_NAME, ZONES_PER_MODULE, CcoType, default_zone_name
from .qsx.model import ModuleDescription, ModuleState

# Commands wait for the module's report; the backend orders them itself.
PARALLEL_UPDATES = 0


# Names the library gives outputs it was told nothing about are shown translated instead.
def _is_default_name(name: str, default: str) -> bool:
    return name.strip().casefold() in ("", default.casefold())


@dataclass(frozen=True, kw_only=True)
class HomeworksQsxSwitchEntityDescription(SwitchEntityDescription):
    """Describes a switch of a switching module."""

    zone: int | None = None
    is_on_fn: Callable[[ModuleState], bool]


def _zone_description(number: int) -> HomeworksQsxSwitchEntityDescription:
    return HomeworksQsxSwitchEntityDescription(
        key=f"zone_{number}",
        translation_key=f"zone_{number}",
        device_class=SwitchDeviceClass.SWITCH,
        zone=number,
        is_on_fn=lambda state: state.zones[number - 1].on,
    )


ZONE_DESCRIPTIONS = tuple(
    _zone_description(number) for number in range(1, ZONES_PER_MODULE + 1)
)

CCO_DESCRIPTION = HomeworksQsxSwitchEntityDescription(
    key="cco",
    translation_key="cco",
    device_class=SwitchDeviceClass.SWITCH,
    is_on_fn=lambda state: state.cco_closed,
)


def _entities(data: HomeworksQsxData, module: ModuleDescription) -> list[SwitchEntity]:
    return [
        *(HomeworksQsxZoneSwitch(data, module, desc) for desc in ZONE_DESCRIPTIONS),
        HomeworksQsxCcoSwitch(data, module, CCO_DESCRIPTION),
    ]


async def async_setup_entry(
    hass: HomeAssistant,
    entry: HomeworksQsxConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up the zone and CCO switches of every module, and of modules added later."""
    data = entry.runtime_data
    data.coordinator.async_add_module_entities(
        async_add_entities, partial(_entities, data)
    )


class HomeworksQsxSwitch(HomeworksQsxModuleEntity, SwitchEntity):
    """A switch of a switching module."""

    entity_description: HomeworksQsxSwitchEntityDescription

    @property
    @override
    def is_on(self) -> bool:
        """Whether the output is on (closed, for the CCO)."""
        return self.entity_description.is_on_fn(self.module_state)

    @override
    def _value(self) -> Any:
        return self.is_on


class HomeworksQsxZoneSwitch(HomeworksQsxSwitch):
    """One of the four switched zones (M1); named from the system description."""

    def __init__(
        self,
        data: HomeworksQsxData,
        module: ModuleDescription,
        description: HomeworksQsxSwitchEntityDescription,
    ) -> None:
        """Name the zone after the description, or fall back to the translated "Zone n"."""
        super().__init__(data, module, description)
        assert description.zone is not None
        self.zone = description.zone
        name = module.zone(self.zone).name
        if not _is_default_name(name, default_zone_name(self.zone)):
            self._attr_name = name

    @override
    async def async_turn_on(self, **kwargs: Any) -> None:
        """Switch the zone on."""
        await self._async_set(True)

    @override
    async def async_turn_off(self, **kwargs: Any) -> None:
        """Switch the zone off."""
        await self._async_set(False)

    async def _async_set(self, on: bool) -> None:
        backend = self.data.backend
        await self.data.coordinator.async_command(
            self.serial, lambda: backend.async_set_zone(self.serial, self.zone, on)
        )


class HomeworksQsxCcoSwitch(HomeworksQsxSwitch):
    """The contact closure output (O1, O2): maintained, or momentary (turning it on pulses it)."""

    def __init__(
        self,
        data: HomeworksQsxData,
        module: ModuleDescription,
        description: HomeworksQsxSwitchEntityDescription,
    ) -> None:
        """Name the output after the description, or fall back to the translated name."""
        super().__init__(data, module, description)
        if not _is_default_name(module.cco.name, DEFAULT_CCO_NAME):
            self._attr_name = module.cco.name

    @override
    async def async_turn_on(self, **kwargs: Any) -> None:
        """Close a maintained CCO; pulse a momentary one (it opens again by itself)."""
        backend = self.data.backend
        if self.module.cco.cco_type is CcoType.MOMENTARY:
            await self.data.coordinator.async_command(
                self.serial, lambda: backend.async_pulse_cco(self.serial)
            )
            return
        await self.data.coordinator.async_command(
            self.serial, lambda: backend.async_set_cco(self.serial, True)
        )

    @override
    async def async_turn_off(self, **kwargs: Any) -> None:
        """Open the CCO."""
        backend = self.data.backend
        await self.data.coordinator.async_command(
            self.serial, lambda: backend.async_set_cco(self.serial, False)
        )
