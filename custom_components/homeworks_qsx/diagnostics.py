"""Diagnostics download of the HomeWorks QSX integration: the system, its state and the connection."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.const import CONF_HOST, CONF_PASSWORD, CONF_USERNAME
from homeassistant.core import HomeAssistant

from .const import CONF_CA_PEM, CONF_CERT_PEM, CONF_DESCRIPTION_PATH, CONF_KEY_PEM
from .qsx.description import description_to_dict
from .qsx.model import (
    ControlType,
    DeviceKind,
    DeviceState,
    OutputDescription,
    ZoneDescription,
)
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


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: HomeworksQsxConfigEntry
) -> dict[str, Any]:
    """Return the system model and state, the connection and the servers' counters; credentials and host redacted."""
    runtime = entry.runtime_data
    backend = runtime.backend
    description = backend.description
    return {
        "entry": {
            "title": entry.title,
            "data": async_redact_data(dict(entry.data), TO_REDACT),
            "options": dict(entry.options),
        },
        "connected": backend.connected,
        "supports_simulation": backend.supports_simulation,
        "capabilities": sorted(backend.capabilities),
        "connection": async_redact_data(dict(backend.diagnostics()), TO_REDACT),
        # Sessions, counters and the pairing window of the served ports; the LEAP CA is never shown.
        "servers": (
            async_redact_data(runtime.servers.diagnostics(), TO_REDACT)
            if runtime.servers is not None
            else None
        ),
        "system": description_to_dict(description),
        "states": {
            module.serial: {
                **asdict(backend.device_state(module.serial)),
                "mode": backend.device_state(module.serial).mode.value,
                "ignored_reason": reason.value
                if (reason := backend.device_state(module.serial).ignored_reason)
                else None,
            }
            for module in description.modules
        },
        "groups": {
            group.serial: {
                "name": group.name,
                "zones": [
                    _listed_output(output, backend.device_state(group.serial))
                    for output in group.outputs
                ],
            }
            for group in description.devices
            if group.kind is DeviceKind.AREA_GROUP
        },
    }
