"""Base entities of the Lutron HomeWorks QSX integration."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Iterable, Mapping
from functools import partial
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final, override

from homeassistant.const import CONF_HOST
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.device_registry import CONNECTION_NETWORK_MAC, DeviceInfo
from homeassistant.helpers.entity import Entity, EntityDescription

from .const import (
    CONF_BACKEND,
    CONF_HTTP_PORT,
    DIMMING_MODULE_MODEL_NAME,
    DOMAIN,
    KEYPAD_MODEL_NAME,
    MANUFACTURER,
    MODULE_MODEL_NAME,
    OCCUPANCY_SENSOR_MODEL_NAME,
    PROCESSOR_MODEL_NAME,
    SHADE_MODEL_NAME,
    TIMECLOCK_MODEL_NAME,
    BackendType,
)
from .helpers import button_name
from .naming import object_id_without_repeated_area
from .qsx import (
    MODULE_MODEL,
    Capability,
    DeviceDescription,
    DeviceKind,
    DeviceState,
    Event,
    EventKind,
    InputDescription,
    KeypadType,
    OccupancySensorType,
    OutputDescription,
    ProcessorDescription,
)
from .runtime import HomeworksQsxConfigEntry, HomeworksQsxRuntime

if TYPE_CHECKING:
    from homeassistant.helpers.entity_platform import (
        AddConfigEntryEntitiesCallback,
        EntityPlatform,
    )

type DeviceEntitiesOf = Callable[
    [HomeworksQsxRuntime, DeviceDescription], Iterable[Entity]
]
type ProcessorEntitiesOf = Callable[[HomeworksQsxRuntime], Iterable[Entity]]
type PlatformSetup = Callable[
    [HomeAssistant, HomeworksQsxConfigEntry, AddConfigEntryEntitiesCallback],
    Coroutine[Any, Any, None],
]

_NO_PLACEHOLDERS: Final[Mapping[str, str]] = MappingProxyType({})


class _Unavailable:
    """What an unavailable entity shows (distinct from every value, None included)."""


_UNAVAILABLE: Final = _Unavailable()


def _device_info_of(
    runtime: HomeworksQsxRuntime, device: DeviceDescription
) -> DeviceInfo:
    """Return the device info made for `device` if it has not changed since; else a new one, kept for its serial."""
    made = runtime.entity_devices.devices
    shared = made.get(device.serial)
    if shared is None or shared[0] is not device:
        shared = made[device.serial] = (
            device,
            device_info(
                runtime.processor_device_id_of(device),
                device,
                link_address=Capability.LINK_ADDRESS in runtime.backend.capabilities,
            ),
        )
    return shared[1]


def _registered_device(
    hass: HomeAssistant, runtime: HomeworksQsxRuntime, info: DeviceInfo
) -> dr.DeviceEntry | None:
    """Return the device registered from `info` while it is still the entry's; else None (to register)."""
    registered = runtime.entity_devices.registered.get(id(info))
    if registered is None or registered[0] is not info:
        return None
    device = dr.async_get(hass).async_get(registered[1])
    entry_id = runtime.entry.entry_id
    # Removed since, or no longer the entry's: registered again.
    return (
        device
        if isinstance(device, dr.DeviceEntry) and device.config_entry_id == entry_id
        else None
    )


def _register_device(
    hass: HomeAssistant, runtime: HomeworksQsxRuntime, info: DeviceInfo
) -> dr.DeviceEntry | None:
    """Register the device `info` describes, as Home Assistant does for an entity; None if it cannot be.

    Home Assistant then registers it for the entity, and reports why it cannot.
    """
    try:
        device = dr.async_get(hass).async_get_or_create(
            config_entry_id=runtime.entry.entry_id, config_subentry_id=None, **info
        )
    except HomeAssistantError, TypeError:
        return None
    runtime.entity_devices.registered[id(info)] = (info, device.id)
    return device


def processor_device_info(
    entry: HomeworksQsxConfigEntry,
    serial: str,
    processor: ProcessorDescription | None,
) -> DeviceInfo:
    """Describe the entry's own processor, its hub device, identified by `serial` whichever processor is in use.

    `processor` is what the project says of it; None while the entry runs on a processor of its project that does
    not name it (the device keeps what it was given before). Built whole: since Home Assistant 2026.11 a device
    info is no dict, and keys cannot be deleted from it.
    """
    if processor is None:
        return DeviceInfo(identifiers={(DOMAIN, serial)}, name=entry.title)
    configuration_url = None
    if entry.data.get(CONF_BACKEND) == BackendType.LIP:
        port = entry.data[CONF_HTTP_PORT]
        host = entry.data[CONF_HOST]
        configuration_url = (
            f"http://{host}/" if port == 80 else f"http://{host}:{port}/"
        )
    return DeviceInfo(
        identifiers={(DOMAIN, serial)},
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


def other_processor_device_info(processor: ProcessorDescription) -> DeviceInfo:
    """Describe another processor of the entry's project (P4, LP52): a device of its own, named as the project names it."""
    return DeviceInfo(
        identifiers={(DOMAIN, processor.serial)},
        connections={(CONNECTION_NETWORK_MAC, processor.mac)}
        if processor.mac
        else set(),
        manufacturer=MANUFACTURER,
        model=PROCESSOR_MODEL_NAME,
        model_id=processor.model.value,
        name=processor.name,
        serial_number=processor.serial,
        sw_version=processor.firmware,
    )


# Model numbers the library knows, with the name a user sees beside them.
MODEL_NAMES: Final[Mapping[str, str]] = MappingProxyType(
    {MODULE_MODEL: MODULE_MODEL_NAME}
)
# Keypads and sensors by their LEAP type, other devices by their kind: what a user sees beside the model number.
TYPE_NAMES: Final[Mapping[str, str]] = MappingProxyType(
    {
        KeypadType.SEETOUCH: "seeTouch keypad",
        KeypadType.PALLADIOM: "Palladiom keypad",
        KeypadType.HOMEOWNER: "Homeowner keypad",
        OccupancySensorType.OCCUPANCY: OCCUPANCY_SENSOR_MODEL_NAME,
        OccupancySensorType.CEILING: "Ceiling-mounted occupancy sensor",
        OccupancySensorType.WALL: "Wall-mounted occupancy sensor",
    }
)
KIND_NAMES: Final[Mapping[DeviceKind, str]] = MappingProxyType(
    {
        DeviceKind.SWITCHING_MODULE: MODULE_MODEL_NAME,
        DeviceKind.DIMMING_MODULE: DIMMING_MODULE_MODEL_NAME,
        DeviceKind.SHADE: SHADE_MODEL_NAME,
        DeviceKind.KEYPAD: KEYPAD_MODEL_NAME,
        DeviceKind.OCCUPANCY_SENSOR: OCCUPANCY_SENSOR_MODEL_NAME,
        DeviceKind.TIMECLOCK: TIMECLOCK_MODEL_NAME,
    }
)


def model_name(device: DeviceDescription) -> str | None:
    """Return the model a user reads for a device: its type's or its model number's name, else its kind's."""
    if device.device_type is not None and device.device_type in TYPE_NAMES:
        return TYPE_NAMES[device.device_type]
    if device.model is not None and device.model in MODEL_NAMES:
        return MODEL_NAMES[device.model]
    return KIND_NAMES.get(device.kind, device.model)


def device_info(
    processor_device_id: str, device: DeviceDescription, *, link_address: bool = True
) -> DeviceInfo:
    """Describe a device of the system, attached to its processor's device: what the description knows of it.

    `link_address`: whether the backend reports where a device is on its link (LEAP does not).
    """
    return DeviceInfo(
        identifiers={(DOMAIN, device.serial)},
        manufacturer=MANUFACTURER,
        model=model_name(device),
        model_id=device.model,
        name=device.name,
        serial_number=device.serial_number,
        hw_version=f"Link {device.link}, address {device.address}"
        if link_address and Capability.LINK_ADDRESS in device.capabilities
        else None,
        suggested_area=device.room,
        via_device_id=processor_device_id,
    )


class HomeworksQsxEntity(Entity):
    """An entity backed by a HomeWorks QSX backend; it writes its state only when what it shows changed."""

    _attr_device_info: DeviceInfo
    _attr_has_entity_name = True
    _attr_should_poll = False

    def __init__(
        self,
        runtime: HomeworksQsxRuntime,
        serial: str,
        description: EntityDescription,
        device_info: DeviceInfo,
    ) -> None:
        """Attach the entity to the object with serial number `serial`, on the device `device_info` describes."""
        self.runtime = runtime
        self.serial = serial
        self._attr_device_info = device_info
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
        info = self._attr_device_info
        device = _registered_device(hass, self.runtime, info)
        if object_id := object_id_without_repeated_area(
            hass,
            self.runtime.entry.entry_id,
            info,
            self.suggested_object_id,
            device,
        ):
            self.entity_id = f"{platform.domain}.{object_id}"
        # Registered once per device, not once per entity: the entity brings Home Assistant its device.
        self.device_entry = device or _register_device(hass, self.runtime, info)

    @property
    @override
    def device_info(self) -> DeviceInfo | None:
        """The device's description; None once the entity holds its registered device (nothing to register)."""
        return None if self.device_entry is not None else self._attr_device_info

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
        """Return the device whose events the entity follows; None for every event."""
        return None

    @override
    async def async_added_to_hass(self) -> None:
        """Follow the connection, and the events of the entity's device (or every event)."""
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


class HomeworksQsxDeviceEntity(HomeworksQsxEntity):
    """An entity of one device of the system: it follows the events of its serial and reads its live state."""

    def __init__(
        self,
        runtime: HomeworksQsxRuntime,
        device: DeviceDescription,
        description: EntityDescription,
    ) -> None:
        """Attach the entity to `device` and its Home Assistant device."""
        super().__init__(
            runtime, device.serial, description, _device_info_of(runtime, device)
        )

    @property
    def device(self) -> DeviceDescription:
        """The device's current description."""
        return self.runtime.backend.description.device(self.serial)

    @property
    def device_state(self) -> DeviceState:
        """The device's live state."""
        return self.runtime.backend.device_state(self.serial)

    @override
    def _followed_serial(self) -> str | None:
        return self.serial

    @callback
    @override
    def _handle_event(self, event: Event) -> None:
        self._async_refresh()


class HomeworksQsxKeypadButtonEntity(HomeworksQsxDeviceEntity):
    """An entity of one keypad button: an engraving or a name of its own names it, else the translation."""

    def __init__(
        self,
        runtime: HomeworksQsxRuntime,
        device: DeviceDescription,
        button: InputDescription,
        description: EntityDescription,
    ) -> None:
        """Attach the entity to `button` of the keypad."""
        super().__init__(runtime, device, description)
        self.number = button.number
        if (name := button_name(device, button.number)) is not None:
            self._attr_name = name


def supported(
    runtime: HomeworksQsxRuntime, device: DeviceDescription, capability: Capability
) -> bool:
    """Whether both the backend and `device` have `capability`: only then does the device get its entities."""
    return (
        capability in runtime.backend.capabilities and capability in device.capabilities
    )


def device_platform_setup(
    entities_of: DeviceEntitiesOf,
    processor_entities_of: ProcessorEntitiesOf | None = None,
) -> PlatformSetup:
    """Return a platform's `async_setup_entry`: the entities `entities_of` gives every device, now and later.

    The processor's entities of the platform, if any, come first.
    """

    async def async_setup_entry(
        hass: HomeAssistant,
        entry: HomeworksQsxConfigEntry,
        async_add_entities: AddConfigEntryEntitiesCallback,
    ) -> None:
        runtime = entry.runtime_data
        await runtime.async_add_device_entities(
            async_add_entities,
            partial(entities_of, runtime),
            () if processor_entities_of is None else processor_entities_of(runtime),
        )

    return async_setup_entry


class HomeworksQsxOutputEntity(HomeworksQsxDeviceEntity):
    """An entity of one output of a device, found by its stable key (the description's `key`).

    A listed output (an area group's, LEAP) keeps its key while its number may change as zones come and go.
    """

    def __init__(
        self,
        runtime: HomeworksQsxRuntime,
        device: DeviceDescription,
        output: OutputDescription,
        description: EntityDescription,
    ) -> None:
        """Attach the entity to `output` of `device`."""
        super().__init__(runtime, device, description)
        self._seen = (device, output)

    def _output(self) -> tuple[DeviceDescription, OutputDescription]:
        """Return the device and the output now."""
        device = self.device
        if device is not self._seen[0]:
            self._seen = (device, device.output_by_key(self.entity_description.key))
        return self._seen

    @property
    def output_number(self) -> int:
        """The output's number on its device now."""
        return self._output()[1].number


class HomeworksQsxProcessorEntity(HomeworksQsxEntity):
    """An entity of a processor: the entry's own unless another processor's serial is given."""

    def __init__(
        self,
        runtime: HomeworksQsxRuntime,
        description: EntityDescription,
        processor_serial: str | None = None,
    ) -> None:
        """Attach the entity to the processor's device."""
        serial = processor_serial or runtime.processor_serial
        shared = runtime.entity_devices.processors
        if serial not in shared:
            shared[serial] = DeviceInfo(identifiers={(DOMAIN, serial)})
        super().__init__(runtime, serial, description, shared[serial])

    @callback
    @override
    def _handle_event(self, event: Event) -> None:
        # Devices being added and removed change what the processor's entities show.
        if event.kind in (EventKind.DEVICE_ADDED, EventKind.DEVICE_REMOVED):
            self._async_refresh()
