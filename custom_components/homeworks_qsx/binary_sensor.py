"""Binary sensors of HomeWorks QSX: the manual override input, occupancy, device diagnostics and the processor link.

An occupancy sensor's binary sensor shows its area's occupancy as the processor reports it (LP43, LP44).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, override

from homeassistant.components.binary_sensor import (
    BinarySensorDeviceClass,
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.const import EntityCategory

from .entity import (
    HomeworksQsxDeviceEntity,
    HomeworksQsxProcessorEntity,
    device_platform_setup,
    supported,
)
from .qsx import Capability, DeviceDescription, DeviceState
from .runtime import HomeworksQsxRuntime

# Read-only: states are pushed by the backend.
PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class HomeworksQsxBinarySensorEntityDescription(BinarySensorEntityDescription):
    """Describes a binary sensor of a device."""

    capability: Capability  # created only on a backend that reports it
    exists_fn: Callable[[DeviceState], bool] = lambda _: True
    is_on_fn: Callable[[DeviceState], bool | None]


DEVICE_DESCRIPTIONS: tuple[HomeworksQsxBinarySensorEntityDescription, ...] = (
    HomeworksQsxBinarySensorEntityDescription(
        key="manual_override_input",
        translation_key="manual_override_input",
        device_class=BinarySensorDeviceClass.OPENING,
        capability=Capability.CCI,
        # On: the contact is open, so the module is in manual override (C2).
        is_on_fn=lambda state: state.cci_open,
    ),
    HomeworksQsxBinarySensorEntityDescription(
        key="occupancy",
        translation_key="occupancy",
        device_class=BinarySensorDeviceClass.OCCUPANCY,
        capability=Capability.OCCUPANCY,
        is_on_fn=lambda state: state.occupied,
    ),
    HomeworksQsxBinarySensorEntityDescription(
        key="high_temperature",
        translation_key="high_temperature",
        device_class=BinarySensorDeviceClass.PROBLEM,
        entity_category=EntityCategory.DIAGNOSTIC,
        capability=Capability.TEMPERATURE,
        exists_fn=lambda state: state.temperature_c is not None,
        is_on_fn=lambda state: state.high_temperature,
    ),
    HomeworksQsxBinarySensorEntityDescription(
        key="qs_link",
        translation_key="qs_link",
        device_class=BinarySensorDeviceClass.CONNECTIVITY,
        entity_category=EntityCategory.DIAGNOSTIC,
        capability=Capability.MODE,
        is_on_fn=lambda state: state.link_up,
    ),
)

PROCESSOR_CONNECTIVITY = BinarySensorEntityDescription(
    key="connectivity",
    translation_key="processor_connectivity",
    device_class=BinarySensorDeviceClass.CONNECTIVITY,
    entity_category=EntityCategory.DIAGNOSTIC,
)


def _device_entities(
    runtime: HomeworksQsxRuntime, device: DeviceDescription
) -> list[BinarySensorEntity]:
    backend = runtime.backend
    state = backend.device_state(device.serial)
    return [
        HomeworksQsxDeviceBinarySensor(runtime, device, description)
        for description in DEVICE_DESCRIPTIONS
        if supported(runtime, device, description.capability)
        and description.exists_fn(state)
    ]


def _processor_entities(runtime: HomeworksQsxRuntime) -> list[BinarySensorEntity]:
    return [HomeworksQsxConnectivitySensor(runtime, PROCESSOR_CONNECTIVITY)]


async_setup_entry = device_platform_setup(_device_entities, _processor_entities)


class HomeworksQsxDeviceBinarySensor(HomeworksQsxDeviceEntity, BinarySensorEntity):
    """A binary sensor of a device."""

    entity_description: HomeworksQsxBinarySensorEntityDescription

    @property
    @override
    def is_on(self) -> bool | None:
        """The sensor's value."""
        return self.entity_description.is_on_fn(self.device_state)

    @override
    def _value(self) -> Any:
        return self.is_on


class HomeworksQsxConnectivitySensor(HomeworksQsxProcessorEntity, BinarySensorEntity):
    """Whether the processor's states are current (always, for an emulated system)."""

    @property
    @override
    def available(self) -> bool:
        """Always available: it reports the connection itself."""
        return True

    @property
    @override
    def is_on(self) -> bool:
        """Whether the processor is connected."""
        return self.runtime.backend.connected

    @override
    def _value(self) -> Any:
        return self.is_on
