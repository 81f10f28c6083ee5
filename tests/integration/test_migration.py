"""Entries written by the release before the device model: set up by this code, they keep every id and the state.

`fixtures/release/*.json` hold what the release left behind for an emulated, a LIP and a LEAP entry (both LEAP
listings, LP16): the config entry, the device and entity registries, what each entity showed, and the emulated
system's stored state. The entity registry is loaded with the release's entries (the ids a user has), the entries
are set up here, and they must give the same registries (entity ids, unique ids, device identifiers), the same
states, and write the stored state back unchanged.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.homeworks_qsx import button
from custom_components.homeworks_qsx.const import (
    CONF_BACKEND,
    CONF_CA_PEM,
    CONF_CERT_PEM,
    CONF_DESCRIPTION_PATH,
    CONF_HTTP_PORT,
    CONF_KEY_PEM,
    CONF_LIP_PORT,
    DOMAIN,
    BackendType,
)
from custom_components.homeworks_qsx.qsx.emulator.lip.server import LipServer
from custom_components.homeworks_qsx.qsx.leap import Profile
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_HOST
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er

from .conftest import FIXTURES, HOUSE
from .release import entry_from_record, registries, states
from .test_leap import (  # noqa: F401  (the emulated LEAP processor and its fixtures)
    OTHER_HOST,
    EmulatedProcessor,
    credentials,
    fast_leap_timing,
    leap_loopback,
    processor,
    profile,
)

RELEASE = FIXTURES / "release"
PULSE_KEYS = (
    button.PULSE_DESCRIPTION.translation_key,
    button.NAMED_PULSE_DESCRIPTION.translation_key,
)

pytestmark = pytest.mark.usefixtures("entity_registry_enabled_by_default")


def _release(name: str) -> dict[str, Any]:
    record: dict[str, Any] = json.loads((RELEASE / f"{name}.json").read_text())
    return record


def _comparable_states(shown: dict[str, str]) -> dict[str, str]:
    """States that do not depend on the time of the run: no energy reading, no last event."""
    return {
        entity_id: state
        for entity_id, state in shown.items()
        if not entity_id.startswith("event.") and not entity_id.endswith("_energy")
    }


def _renamed_since_release(
    entry: MockConfigEntry, known: dict[str, Any]
) -> dict[str, Any]:
    """Return the release's registries with a deliberate change since: a relay counter is named after its zone.

    ("Zone 1 relay operations" became "Island relay operations", as power and energy sensors were named already;
    entity ids stay.)
    """
    description = entry.runtime_data.backend.description
    entities = []
    for entity in known["entities"]:
        serial, _, key = entity["unique_id"].partition("_")
        if key.startswith("relay_operations_zone_"):
            zone = description.device(serial).zone(int(key.rsplit("_", 1)[1]))
            entity = {**entity, "original_name": f"{zone.name} relay operations"}
        entities.append(entity)
    return {**known, "entities": entities}


# Keys a LEAP entry made from its processor's serial before minor version 1.2.
_SERIAL_KEY = re.compile(r"^[0-9A-F]{8}-(?P<kind>device|area|timeclock)-(?P<id>\d+)")


def _keyed_by_entry_since_release(
    entry: MockConfigEntry, known: dict[str, Any]
) -> dict[str, Any]:
    """Return the release's registries with the second deliberate change: LP51 keys from the entry id (LP54).

    A LEAP entry's devices without a serial, area groups and timeclocks were keyed `<serial>-device-<id>`,
    `<serial>-area-<id>`, `<serial>-timeclock-<id>`; they are `<entry id>_<id>`, `<entry id>-area-<id>`,
    `<entry id>-timeclock-<id>` since, so a failover processor keeps them. Entity ids, names and devices stay.
    """
    if entry.data[CONF_BACKEND] != BackendType.LEAP:
        return known

    def rekey(key: str) -> str:
        if (match := _SERIAL_KEY.match(key)) is None:
            return key
        kind, number = match["kind"], match["id"]
        start = (
            f"{entry.entry_id}_{number}"
            if kind == "device"
            else f"{entry.entry_id}-{kind}-{number}"
        )
        return start + key[match.end() :]

    def identifiers(pairs: list[list[str]]) -> list[list[str]]:
        return sorted([domain, rekey(value)] for domain, value in pairs)

    devices = [
        {
            **device,
            "identifiers": identifiers(device["identifiers"]),
            "via": identifiers(device["via"]),
        }
        for device in known["devices"]
    ]
    entities = [
        {
            **entity,
            "unique_id": rekey(entity["unique_id"]),
            "device": identifiers(entity["device"]),
        }
        for entity in known["entities"]
    ]
    return {
        "devices": sorted(devices, key=lambda device: str(device["identifiers"])),
        "entities": entities,
    }


async def _set_up_and_compare(
    hass: HomeAssistant, release: dict[str, Any], **run: Any
) -> set[str]:
    """Set the release's entry up; return the entity ids new since the release (the CCO pulse buttons)."""
    entry = entry_from_record(release["entry"], **run)
    entry.add_to_hass(hass)
    registry = er.async_get(hass)
    for known in release["registries"]["entities"]:
        domain, object_id = known["entity_id"].split(".", 1)
        registered = registry.async_get_or_create(
            domain,
            known["platform"],
            known["unique_id"],
            suggested_object_id=object_id,
            config_entry=entry,
        )
        assert registered.entity_id == known["entity_id"]
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    found = registries(hass, entry)
    expected = _keyed_by_entry_since_release(
        entry, _renamed_since_release(entry, release["registries"])
    )
    known = {entity["unique_id"] for entity in expected["entities"]}
    new = [entity for entity in found["entities"] if entity["unique_id"] not in known]
    # New since the release: the pulse buttons of momentary CCOs (every module's CCO over LEAP).
    assert all(entity["translation_key"] in PULSE_KEYS for entity in new), new
    found["entities"] = [
        entity for entity in found["entities"] if entity["unique_id"] in known
    ]
    assert found == expected
    assert entry.minor_version == 2
    new_ids = {entity["entity_id"] for entity in new}
    shown = {
        entity_id: state
        for entity_id, state in states(hass, entry).items()
        if entity_id not in new_ids
    }
    assert _comparable_states(shown) == _comparable_states(release["states"])
    return new_ids


async def test_emulated_entry_of_the_release(
    hass: HomeAssistant, hass_storage: dict[str, Any]
) -> None:
    """An emulated entry keeps its devices, entities and state, and its stored state is written back unchanged."""
    release = _release("emulated")
    key = f"{DOMAIN}.{release['entry']['entry_id']}"
    hass_storage[key] = json.loads(json.dumps(release["store"]))
    new = await _set_up_and_compare(
        hass, release, **{CONF_DESCRIPTION_PATH: str(HOUSE)}
    )
    # The kitchen's momentary CCO: its new button says the room once, beside entities that keep theirs.
    assert new == {"button.kitchen_panel_pulse_gate"}
    entry = hass.config_entries.async_get_entry(release["entry"]["entry_id"])
    assert entry is not None
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    assert hass_storage[key]["data"] == release["store"]["data"]


@pytest.mark.usefixtures("fast_live_timing")
async def test_lip_entry_of_the_release(
    hass: HomeAssistant, lip_server: LipServer
) -> None:
    """A LIP entry keeps its devices and entities."""
    await _set_up_and_compare(
        hass,
        _release("lip"),
        **{CONF_LIP_PORT: lip_server.port, CONF_HTTP_PORT: lip_server.http_port},
    )


@pytest.mark.parametrize("profile", [Profile.FULL, Profile.ANONYMOUS])
async def test_leap_entry_of_the_release(
    hass: HomeAssistant,
    processor: EmulatedProcessor,  # noqa: F811  (the fixture imported above)
    profile: Profile,  # noqa: F811
) -> None:
    """LP16: a LEAP entry keeps its module devices (full listing) or area devices (anonymous listing)."""
    certificates = processor.certificates()
    await _set_up_and_compare(
        hass,
        _release(f"leap_{profile.value}"),
        **{
            key: certificates[key] for key in (CONF_KEY_PEM, CONF_CERT_PEM, CONF_CA_PEM)
        },
    )


async def test_leap_keys_move_to_the_entry_id_lp51(
    hass: HomeAssistant,
    processor: EmulatedProcessor,  # noqa: F811  (the fixture imported above)
) -> None:
    """LP51, LP54: a LEAP entry of 1.1 has its keys without a serial rewritten from the processor's serial to its id.

    Devices without a serial, area groups and timeclocks take `<entry id>_<id>`, `<entry id>-area-<id>` and
    `<entry id>-timeclock-<id>`, in device identifiers and entity unique ids alike; entity ids stay; keys by a
    serial (the processor's own entities, a module's) are left as they are.
    """
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id="0A1B2C3D",
        entry_id="01JQSXMIGRATEDENTRY000000",
        minor_version=1,
        data={
            CONF_BACKEND: BackendType.LEAP.value,
            CONF_HOST: OTHER_HOST,  # nothing answers: the entry migrates, then waits for its processor
            **processor.certificates(),
        },
    )
    entry.add_to_hass(hass)
    devices = dr.async_get(hass)
    hub = devices.async_get_or_create(
        config_entry_id=entry.entry_id, identifiers={(DOMAIN, "0A1B2C3D")}
    )
    old_devices = {
        key: devices.async_get_or_create(
            config_entry_id=entry.entry_id,
            identifiers={(DOMAIN, key)},
            via_device_id=hub.id,
        ).id
        for key in (
            "0A1B2C3D-device-57",
            "0A1B2C3D-area-3",
            "0A1B2C3D-timeclock-2",
            "1000ABCD",
        )
    }
    entities = er.async_get(hass)
    old_entities = {
        unique_id: entities.async_get_or_create(
            domain, DOMAIN, unique_id, config_entry=entry
        ).entity_id
        for domain, unique_id in (
            ("light", "0A1B2C3D-device-57_zone_1"),
            ("switch", "0A1B2C3D-area-3_zone_650"),
            ("switch", "0A1B2C3D-timeclock-2_enabled"),
            ("sensor", "0A1B2C3D_link_1_devices"),
            ("light", "1000ABCD_zone_1"),
            ("light", "0A1B2C3D-device-57"),
        )
    }
    assert not await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.SETUP_RETRY
    assert (entry.version, entry.minor_version) == (1, 2)
    new_keys = {
        "0A1B2C3D-device-57": "01JQSXMIGRATEDENTRY000000_57",
        "0A1B2C3D-area-3": "01JQSXMIGRATEDENTRY000000-area-3",
        "0A1B2C3D-timeclock-2": "01JQSXMIGRATEDENTRY000000-timeclock-2",
        "1000ABCD": "1000ABCD",
    }
    for old, device_id in old_devices.items():
        device = devices.async_get(device_id)
        assert isinstance(device, dr.DeviceEntry)
        assert device.identifiers == {(DOMAIN, new_keys[old])}
        assert device.via_device_id == hub.id
    assert {
        entities.async_get(entity_id).unique_id  # type: ignore[union-attr]
        for entity_id in old_entities.values()
    } == {
        "01JQSXMIGRATEDENTRY000000_57_zone_1",
        "01JQSXMIGRATEDENTRY000000-area-3_zone_650",
        "01JQSXMIGRATEDENTRY000000-timeclock-2_enabled",
        "0A1B2C3D_link_1_devices",
        "1000ABCD_zone_1",
        "01JQSXMIGRATEDENTRY000000_57",
    }


@pytest.mark.parametrize("backend", [BackendType.EMULATED, BackendType.LIP])
async def test_other_entries_of_1_1_only_change_version(
    hass: HomeAssistant, backend: BackendType
) -> None:
    """Emulated and LIP entries keep their keys (their devices all have serials): only the minor version moves."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id="0A1B2C3D",
        minor_version=1,
        data={CONF_BACKEND: backend.value, CONF_HOST: OTHER_HOST},
    )
    entry.add_to_hass(hass)
    entities = er.async_get(hass)
    entity = entities.async_get_or_create(
        "switch", DOMAIN, "0A1B2C3D-area-3_zone_650", config_entry=entry
    )
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.minor_version == 2
    assert entities.async_get(entity.entity_id).unique_id == entity.unique_id  # type: ignore[union-attr]


async def test_entry_of_a_newer_version_is_left_alone(hass: HomeAssistant) -> None:
    """An entry a newer version wrote is not set up by this one."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id="0A1B2C3D",
        version=2,
        data={CONF_BACKEND: BackendType.LEAP.value},
    )
    entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.MIGRATION_ERROR
