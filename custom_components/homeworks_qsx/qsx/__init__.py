"""Lutron HomeWorks QSX device library: model, emulator and integration protocol.

Nothing in this package imports Home Assistant: it is built and installed on its own as the `pyhomeworksqsx` wheel
(console script `homeworks-qsx`) and ships inside the integration as `custom_components.homeworks_qsx.qsx`.
The names below are its public API; `lip` holds the Lutron Integration Protocol.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .exports import lazy_exports

if TYPE_CHECKING:
    from .backend import QsxBackend
    from .clock import AsyncioScheduler, ManualScheduler, Scheduler, TimerHandle
    from .const import (
        MAX_PULSE_SECONDS,
        MIN_PULSE_SECONDS,
        ZONES_PER_MODULE,
        Button,
        CcoType,
        Fault,
        IgnoredReason,
        IntegrationIdKind,
        LedState,
        LinkType,
        LoadType,
        OperatingMode,
        OverrideLevel,
        ProcessorModel,
    )
    from .description import (
        build_description,
        default_module_serial,
        default_processor_serial,
        derived_serial,
        description_to_dict,
        load_description,
        new_module,
        parse_description,
        save_description,
        validate_description,
    )
    from .emulated_backend import EmulatedBackend
    from .emulator import Emulator
    from .errors import (
        AuthenticationError,
        CommandIgnoredError,
        CommandTimeoutError,
        ConnectionFailedError,
        DescriptionError,
        InvalidDatabaseError,
        LimitError,
        NotSupportedError,
        QsxError,
        UnknownObjectError,
    )
    from .events import Event, EventBus, EventKind, Unsubscribe
    from .model import (
        CcoDescription,
        LinkDescription,
        ModuleDescription,
        ModuleState,
        ProcessorDescription,
        SystemDescription,
        ZoneDescription,
        ZoneState,
    )

_MODULES = {
    "QsxBackend": ".backend",
    "AsyncioScheduler": ".clock",
    "ManualScheduler": ".clock",
    "Scheduler": ".clock",
    "TimerHandle": ".clock",
    "Button": ".const",
    "CcoType": ".const",
    "Fault": ".const",
    "IgnoredReason": ".const",
    "IntegrationIdKind": ".const",
    "LedState": ".const",
    "LinkType": ".const",
    "LoadType": ".const",
    "MAX_PULSE_SECONDS": ".const",
    "MIN_PULSE_SECONDS": ".const",
    "OperatingMode": ".const",
    "OverrideLevel": ".const",
    "ProcessorModel": ".const",
    "ZONES_PER_MODULE": ".const",
    "build_description": ".description",
    "default_module_serial": ".description",
    "default_processor_serial": ".description",
    "derived_serial": ".description",
    "description_to_dict": ".description",
    "load_description": ".description",
    "new_module": ".description",
    "parse_description": ".description",
    "save_description": ".description",
    "validate_description": ".description",
    "EmulatedBackend": ".emulated_backend",
    "Emulator": ".emulator",
    "AuthenticationError": ".errors",
    "CommandIgnoredError": ".errors",
    "CommandTimeoutError": ".errors",
    "ConnectionFailedError": ".errors",
    "DescriptionError": ".errors",
    "InvalidDatabaseError": ".errors",
    "LimitError": ".errors",
    "NotSupportedError": ".errors",
    "QsxError": ".errors",
    "UnknownObjectError": ".errors",
    "Event": ".events",
    "EventBus": ".events",
    "EventKind": ".events",
    "Unsubscribe": ".events",
    "CcoDescription": ".model",
    "LinkDescription": ".model",
    "ModuleDescription": ".model",
    "ModuleState": ".model",
    "ProcessorDescription": ".model",
    "SystemDescription": ".model",
    "ZoneDescription": ".model",
    "ZoneState": ".model",
}
__all__ = [
    "AsyncioScheduler",
    "AuthenticationError",
    "Button",
    "CcoDescription",
    "CcoType",
    "CommandIgnoredError",
    "CommandTimeoutError",
    "ConnectionFailedError",
    "DescriptionError",
    "EmulatedBackend",
    "Emulator",
    "Event",
    "EventBus",
    "EventKind",
    "Fault",
    "IgnoredReason",
    "IntegrationIdKind",
    "InvalidDatabaseError",
    "LedState",
    "LimitError",
    "LinkDescription",
    "LinkType",
    "LoadType",
    "MAX_PULSE_SECONDS",
    "MIN_PULSE_SECONDS",
    "ManualScheduler",
    "ModuleDescription",
    "ModuleState",
    "NotSupportedError",
    "OperatingMode",
    "OverrideLevel",
    "ProcessorDescription",
    "ProcessorModel",
    "QsxBackend",
    "QsxError",
    "Scheduler",
    "SystemDescription",
    "TimerHandle",
    "UnknownObjectError",
    "Unsubscribe",
    "ZONES_PER_MODULE",
    "ZoneDescription",
    "ZoneState",
    "build_description",
    "default_module_serial",
    "default_processor_serial",
    "derived_serial",
    "description_to_dict",
    "load_description",
    "new_module",
    "parse_description",
    "save_description",
    "validate_description",
]

_resolve = lazy_exports(__name__, _MODULES)


def __getattr__(name: str) -> object:
    """Import a public name from its module on first use."""
    return _resolve(name)
