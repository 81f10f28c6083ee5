"""The runtime of a loaded config entry: its backend and servers, and the supervisor of what follows from them.

The backend pushes every change, so there is nothing to poll (and no `DataUpdateCoordinator`): the runtime is the
backend's one subscriber in Home Assistant. For each change it first does the entry's own work (keeps an emulated
system's state on disk, adds and removes devices, raises or clears repair issues, starts reauthentication when a
live processor refuses the stored credentials), then hands the change to its router, which reaches the entities.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity import Entity
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.storage import Store

from .const import (
    ATTR_ACTION,
    ATTR_BUTTON,
    ATTR_DEVICE_ID,
    ATTR_SERIAL,
    CONF_FAILOVER,
    DOMAIN,
    EVENT_KEYPAD_BUTTON,
    LOGGER,
    STORED_EMULATOR,
    STORED_LEAP_CREDENTIALS,
    STORED_PROCESSOR_LEAP_CREDENTIALS,
)
from .issues import RepairIssues
from .qsx import (
    SAVE_DELAY_SECONDS,
    ButtonAction,
    DeviceDescription,
    EmulatedBackend,
    Event,
    EventKind,
    ProjectServers,
    QsxBackend,
    SystemDescription,
    Unsubscribe,
)
from .qsx.leap import LeapCredentials
from .router import EntityRouter

type EntitiesOf = Callable[[DeviceDescription], Iterable[Entity]]

# Entities a platform adds at once at set-up before the event loop runs again: with every platform adding at once,
# the connection is served every few milliseconds.
ADD_BATCH: Final = 8


@dataclass(slots=True)
class EntityDevices:
    """The devices of one entry's entities: thousands of entities share a few hundred devices."""

    # Per processor serial, the identity of that processor's device.
    processors: dict[str, DeviceInfo] = field(default_factory=dict)
    # Per device serial, the description the device info was made from: a changed one gets a new one.
    devices: dict[str, tuple[DeviceDescription, DeviceInfo]] = field(
        default_factory=dict
    )
    # Per device info (by identity, kept alive here), the id of the device registered from it: Home Assistant
    # would register it again, to the same effect, for each of the device's entities.
    registered: dict[int, tuple[DeviceInfo, str]] = field(default_factory=dict)


type HomeworksQsxConfigEntry = ConfigEntry[HomeworksQsxRuntime]


def hub_serial(entry: ConfigEntry[Any], description: SystemDescription) -> str:
    """Return the serial of the entry's own processor, the one its hub device stands for (LP54).

    The processor whose serial is the entry's unique id; while the entry runs on a failover processor that does
    not name it, still the entry's unique id; else (an entry whose unique id is no serial) the first processor.
    """
    serials = {processor.serial for processor in description.processors}
    if entry.unique_id and (
        entry.unique_id in serials or entry.data.get(CONF_FAILOVER)
    ):
        return entry.unique_id
    return description.processor.serial


class HomeworksQsxRuntime:
    """Everything a loaded config entry runs, from set-up to unload."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: HomeworksQsxConfigEntry,
        backend: QsxBackend,
        processor_device_ids: Mapping[str, str],
        *,
        servers: ProjectServers | None = None,
        store: Store[dict[str, Any]] | None = None,
        leap_credentials: Mapping[str, LeapCredentials] | None = None,
    ) -> None:
        """Hold the started backend; nothing is subscribed until `async_start`.

        Args:
            hass: Home Assistant.
            entry: the config entry.
            backend: the started backend.
            processor_device_ids: per processor serial, the device registry id of that processor (each device is
                attached to its own processor's device); the entry's own processor among them.
            servers: the servers of an emulated project served on the network, each processor's on its own.
            store: where an emulated system's state is kept; None for a live processor.
            leap_credentials: an emulated project's LEAP CAs by processor serial, kept in `store` with its state
                (LP4, LP53).

        """
        self.hass = hass
        self.entry = entry
        self.backend = backend
        self.processor_device_ids = processor_device_ids
        self.servers = servers
        self.store = store
        self.processor_credentials = dict(leap_credentials or {})
        self.router = EntityRouter()
        # Kept as long as the runtime: a reload makes new device descriptions.
        self.entity_devices = EntityDevices()
        self.issues = RepairIssues(hass, entry, backend)
        # Per platform: how to add entities, and which entities a device has.
        self._platforms: list[tuple[AddConfigEntryEntitiesCallback, EntitiesOf]] = []
        self._unsubscribes: list[Unsubscribe] = []
        self._save_pending = False

    @property
    def leap_credentials(self) -> LeapCredentials | None:
        """An emulated system's LEAP CA: its first processor's (each processor has its own, LP53)."""
        return self.processor_credentials.get(self.backend.description.processor.serial)

    @property
    def emulated(self) -> EmulatedBackend | None:
        """The emulated backend, or None on a live system."""
        return self.backend if isinstance(self.backend, EmulatedBackend) else None

    @property
    def processor_serial(self) -> str:
        """Serial number of the entry's own processor (identifies its hub device, whichever processor is in use)."""
        return hub_serial(self.entry, self.backend.description)

    @property
    def processor_device_id(self) -> str:
        """Device registry id of the entry's own processor (the hub device)."""
        return self.processor_device_ids[self.processor_serial]

    def processor_device_id_of(self, device: DeviceDescription) -> str:
        """Device registry id of the processor whose link `device` is on (the hub where it has no device)."""
        # As `SystemDescription.processor_of`: no processor named is the first (over LEAP, the one in use).
        serial = device.processor or self.backend.description.processor.serial
        return self.processor_device_ids.get(serial, self.processor_device_id)

    def processor_serials(self) -> frozenset[str]:
        """Return the serials of the processors that have a device: the entry's own, and every other the project names."""
        return frozenset(self.processor_device_ids)

    @callback
    def async_start(self) -> None:
        """Subscribe to the backend, remove stale devices and look at every module's CCI once."""
        self._unsubscribes = [
            self.backend.subscribe(self._handle_event),
            self.backend.subscribe_connection(self._handle_connection),
            self.backend.subscribe_credentials_rejected(
                self._handle_credentials_rejected
            ),
            self.backend.subscribe_project_changed(self._handle_project_changed),
        ]
        self._async_remove_stale_devices()
        self.issues.async_check_every_cci()
        self._unsubscribes.append(self.issues.async_watch_lutron_caseta())
        self.issues.async_check_processor_in_use(self.processor_serial)

    async def async_stop(self) -> None:
        """Stop everything the entry runs: listeners and timers, the server, the backend (idempotent).

        An emulated system's state is written at once.
        """
        if self._unsubscribes:
            for unsubscribe in self._unsubscribes:
                unsubscribe()
            self._unsubscribes = []
            self.issues.async_cancel()
            self._platforms.clear()
            await self.async_save_now()
        if self.servers is not None:
            await self.servers.async_stop()
        await self.backend.async_stop()

    # Platforms

    async def async_add_device_entities(
        self,
        async_add_entities: AddConfigEntryEntitiesCallback,
        entities_of: EntitiesOf,
        processor_entities: Iterable[Entity] = (),
    ) -> None:
        """Add a platform's entities of every device now, and of those added later, until unload.

        The processor's entities of the platform, if any, come first. Home Assistant adds a batch at once, without
        letting the event loop run: batches of `ADD_BATCH` keep the connection served meanwhile (on a large LEAP
        house, the buttons' event subscriptions are answered while the entities are made, LP39).
        """
        entities: list[Entity] = list(processor_entities)
        for device in self.backend.description.devices:
            entities.extend(entities_of(device))
        self._platforms.append((async_add_entities, entities_of))
        for start in range(0, len(entities), ADD_BATCH):
            if start:
                await asyncio.sleep(0)
            async_add_entities(entities[start : start + ADD_BATCH])

    @callback
    def async_options_updated(self) -> None:
        """Apply changed options (the CCI repair threshold) to every device."""
        self.issues.async_check_every_cci()

    # Backend pushes: the entry's own work first, then the entities.

    @callback
    def _handle_event(self, event: Event) -> None:
        try:
            self._async_follow_event(event)
        finally:
            self.router.async_deliver_event(event)

    @callback
    def _async_follow_event(self, event: Event) -> None:
        self.async_schedule_save()
        if event.serial is None:
            return
        match event.kind:
            case EventKind.BUTTON if isinstance(event.value, ButtonAction):
                self._async_fire_keypad_button(event)
            case EventKind.CCI:
                self.issues.async_check_cci(event.serial)
            case EventKind.DEVICE_ADDED:
                self.issues.async_check_cci(event.serial)
                self._async_add_entities_of(event.value)
            case EventKind.DEVICE_REMOVED:
                self.issues.async_forget_module(event.serial)
                if device := self._device_entry(event.serial):
                    dr.async_get(self.hass).async_remove_device(device.id)
            case EventKind.DEVICE_CHANGED:
                self.issues.async_check_cci(event.serial)
                self._async_device_changed(event.value)
                if self.store is None:  # a live processor's database changed
                    self.issues.async_database_changed()
            case _:
                pass

    @callback
    def _async_fire_keypad_button(self, event: Event) -> None:
        """Tell Home Assistant's bus of a keypad button's event: device triggers and automations hear it there."""
        assert event.serial is not None
        device = self._device_entry(event.serial)
        if device is None:
            return  # a keypad Home Assistant has not registered yet
        self.hass.bus.async_fire(
            EVENT_KEYPAD_BUTTON,
            {
                ATTR_DEVICE_ID: device.id,
                ATTR_SERIAL: event.serial,
                ATTR_BUTTON: event.zone,
                ATTR_ACTION: event.value.value,
            },
        )

    @callback
    def _handle_connection(self, connected: bool) -> None:
        # The backend reports changes only, so each call is a transition worth one log line.
        if connected:
            LOGGER.info("Connection to %s is back", self.entry.title)
            self.issues.async_check_database()
            self.issues.async_check_processor_in_use(self.processor_serial)
        else:
            LOGGER.info("Connection to %s is lost", self.entry.title)
        self.router.async_deliver_connection()

    @callback
    def _async_add_entities_of(
        self, device: DeviceDescription, existing: frozenset[str] = frozenset()
    ) -> None:
        """Add the entities of a device, but those whose unique ids are in `existing`."""
        for async_add_entities, entities_of in list(self._platforms):
            async_add_entities(
                [
                    entity
                    for entity in entities_of(device)
                    if entity.unique_id not in existing
                ]
            )

    @callback
    def _async_device_changed(self, device: DeviceDescription) -> None:
        """Follow a changed device: its name, its outputs added and removed."""
        entry = self._device_entry(device.serial)
        if entry is None:
            return
        dr.async_get(self.hass).async_update_device(entry.id, name=device.name)
        entities = er.async_get(self.hass)
        current = {
            entity.unique_id
            for _, entities_of in self._platforms
            for entity in entities_of(device)
        }
        existing: set[str] = set()
        for entity_entry in er.async_entries_for_device(
            entities, entry.id, include_disabled_entities=True
        ):
            if entity_entry.unique_id in current:
                existing.add(entity_entry.unique_id)
            else:
                entities.async_remove(entity_entry.entity_id)
        self._async_add_entities_of(device, frozenset(existing))

    @callback
    def _handle_project_changed(self) -> None:
        # Names and areas may have changed with the project: a reload makes everything match it again.
        LOGGER.info("The project of %s changed", self.entry.title)
        self.issues.async_database_changed()
        self.issues.async_check_database()

    @callback
    def _handle_credentials_rejected(self) -> None:
        # The backend has stopped reconnecting: only new credentials (a reauthentication, which reloads the entry)
        # bring the processor back.
        LOGGER.warning("%s rejects the stored login", self.entry.title)
        self.entry.async_start_reauth(self.hass)

    # Persistence of an emulated system

    @callback
    def _async_export(self) -> dict[str, Any]:
        self._save_pending = False
        backend = self.backend
        assert isinstance(backend, EmulatedBackend)
        export: dict[str, Any] = {STORED_EMULATOR: backend.emulator.export_state()}
        # The first processor's CA where a one-processor system keeps it, the others' beside it.
        first = backend.description.processor.serial
        others = {
            serial: credentials.to_dict()
            for serial, credentials in self.processor_credentials.items()
            if serial != first
        }
        if (own := self.processor_credentials.get(first)) is not None:
            export[STORED_LEAP_CREDENTIALS] = own.to_dict()
        if others:
            export[STORED_PROCESSOR_LEAP_CREDENTIALS] = others
        return export

    async def async_save_now(self) -> None:
        """Write an emulated system's state at once (before handing out anything its CA signs)."""
        if self.store is not None:
            await self.store.async_save(self._async_export())

    @callback
    def async_schedule_save(self) -> None:
        """Write an emulated system's state within `SAVE_DELAY_SECONDS` (nothing for a live processor)."""
        # A change while a write is already scheduled is picked up by that write: scheduling again would
        # push it back, and a busy system would never be written.
        if self._save_pending or self.store is None:
            return
        self._save_pending = True
        self.store.async_delay_save(self._async_export, SAVE_DELAY_SECONDS)

    # Devices

    @callback
    def _async_remove_stale_devices(self) -> None:
        """Remove the Home Assistant devices of devices that are no longer part of the system."""
        registry = dr.async_get(self.hass)
        description = self.backend.description
        known = self.processor_serials() | {
            device.serial for device in description.devices
        }
        for device in dr.async_entries_for_config_entry(registry, self.entry.entry_id):
            serials = {
                ident for domain, ident in device.identifiers if domain == DOMAIN
            }
            if not serials & known:
                LOGGER.debug("Removing stale device %s", device.name)
                registry.async_remove_device(device.id)

    def _device_entry(self, serial: str) -> dr.DeviceEntry | None:
        return dr.async_get(self.hass).async_get_device_by_identifier(
            (DOMAIN, serial), self.entry.entry_id
        )
