"""What an entry of the current release leaves behind: its config entry, registries, states and stored state.

The migration test compares a set-up by this code against what the release wrote (`fixtures/release/*.json`).
"""

from __future__ import annotations

from typing import Any, Final

from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.homeworks_qsx.const import (
    CONF_CA_PEM,
    CONF_CERT_PEM,
    CONF_DESCRIPTION_PATH,
    CONF_HTTP_PORT,
    CONF_KEY_PEM,
    CONF_LIP_PORT,
    DOMAIN,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er

# Entry data that differs from one run to the next: replaced by a placeholder in a fixture, filled in at load.
RUN_DEPENDENT: Final = (
    CONF_KEY_PEM,
    CONF_CERT_PEM,
    CONF_CA_PEM,
    CONF_LIP_PORT,
    CONF_HTTP_PORT,
    CONF_DESCRIPTION_PATH,
)
PLACEHOLDER: Final = "<run>"


def _identifiers(device: dr.AnyDeviceEntry | None) -> list[list[str]]:
    if device is None:
        return []
    return sorted([domain, ident] for domain, ident in device.identifiers)


def registries(hass: HomeAssistant, entry: MockConfigEntry) -> dict[str, Any]:
    """Return the entry's devices and entities, keyed by what stays the same for a user."""
    devices = dr.async_get(hass)
    by_id = {
        device.id: device
        for device in dr.async_entries_for_config_entry(devices, entry.entry_id)
    }
    return {
        "devices": sorted(
            (
                {
                    "identifiers": _identifiers(device),
                    "name": device.name,
                    "model": device.model,
                    "model_id": device.model_id,
                    "serial_number": device.serial_number,
                    "hw_version": device.hw_version,
                    "via": _identifiers(
                        devices.async_get(device.via_device_id)
                        if device.via_device_id
                        else None
                    ),
                }
                for device in by_id.values()
            ),
            key=lambda device: str(device["identifiers"]),
        ),
        "entities": sorted(
            (
                {
                    "entity_id": entity.entity_id,
                    "unique_id": entity.unique_id,
                    "platform": entity.platform,
                    "device": _identifiers(by_id.get(entity.device_id or "")),
                    "original_name": entity.original_name,
                    "translation_key": entity.translation_key,
                    "entity_category": entity.entity_category,
                    "disabled_by": entity.disabled_by,
                }
                for entity in er.async_entries_for_config_entry(
                    er.async_get(hass), entry.entry_id
                )
            ),
            key=lambda entity: str(entity["entity_id"]),
        ),
    }


def states(hass: HomeAssistant, entry: MockConfigEntry) -> dict[str, str]:
    """Return what each of the entry's entities shows (event entities: whether one was seen)."""
    shown: dict[str, str] = {}
    for entity in er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id):
        state = hass.states.get(entity.entity_id)
        if state is None:
            continue
        shown[entity.entity_id] = (
            state.state if entity.domain != "event" else str(state.state != "unknown")
        )
    return shown


def entry_record(entry: MockConfigEntry) -> dict[str, Any]:
    """Return a config entry as it is stored, run-dependent values replaced."""
    return {
        "entry_id": entry.entry_id,
        "title": entry.title,
        "unique_id": entry.unique_id,
        "version": entry.version,
        "minor_version": entry.minor_version,
        "data": {
            key: PLACEHOLDER if key in RUN_DEPENDENT else value
            for key, value in entry.data.items()
        },
        "options": dict(entry.options),
    }


def entry_from_record(record: dict[str, Any], **run: Any) -> MockConfigEntry:
    """Return the config entry a fixture recorded, with this run's values for the run-dependent ones."""
    data = dict(record["data"])
    for key in RUN_DEPENDENT:
        if data.get(key) == PLACEHOLDER:
            data[key] = run[key]
    return MockConfigEntry(
        domain=DOMAIN,
        entry_id=record["entry_id"],
        title=record["title"],
        unique_id=record["unique_id"],
        version=record["version"],
        minor_version=record["minor_version"],
        data=data,
        options=record["options"],
    )
