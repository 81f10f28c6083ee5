"""Diagnostic sensors of HomeWorks QSX switching modules and link usage of the processor."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, override

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import EntityCategory, UnitOfElectricCurrent, UnitOfTemperature

from .const import ATTR_LIMIT
from .energy import module_energy_entities, system_energy_entities
from .entity import (
    HomeworksQsxDeviceEntity,
    HomeworksQsxProcessorEntity,
    device_platform_setup,
    supported,
)
from .qsx import (
    ZONES_PER_MODULE,
    Capability,
    DeviceDescription,
    DeviceState,
    OperatingMode,
    ProcessorModel,
    SystemDescription,
    link_limits,
)
from .runtime import HomeworksQsxRuntime

# Read-only: states are pushed by the backend.
PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class HomeworksQsxSensorEntityDescription(SensorEntityDescription):
    """Describes a sensor of a device."""

    capability: Capability  # created only on a backend that reports it
    zone: int | None = None  # a zone's sensor is named after the zone
    exists_fn: Callable[[DeviceState], bool] = lambda _: True
    value_fn: Callable[[DeviceDescription, DeviceState], float | int | str | None]


@dataclass(frozen=True, kw_only=True)
class HomeworksQsxLinkSensorEntityDescription(SensorEntityDescription):
    """Describes how much of a processor link's capacity is used (P3, M2)."""

    link: int
    # The description, the processor's serial and the link's number.
    value_fn: Callable[[SystemDescription, str, int], int]
    limit_fn: Callable[[tuple[int, int]], int]


def _relay_operations(number: int) -> HomeworksQsxSensorEntityDescription:
    return HomeworksQsxSensorEntityDescription(
        key=f"relay_operations_zone_{number}",
        translation_key="relay_operations",
        zone=number,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        state_class=SensorStateClass.TOTAL_INCREASING,
        capability=Capability.RELAY_COUNTS,
        exists_fn=lambda state: state.zones[number - 1].relay_operations is not None,
        value_fn=lambda _, state: state.zones[number - 1].relay_operations,
    )


DEVICE_DESCRIPTIONS: tuple[HomeworksQsxSensorEntityDescription, ...] = (
    HomeworksQsxSensorEntityDescription(
        key="operating_mode",
        translation_key="operating_mode",
        device_class=SensorDeviceClass.ENUM,
        entity_category=EntityCategory.DIAGNOSTIC,
        options=[mode.value for mode in OperatingMode],
        capability=Capability.MODE,
        value_fn=lambda _, state: state.mode.value,
    ),
    *(_relay_operations(number) for number in range(1, ZONES_PER_MODULE + 1)),
    HomeworksQsxSensorEntityDescription(
        key="load_current",
        translation_key="load_current",
        device_class=SensorDeviceClass.CURRENT,
        entity_category=EntityCategory.DIAGNOSTIC,
        native_unit_of_measurement=UnitOfElectricCurrent.AMPERE,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=2,
        capability=Capability.LOAD_CURRENT,
        value_fn=lambda device, state: state.load_current(device),
    ),
    HomeworksQsxSensorEntityDescription(
        key="temperature",
        translation_key="module_temperature",
        device_class=SensorDeviceClass.TEMPERATURE,
        entity_category=EntityCategory.DIAGNOSTIC,
        native_unit_of_measurement=UnitOfTemperature.CELSIUS,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=1,
        capability=Capability.TEMPERATURE,
        exists_fn=lambda state: state.temperature_c is not None,
        value_fn=lambda _, state: state.temperature_c,
    ),
)


def _link_devices(
    description: SystemDescription, processor: str, link: int
) -> Iterator[DeviceDescription]:
    """Return the devices on one processor's link (link numbers are per processor, P3)."""
    return (
        device for device in description.devices_of(processor) if device.link == link
    )


def _devices_on_link(description: SystemDescription, processor: str, link: int) -> int:
    """Count every device on the link: modules, dimmers, shades, keypads alike (P3)."""
    return sum(1 for _ in _link_devices(description, processor, link))


def _zones_on_link(description: SystemDescription, processor: str, link: int) -> int:
    """Count the zones of the link's devices: a module's four (M2), a dimmer's, a shade's one (P3)."""
    return sum(
        len(device.zones) for device in _link_devices(description, processor, link)
    )


def _link_descriptions(
    link: int,
) -> tuple[HomeworksQsxLinkSensorEntityDescription, ...]:
    return (
        HomeworksQsxLinkSensorEntityDescription(
            key=f"link_{link}_devices",
            translation_key="link_devices",
            translation_placeholders={"link": str(link)},
            entity_category=EntityCategory.DIAGNOSTIC,
            state_class=SensorStateClass.MEASUREMENT,
            link=link,
            value_fn=_devices_on_link,
            limit_fn=lambda limits: limits[0],
        ),
        HomeworksQsxLinkSensorEntityDescription(
            key=f"link_{link}_zones",
            translation_key="link_zones",
            translation_placeholders={"link": str(link)},
            entity_category=EntityCategory.DIAGNOSTIC,
            state_class=SensorStateClass.MEASUREMENT,
            link=link,
            value_fn=_zones_on_link,
            limit_fn=lambda limits: limits[1],
        ),
    )


# Descriptions of every link a processor can have, made once.
LINK_DESCRIPTIONS: dict[int, tuple[HomeworksQsxLinkSensorEntityDescription, ...]] = {
    number: _link_descriptions(number)
    for number in range(1, max(model.link_count for model in ProcessorModel) + 1)
}


def link_descriptions(
    number: int,
) -> tuple[HomeworksQsxLinkSensorEntityDescription, ...]:
    """Return the sensor descriptions of link `number` (a live database may number its links freely)."""
    return LINK_DESCRIPTIONS.get(number) or _link_descriptions(number)


def _device_entities(
    runtime: HomeworksQsxRuntime, device: DeviceDescription
) -> list[SensorEntity]:
    backend = runtime.backend
    state = backend.device_state(device.serial)
    return [
        *(
            HomeworksQsxDeviceSensor(runtime, device, description)
            for description in DEVICE_DESCRIPTIONS
            if supported(runtime, device, description.capability)
            and description.exists_fn(state)
        ),
        *module_energy_entities(runtime, device),
    ]


def _processor_entities(runtime: HomeworksQsxRuntime) -> list[SensorEntity]:
    """Each processor's link sensors on its own device (the entry's own processor first), then the system's power."""
    system = runtime.backend.description
    return [
        *(
            HomeworksQsxLinkSensor(runtime, description, processor.serial)
            for processor in system.processors
            if processor.serial in runtime.processor_serials()
            for link in system.links_of(processor.serial)
            for description in link_descriptions(link.number)
        ),
        *system_energy_entities(runtime),
    ]


async_setup_entry = device_platform_setup(_device_entities, _processor_entities)


class HomeworksQsxDeviceSensor(HomeworksQsxDeviceEntity, SensorEntity):
    """A diagnostic sensor of a device."""

    entity_description: HomeworksQsxSensorEntityDescription

    def __init__(
        self,
        runtime: HomeworksQsxRuntime,
        device: DeviceDescription,
        description: HomeworksQsxSensorEntityDescription,
    ) -> None:
        """Measure `device`; a zone's sensor takes the zone's name, as its switch and energy sensors do."""
        super().__init__(runtime, device, description)
        if description.zone is not None:
            self._attr_translation_placeholders = {
                "zone": device.zone(description.zone).name
            }

    @property
    @override
    def native_value(self) -> float | int | str | None:
        """The sensor's value."""
        return self.entity_description.value_fn(self.device, self.device_state)

    @override
    def _value(self) -> Any:
        return self.native_value


class HomeworksQsxLinkSensor(HomeworksQsxProcessorEntity, SensorEntity):
    """Devices or zones used on one processor link, against the link's limit (P3)."""

    entity_description: HomeworksQsxLinkSensorEntityDescription

    @property
    @override
    def native_value(self) -> int:
        """How many are used."""
        return self.entity_description.value_fn(
            self.runtime.backend.description, self.serial, self.entity_description.link
        )

    @property
    @override
    def extra_state_attributes(self) -> Mapping[str, Any]:
        """The link's limit."""
        return {ATTR_LIMIT: self._limit()}

    def _limit(self) -> int:
        description = self.runtime.backend.description
        link = next(
            link
            for link in description.links_of(self.serial)
            if link.number == self.entity_description.link
        )
        return self.entity_description.limit_fn(
            link_limits(
                description.processor_by_serial(self.serial).model, link.link_type
            )
        )

    @override
    def _value(self) -> Any:
        return self.native_value
