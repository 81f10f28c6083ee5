"""Base entities of the Lutron HomeWorks QSX integration."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final, override
from weakref import WeakKeyDictionary

from homeassistant.const import CONF_HOST
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.device_registry import CONNECTION_NETWORK_MAC, DeviceInfo
from homeassistant.helpers.entity import Entity, EntityDescription

from .const import (
    CONF_BACKEND,
    CONF_HTTP_PORT,
    DOMAIN,
    MANUFACTURER,
    MODULE_MODEL_NAME,
    PROCESSOR_MODEL_NAME,
    BackendType,
)
from .naming import object_id_without_repeated_area
from .qsx.backend import Capability
from .qsx.const import MODULE_MODEL
from .qsx.events import Event, EventKind
from .qsx.model import (
    AreaGroupDescription,
    ModuleDescription,
    ModuleState,
    ProcessorDescription,
)
from .runtime import HomeworksQsxConfigEntry, HomeworksQsxRuntime

if TYPE_CHECKING:
    from homeassistant.helpers.entity_platform import EntityPlatform

_NO_PLACEHOLDERS: Final[Mapping[str, str]] = MappingProxyType({})


class _Unavailable:
    """What an unavailable entity shows (distinct from every value, None included)."""


_UNAVAILABLE: Final = _Unavailable()


@dataclass
class _SharedDeviceInfo:
    """The device descriptions of one entry's entities: thousands of entities share a few hundred devices."""

    processor: DeviceInfo | None = None
    # Per module or area group serial, the description the device info was made from: a changed one gets a new one.
    units: dict[str, tuple[ModuleDescription | AreaGroupDescription, DeviceInfo]] = (
        field(default_factory=dict)
    )


# Kept as long as the entry's runtime (a reload makes a new runtime, and new device descriptions).
_SHARED_DEVICE_INFO: WeakKeyDictionary[HomeworksQsxRuntime, _SharedDeviceInfo] = (
    WeakKeyDictionary()
)


def _shared_device_info(runtime: HomeworksQsxRuntime) -> _SharedDeviceInfo:
    shared = _SHARED_DEVICE_INFO.get(runtime)
    if shared is None:
        shared = _SHARED_DEVICE_INFO[runtime] = _SharedDeviceInfo()
    return shared


def _device_info_of(
    runtime: HomeworksQsxRuntime,
    unit: ModuleDescription | AreaGroupDescription,
    make: Callable[[], DeviceInfo],
) -> DeviceInfo:
    """Return the device info made for `unit` if it has not changed since; else a new one, kept for its serial."""
    made = _shared_device_info(runtime).units
    shared = made.get(unit.serial)
    if shared is None or shared[0] is not unit:
        shared = made[unit.serial] = (unit, make())
    return shared[1]


def processor_device_info(
    entry: HomeworksQsxConfigEntry, processor: ProcessorDescription
) -> DeviceInfo:
    """Describe the processor device of a config entry.

    Built whole: since Home Assistant 2026.11 a device info is no dict, and keys cannot be deleted from it.
    """
    configuration_url = None
    if entry.data.get(CONF_BACKEND) == BackendType.LIVE:
        port = entry.data[CONF_HTTP_PORT]
        host = entry.data[CONF_HOST]
        configuration_url = (
            f"http://{host}/" if port == 80 else f"http://{host}:{port}/"
        )
    return DeviceInfo(
        identifiers={(DOMAIN, processor.serial)},
        connections={(CONNECTION_NETWORK_MAC, processor.mac)}
        if processor.mac
        else set(),
        configuration_url=configuration_url,
        manufacturer=MANUFACTURER,
        model=PROCESSOR_MODEL_NAME,
        model_id=processor.model.value,
        name=entry.title,
        serial_number=processor.serial,
        sw_version=processor.firmware,
    )


def module_device_info(
    processor_device_id: str, module: ModuleDescription, *, link_address: bool = True
) -> DeviceInfo:
    """Describe the device of a switching module, attached to its processor's device.

    `link_address`: whether the backend reports where the module is on its link (LEAP does not).
    """
    return DeviceInfo(
        identifiers={(DOMAIN, module.serial)},
        manufacturer=MANUFACTURER,
        model=MODULE_MODEL_NAME,
        model_id=MODULE_MODEL,
        name=module.name,
        serial_number=module.serial,
        hw_version=f"Link {module.link}, address {module.address}"
        if link_address
        else None,
        # A description's default area is the module's own name: no room to suggest then.
        suggested_area=module.area
        if module.area and module.area != module.name
        else None,
        via_device_id=processor_device_id,
    )


def group_device_info(
    processor_device_id: str, group: AreaGroupDescription
) -> DeviceInfo:
    """Describe the device of an area group (the zones of an area's anonymous modules), attached to the processor."""
    return DeviceInfo(
        identifiers={(DOMAIN, group.serial)},
        manufacturer=MANUFACTURER,
        name=group.name,
        suggested_area=group.area or None,
        via_device_id=processor_device_id,
    )


class HomeworksQsxEntity(Entity):
    """An entity backed by a HomeWorks QSX backend; it writes its state only when what it shows changed."""

    _attr_has_entity_name = True
    _attr_should_poll = False

    def __init__(
        self,
        runtime: HomeworksQsxRuntime,
        serial: str,
        description: EntityDescription,
    ) -> None:
        """Attach the entity to the object with serial number `serial`."""
        self.runtime = runtime
        self.serial = serial
        self.entity_description = description
        self._attr_unique_id = f"{serial}_{description.key}"
        if description.translation_placeholders is None:
            # Home Assistant would make an empty dict for each entity.
            self._attr_translation_placeholders = _NO_PLACEHOLDERS
        self._written: Any = _UNAVAILABLE

    @override
    def add_to_platform_start(
        self,
        hass: HomeAssistant,
        platform: EntityPlatform,
        parallel_updates: asyncio.Semaphore | None,
    ) -> None:
        """Suggest an entity id that does not repeat the room (used only for an entity new to the registry)."""
        super().add_to_platform_start(hass, platform, parallel_updates)
        if object_id := object_id_without_repeated_area(
            hass, self.device_info or {}, self.suggested_object_id
        ):
            self.entity_id = f"{platform.domain}.{object_id}"

    @property
    @override
    def available(self) -> bool:
        """Available while the backend's states are current."""
        return self.runtime.backend.connected

    def _shown(self) -> Any:
        """Return what the entity shows: its state is written again only when this changes."""
        if not self.available:
            return _UNAVAILABLE
        return self._value()

    def _value(self) -> Any:
        """Return the value the entity shows while available."""
        return None

    def _followed_serial(self) -> str | None:
        """Return the module whose events the entity follows; None for every event."""
        return None

    @override
    async def async_added_to_hass(self) -> None:
        """Follow the connection, and the events of the entity's module (or every event)."""
        await super().async_added_to_hass()
        self._written = self._shown()
        self.runtime.router.add(self, self._followed_serial())

    @override
    async def async_will_remove_from_hass(self) -> None:
        """Stop following."""
        self.runtime.router.remove(self, self._followed_serial())
        await super().async_will_remove_from_hass()

    @callback
    def async_push_event(self, event: Event) -> None:
        """Take one change event of the backend."""
        self._handle_event(event)

    @callback
    def async_push_connection(self) -> None:
        """Take a change of the connection."""
        self._async_refresh()

    @callback
    def _handle_event(self, event: Event) -> None:
        """React to one change event (entities say which)."""

    @callback
    def _async_refresh(self) -> None:
        shown = self._shown()
        if shown is not self._written and shown != self._written:
            self._written = shown
            self.async_write_ha_state()


class _HomeworksQsxUnitEntity(HomeworksQsxEntity):
    """An entity of a module or an area group: it follows the events of its serial and reads its live state."""

    @property
    def module_state(self) -> ModuleState:
        """The live state of the module or group (an area group has one zone per output)."""
        return self.runtime.backend.module_state(self.serial)

    @override
    def _followed_serial(self) -> str | None:
        return self.serial

    @callback
    @override
    def _handle_event(self, event: Event) -> None:
        self._async_refresh()


class HomeworksQsxModuleEntity(_HomeworksQsxUnitEntity):
    """An entity of one switching module."""

    def __init__(
        self,
        runtime: HomeworksQsxRuntime,
        module: ModuleDescription,
        description: EntityDescription,
    ) -> None:
        """Attach the entity to `module` and its device."""
        super().__init__(runtime, module.serial, description)
        self._attr_device_info = _device_info_of(
            runtime,
            module,
            lambda: module_device_info(
                runtime.processor_device_id,
                module,
                link_address=Capability.LINK_ADDRESS in runtime.backend.capabilities,
            ),
        )

    @property
    def module(self) -> ModuleDescription:
        """The module's current description."""
        return self.runtime.backend.description.module(self.serial)


class HomeworksQsxGroupEntity(_HomeworksQsxUnitEntity):
    """An entity of one area group (LEAP: the zones of an area whose modules the processor does not identify)."""

    def __init__(
        self,
        runtime: HomeworksQsxRuntime,
        group: AreaGroupDescription,
        description: EntityDescription,
    ) -> None:
        """Attach the entity to `group` and its device."""
        super().__init__(runtime, group.serial, description)
        self._attr_device_info = _device_info_of(
            runtime,
            group,
            lambda: group_device_info(runtime.processor_device_id, group),
        )

    @property
    def area_group(self) -> AreaGroupDescription:
        """The group's current description."""
        return self.runtime.backend.description.group(self.serial)


class HomeworksQsxProcessorEntity(HomeworksQsxEntity):
    """An entity of the processor."""

    def __init__(
        self,
        runtime: HomeworksQsxRuntime,
        description: EntityDescription,
    ) -> None:
        """Attach the entity to the processor device."""
        super().__init__(runtime, runtime.processor_serial, description)
        shared = _shared_device_info(runtime)
        if shared.processor is None:
            shared.processor = DeviceInfo(
                identifiers={(DOMAIN, runtime.processor_serial)}
            )
        self._attr_device_info = shared.processor

    @callback
    @override
    def _handle_event(self, event: Event) -> None:
        # Modules being added and removed change what the processor's entities show.
        if event.kind in (EventKind.MODULE_ADDED, EventKind.MODULE_REMOVED):
            self._async_refresh()
