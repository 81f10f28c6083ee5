"""The Lutron HomeWorks QSX integration: a live processor over LEAP or LIP, or the embedded emulator."""

from __future__ import annotations

from collections.abc import Callable
import contextlib
import re
from typing import Any

from homeassistant.const import EVENT_HOMEASSISTANT_STOP, Platform
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.exceptions import (
    ConfigEntryAuthFailed,
    ConfigEntryError,
    ConfigEntryNotReady,
)
from homeassistant.helpers import (
    config_validation as cv,
    device_registry as dr,
    entity_registry as er,
)
from homeassistant.helpers.storage import Store
from homeassistant.helpers.typing import ConfigType

from .backends import (
    async_build_description,
    create_emulator,
    create_leap_backend,
    create_live_backend,
    create_servers,
    restore_emulator,
    serves_leap,
    stored_leap_credentials,
)
from .const import (
    CONF_BACKEND,
    CONF_PROJECT_PROCESSORS,
    CONF_SERVE,
    DOMAIN,
    LOGGER,
    STORAGE_VERSION,
    STORED_EMULATOR,
    BackendType,
)
from .entity import other_processor_device_info, processor_device_info
from .qsx import (
    AuthenticationError,
    ConnectionFailedError,
    EmulatedBackend,
    InvalidDatabaseError,
    ProjectServers,
    QsxBackend,
    QsxError,
)
from .qsx.leap import LeapCredentials
from .runtime import HomeworksQsxConfigEntry, HomeworksQsxRuntime, hub_serial
from .services import async_setup_services

CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)

PLATFORMS = [
    Platform.BINARY_SENSOR,
    Platform.BUTTON,
    Platform.COVER,
    Platform.EVENT,
    Platform.LIGHT,
    Platform.SENSOR,
    Platform.SWITCH,
]


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the integration's actions."""
    async_setup_services(hass)
    return True


def _store(
    hass: HomeAssistant, entry: HomeworksQsxConfigEntry
) -> Store[dict[str, Any]]:
    return Store(hass, STORAGE_VERSION, f"{DOMAIN}.{entry.entry_id}")


def _invalid_entry_data(error: str) -> ConfigEntryError:
    """Return the error of entry data that cannot describe a system (setting it up again will not help)."""
    return ConfigEntryError(
        translation_domain=DOMAIN,
        translation_key="invalid_entry_data",
        translation_placeholders={"error": error},
    )


def _processor_device_ids(
    hass: HomeAssistant, entry: HomeworksQsxConfigEntry, backend: QsxBackend
) -> dict[str, str]:
    """Register every processor's device first: the devices of the project are attached to their own by its id.

    The entry's own processor is the hub device, identified by the entry's processor serial whichever processor
    is in use (LP54); every other processor of the project with a serial is a device of its own (P4, LP52).
    """
    registry = dr.async_get(hass)
    description = backend.description
    serial = hub_serial(entry, description)
    own = next((p for p in description.processors if p.serial == serial), None)
    ids = {
        serial: registry.async_get_or_create(
            config_entry_id=entry.entry_id,
            **processor_device_info(entry, serial, own),
        ).id
    }
    for processor in description.processors:
        if processor.serial and processor.serial not in ids:
            ids[processor.serial] = registry.async_get_or_create(
                config_entry_id=entry.entry_id,
                **other_processor_device_info(processor),
            ).id
    return ids


async def _async_setup_emulated(
    hass: HomeAssistant, entry: HomeworksQsxConfigEntry
) -> HomeworksQsxRuntime:
    """Start the emulated system from its stored state (or from the entry on first start), and serve it."""
    store = _store(hass, entry)
    stored = await store.async_load()
    try:
        if stored is not None:
            emulator = restore_emulator(stored[STORED_EMULATOR])
            credentials = stored_leap_credentials(
                stored, emulator.description.processor.serial
            )
        else:
            emulator = create_emulator(await async_build_description(hass, entry.data))
            credentials = {}
    except (QsxError, KeyError, TypeError, ValueError) as err:
        raise ConfigEntryError(
            translation_domain=DOMAIN,
            translation_key="invalid_stored_system",
            translation_placeholders={"error": str(err)},
        ) from err
    serving = bool(entry.data.get(CONF_SERVE))
    new_credentials = False
    if serving and serves_leap(entry.data):
        # LP4, LP53: each processor's CA is created on the first start served over LEAP, then kept with the state.
        for processor in emulator.description.processors:
            if processor.serial not in credentials:
                credentials[processor.serial] = await hass.async_add_executor_job(
                    LeapCredentials.generate
                )
                new_credentials = True
    backend = EmulatedBackend(emulator)
    await backend.async_start()
    servers: ProjectServers | None = None
    if serving:
        try:
            servers = create_servers(emulator, entry.data, credentials)
        except (KeyError, ValueError) as err:
            await backend.async_stop()
            raise _invalid_entry_data(str(err)) from err
        try:
            await servers.async_start()
        except OSError as err:
            await backend.async_stop()
            raise ConfigEntryNotReady(
                translation_domain=DOMAIN,
                translation_key="cannot_serve",
                translation_placeholders={"error": str(err)},
            ) from err
    runtime = HomeworksQsxRuntime(
        hass,
        entry,
        backend,
        _processor_device_ids(hass, entry, backend),
        servers=servers,
        store=store,
        leap_credentials=credentials,
    )
    if stored is None or new_credentials:
        # A new system is written as a change would be, after the set-up: nothing in it waits for the disk,
        # and an unload or a stop writes it at once.
        runtime.async_schedule_save()
    return runtime


async def _async_setup_live(
    hass: HomeAssistant, entry: HomeworksQsxConfigEntry
) -> HomeworksQsxRuntime:
    """Connect to the live processor (LIP or LEAP) and read its database and states."""
    try:
        backend: QsxBackend = (
            create_leap_backend(
                entry.data, serial=entry.unique_id, key_prefix=entry.entry_id
            )
            if entry.data[CONF_BACKEND] == BackendType.LEAP
            else create_live_backend(hass, entry.data)
        )
    except (KeyError, TypeError, ValueError) as err:
        raise _invalid_entry_data(str(err)) from err
    try:
        await backend.async_start()
    except AuthenticationError as err:
        await backend.async_stop()
        raise ConfigEntryAuthFailed(
            translation_domain=DOMAIN,
            translation_key="authentication_failed",
        ) from err
    except InvalidDatabaseError as err:
        await backend.async_stop()
        raise ConfigEntryNotReady(
            translation_domain=DOMAIN,
            translation_key="invalid_database",
            translation_placeholders={"error": str(err)},
        ) from err
    except (ConnectionFailedError, QsxError, OSError) as err:
        await backend.async_stop()
        raise ConfigEntryNotReady(
            translation_domain=DOMAIN,
            translation_key="cannot_connect",
            translation_placeholders={"error": str(err)},
        ) from err
    return HomeworksQsxRuntime(
        hass, entry, backend, _processor_device_ids(hass, entry, backend)
    )


@callback
def _async_note_project_processors(
    hass: HomeAssistant, entry: HomeworksQsxConfigEntry, runtime: HomeworksQsxRuntime
) -> None:
    """Keep the serials of every processor of the project in the entry (LP54): zeroconf recognises them by it."""
    serials = list(
        dict.fromkeys(
            [runtime.processor_serial]
            + [p.serial for p in runtime.backend.description.processors if p.serial]
        )
    )
    if entry.data.get(CONF_PROJECT_PROCESSORS) != serials:
        hass.config_entries.async_update_entry(
            entry, data={**entry.data, CONF_PROJECT_PROCESSORS: serials}
        )


async def async_migrate_entry(
    hass: HomeAssistant, entry: HomeworksQsxConfigEntry
) -> bool:
    """Move an entry written by an older version to this one's data and keys.

    1.1 → 1.2: a LEAP entry's devices without a serial, area groups and timeclocks were keyed by the processor's
    serial; they are keyed by the entry id since (LP51, LP54), so that a failover processor keeps every identity.
    Their device identifiers and entity unique ids are rewritten, so entity ids, names and settings stay.
    """
    # Home Assistant asks only for entries older than the flow's version (1.2), and refuses newer ones itself.
    if entry.data.get(CONF_BACKEND) == BackendType.LEAP and entry.unique_id:
        _async_migrate_leap_keys(hass, entry, entry.unique_id)
    hass.config_entries.async_update_entry(entry, minor_version=2)
    return True


def _lp51_key(entry_id: str, old_prefix: str) -> Callable[[str], str | None]:
    """Return what rewrites a key made with `old_prefix` (a serial) to the LP51 key of the entry; None for others."""
    pattern = re.compile(
        rf"^{re.escape(old_prefix)}-(device|area|timeclock)-(\d+)(?=_|$)"
    )

    def new_key(key: str) -> str | None:
        if (match := pattern.match(key)) is None:
            return None
        kind, number = match.groups()
        prefix = (
            f"{entry_id}_{number}"
            if kind == "device"
            else f"{entry_id}-{kind}-{number}"
        )
        return prefix + key[match.end() :]

    return new_key


@callback
def _async_migrate_leap_keys(
    hass: HomeAssistant, entry: HomeworksQsxConfigEntry, old_prefix: str
) -> None:
    """Rewrite the entry's device identifiers and entity unique ids from processor-serial keys to LP51 keys."""
    new_key = _lp51_key(entry.entry_id, old_prefix)
    devices = dr.async_get(hass)
    for device in dr.async_entries_for_config_entry(devices, entry.entry_id):
        identifiers = {
            (domain, new_key(value) or value) if domain == DOMAIN else (domain, value)
            for domain, value in device.identifiers
        }
        if identifiers != device.identifiers:
            devices.async_update_device(device.id, new_identifiers=identifiers)
    entities = er.async_get(hass)
    for entity in er.async_entries_for_config_entry(entities, entry.entry_id):
        if (unique_id := new_key(entity.unique_id)) is not None:
            entities.async_update_entity(entity.entity_id, new_unique_id=unique_id)


async def async_setup_entry(
    hass: HomeAssistant, entry: HomeworksQsxConfigEntry
) -> bool:
    """Set up a HomeWorks QSX system from a config entry."""
    match entry.data.get(CONF_BACKEND):
        case BackendType.EMULATED:
            runtime = await _async_setup_emulated(hass, entry)
        case BackendType.LIP | BackendType.LEAP:
            runtime = await _async_setup_live(hass, entry)
        case other:
            raise _invalid_entry_data(f"backend: {other}")
    entry.runtime_data = runtime
    _async_note_project_processors(hass, entry, runtime)
    runtime.async_start()

    async def _async_stop(_event: Event) -> None:
        # Home Assistant does not unload entries when it stops: close the sockets here.
        await runtime.async_stop()

    entry.async_on_unload(
        hass.bus.async_listen_once(EVENT_HOMEASSISTANT_STOP, _async_stop)
    )
    entry.async_on_unload(entry.add_update_listener(_async_options_updated))
    try:
        await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    except BaseException:
        await runtime.async_stop()
        raise
    # LP39: the entry is set up once keypads' events are heard; their subscriptions went on while entities were made.
    with contextlib.suppress(QsxError):  # a link lost meanwhile comes back by itself
        await runtime.backend.async_wait_subscribed()
    return True


async def _async_options_updated(
    hass: HomeAssistant, entry: HomeworksQsxConfigEntry
) -> None:
    """Apply new options without a reload."""
    entry.runtime_data.async_options_updated()


async def async_unload_entry(
    hass: HomeAssistant, entry: HomeworksQsxConfigEntry
) -> bool:
    """Unload a config entry: every task stops and every port closes."""
    if unload_ok := await hass.config_entries.async_unload_platforms(entry, PLATFORMS):
        await entry.runtime_data.async_stop()
    return unload_ok


async def async_remove_entry(
    hass: HomeAssistant, entry: HomeworksQsxConfigEntry
) -> None:
    """Forget an emulated system's stored state when its entry is deleted."""
    if entry.data.get(CONF_BACKEND) == BackendType.EMULATED:
        await _store(hass, entry).async_remove()


async def async_remove_config_entry_device(
    hass: HomeAssistant, entry: HomeworksQsxConfigEntry, device: dr.DeviceEntry
) -> bool:
    """Let the user delete a device only when it is no longer part of the system."""
    runtime = entry.runtime_data
    serials = {ident for domain, ident in device.identifiers if domain == DOMAIN}
    current = runtime.processor_serials() | {
        device.serial for device in runtime.backend.description.devices
    }
    removable = not serials & current
    LOGGER.debug("Device %s removable: %s", device.name, removable)
    return removable
