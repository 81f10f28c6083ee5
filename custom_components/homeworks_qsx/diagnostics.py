"""Diagnostics download of the HomeWorks QSX integration: the system, its state and the connection."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.const import CONF_HOST, CONF_PASSWORD, CONF_USERNAME
from homeassistant.core import HomeAssistant

from .const import CONF_CA_PEM, CONF_CERT_PEM, CONF_DESCRIPTION_PATH, CONF_KEY_PEM
from .qsx.description import description_to_dict
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
                **asdict(backend.module_state(module.serial)),
                "mode": backend.module_state(module.serial).mode.value,
                "ignored_reason": reason.value
                if (reason := backend.module_state(module.serial).ignored_reason)
                else None,
            }
            for module in description.modules
        },
        "groups": {
            group.serial: {
                "name": group.name,
                "zones": [
                    {**asdict(zone), "on": state.on}
                    for zone, state in zip(
                        group.zones,
                        backend.module_state(group.serial).zones,
                        strict=False,
                    )
                ],
            }
            for group in description.groups
        },
    }
