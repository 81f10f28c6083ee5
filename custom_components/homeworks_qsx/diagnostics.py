"""Diagnostics download of the HomeWorks QSX integration: the whole system (entry), or one device of it.

A module's download holds its description, its state and the loads given for it; an area group's its outputs and
their states; another device's (dimming module, shade, keypad, occupancy sensor, timeclock) its description (outputs,
buttons with their programming, LEDs, schedule) and its state; the processor's the connection, the served ports and
the system without its devices. Credentials, the
host and every certificate are redacted; a device's download never holds more than the entry's.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.const import CONF_HOST, CONF_PASSWORD, CONF_USERNAME
from homeassistant.core import HomeAssistant
from homeassistant.helpers.device_registry import DeviceEntry

from .const import (
    CONF_CA_PEM,
    CONF_CERT_PEM,
    CONF_DESCRIPTION_PATH,
    CONF_FAILOVER,
    CONF_KEY_PEM,
    CONF_SERIAL,
    CONF_ZONE_WATTS,
    DOMAIN,
)
from .qsx import (
    ControlType,
    DeviceDescription,
    DeviceKind,
    DeviceState,
    OutputDescription,
    ProcessorDescription,
    QsxBackend,
    ZoneDescription,
)
from .qsx.emulator.description import description_to_dict, module_to_dict
from .runtime import HomeworksQsxConfigEntry

TO_REDACT = {
    CONF_HOST,
    CONF_PASSWORD,
    CONF_USERNAME,
    CONF_DESCRIPTION_PATH,
    # A LEAP entry's certificates from pairing: never shown, not even the public ones (they identify the system).
    CONF_KEY_PEM,
    CONF_CERT_PEM,
    CONF_CA_PEM,
    "address",
    "peer",
    "user",
}


_MODULE_OR_GROUP = frozenset({DeviceKind.SWITCHING_MODULE, DeviceKind.AREA_GROUP})


def _listed_output(output: OutputDescription, state: DeviceState) -> dict[str, Any]:
    """Return an output an area lists, with its state."""
    return {
        "number": output.number,
        "integration_id": output.integration_id,
        "name": output.name,
        "is_cco": output.control_type is ControlType.CCO,
        "is_light": isinstance(output, ZoneDescription) and output.is_light,
        "on": state.output_on(output.number),
    }


def _device(device: DeviceDescription) -> dict[str, Any]:
    """Return what the description says of a device other than a switching module."""
    return {
        "kind": device.kind.value,
        "serial_number": device.serial_number,
        "integration_id": device.integration_id,
        "name": device.name,
        "area": device.area,
        "model": device.model,
        "link": device.link,
        "address": device.address,
        "capabilities": sorted(device.capabilities),
        "outputs": [
            {
                "number": output.number,
                "integration_id": output.integration_id,
                "name": output.name,
                "control_type": output.control_type.value,
            }
            for output in device.outputs
        ],
        "inputs": [
            {
                "number": item.number,
                "type": item.input_type.value,
                "integration_id": item.integration_id,
                "name": item.name,
                "engraving": item.engraving,
                "programming": None
                if item.programming is None
                else {
                    "model": item.programming.model.value,
                    "targets": [list(target) for target in item.programming.targets],
                },
            }
            for item in device.inputs
        ],
        "indicators": [asdict(indicator) for indicator in device.indicators],
        "schedule": [
            {**asdict(event), "event_type": event.event_type.value}
            for event in device.schedule
        ],
    }


def _processors(entry: HomeworksQsxConfigEntry) -> dict[str, Any]:
    """Return which processor of the project is in use, the entry's own, and those it may fail over to (LP54)."""
    runtime = entry.runtime_data
    description = runtime.backend.description
    return {
        "entry": runtime.processor_serial,
        "in_use": description.processor.serial,
        "project": [processor.serial for processor in description.processors],
        "failover": [
            failover.get(CONF_SERIAL) for failover in entry.data.get(CONF_FAILOVER, ())
        ],
    }


def _other_processor(
    entry: HomeworksQsxConfigEntry, processor: ProcessorDescription
) -> dict[str, Any]:
    """Return what concerns another processor of the project: itself, its links, how many devices it drives."""
    backend = entry.runtime_data.backend
    description = backend.description
    return {
        "processor": {**asdict(processor), "model": processor.model.value},
        "links": [
            {"number": link.number, "link_type": link.link_type.value}
            for link in description.links_of(processor.serial)
        ],
        "devices": len(description.devices_of(processor.serial)),
        "processors": _processors(entry),
        "connected": backend.connected,
    }


def _connection(entry: HomeworksQsxConfigEntry) -> dict[str, Any]:
    """Return the entry (redacted), the link to the processor and the servers' counters."""
    runtime = entry.runtime_data
    backend = runtime.backend
    return {
        "entry": {
            "title": entry.title,
            "data": async_redact_data(dict(entry.data), TO_REDACT),
            "options": dict(entry.options),
        },
        "connected": backend.connected,
        "processors": _processors(entry),
        "supports_simulation": backend.supports_simulation,
        "capabilities": sorted(backend.capabilities),
        "connection": async_redact_data(dict(backend.diagnostics()), TO_REDACT),
        # Sessions, counters and the pairing window of the served ports; the LEAP CA is never shown.
        "servers": (
            async_redact_data(runtime.servers.diagnostics(), TO_REDACT)
            if runtime.servers is not None
            else None
        ),
    }


def _module_state(backend: QsxBackend, serial: str) -> dict[str, Any]:
    state = backend.device_state(serial)
    return {
        **asdict(state),
        "mode": state.mode.value,
        "ignored_reason": reason.value if (reason := state.ignored_reason) else None,
    }


def _device_state(backend: QsxBackend, serial: str) -> dict[str, Any]:
    """Return the state of a device other than a switching module: what its kind has."""
    state = backend.device_state(serial)
    return {
        "zones": [
            {
                "on": zone.on,
                "level": zone.level,
                "tilt": zone.tilt,
                "level_accurate": zone.level_accurate,
            }
            for zone in state.zones
        ],
        "indicators": {
            str(number): led.name.lower() for number, led in state.indicators.items()
        },
        "occupied": state.occupied,
        "timeclock_enabled": state.timeclock_enabled,
    }


def _group(backend: QsxBackend, group: DeviceDescription) -> dict[str, Any]:
    return {
        "name": group.name,
        "zones": [
            _listed_output(output, backend.device_state(group.serial))
            for output in group.outputs
        ],
    }


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: HomeworksQsxConfigEntry
) -> dict[str, Any]:
    """Return the system model and state, the connection and the servers' counters; credentials and host redacted."""
    backend = entry.runtime_data.backend
    description = backend.description
    return {
        **_connection(entry),
        "system": description_to_dict(description),
        "states": {
            module.serial: _module_state(backend, module.serial)
            for module in description.modules
        },
        "groups": {
            group.serial: _group(backend, group)
            for group in description.devices
            if group.kind is DeviceKind.AREA_GROUP
        },
        "devices": {
            device.serial: {
                "device": _device(device),
                "state": _device_state(backend, device.serial),
            }
            for device in description.devices
            if device.kind not in _MODULE_OR_GROUP
        },
    }


async def async_get_device_diagnostics(
    hass: HomeAssistant, entry: HomeworksQsxConfigEntry, device: DeviceEntry
) -> dict[str, Any]:
    """Return what concerns one device: a module or area group, or the processor with the connection."""
    backend = entry.runtime_data.backend
    description = backend.description
    serials = {value for domain, value in device.identifiers if domain == DOMAIN}
    for unit in description.devices:
        if unit.serial not in serials:
            continue
        if unit.kind is DeviceKind.AREA_GROUP:
            return {"group": _group(backend, unit), "connected": backend.connected}
        if unit.kind is not DeviceKind.SWITCHING_MODULE:
            return {
                "device": _device(unit),
                "state": _device_state(backend, unit.serial),
                "connected": backend.connected,
            }
        return {
            "module": module_to_dict(unit),
            "state": _module_state(backend, unit.serial),
            "loads": entry.options.get(CONF_ZONE_WATTS, {}).get(unit.serial, {}),
            "connected": backend.connected,
        }
    runtime = entry.runtime_data
    if runtime.processor_serial not in serials:
        for processor in description.processors:
            if processor.serial in serials:
                return _other_processor(entry, processor)
        # A device the system no longer has (a module removed while Home Assistant was stopped).
        return {"in_system": False}
    system = description_to_dict(description)
    del system["modules"]
    return {
        **_connection(entry),
        "system": system,
        "modules": len(description.modules),
        "groups": sum(
            1 for unit in description.devices if unit.kind is DeviceKind.AREA_GROUP
        ),
    }
