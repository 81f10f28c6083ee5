"""Runtime of a config entry: the backend, its events, persistence, devices and repairs.

The backend pushes every change, so there is nothing to poll: this coordinator only fans the backend's connection
changes and structural events (modules added, removed or changed) out to Home Assistant, keeps an emulated
system's state on disk, raises or clears repair issues, and starts reauthentication when a live processor refuses
the stored credentials on a reconnection.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import device_registry as dr, issue_registry as ir
from homeassistant.helpers.entity import Entity
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.event import async_call_later
from homeassistant.helpers.storage import Store

from .const import (
    CONF_CCI_REPAIR_MINUTES,
    DEFAULT_CCI_REPAIR_MINUTES,
    DOMAIN,
    ISSUE_CCI_OPEN,
    ISSUE_DATABASE_CHANGED,
    LOGGER,
    SAVE_DELAY_SECONDS,
)
from .qsx.backend import QsxBackend
from .qsx.emulated_backend import EmulatedBackend
from .qsx.errors import (
    AuthenticationError,
    CommandIgnoredError,
    CommandTimeoutError,
    ConnectionFailedError,
    QsxError,
)
from .qsx.events import Event, EventKind
from .qsx.lip.server import LipServer
from .qsx.model import ModuleDescription
from .router import EntityRouter

type EntitiesOf = Callable[[ModuleDescription], Iterable[Entity]]
type HomeworksQsxConfigEntry = ConfigEntry[HomeworksQsxData]


@dataclass(kw_only=True)
class HomeworksQsxData:
    """What a loaded config entry keeps at hand."""

    backend: QsxBackend
    coordinator: HomeworksQsxCoordinator
    server: LipServer | None = None
    router: EntityRouter = field(init=False)

    def __post_init__(self) -> None:
        """Route the backend's pushes to the entry's entities."""
        self.router = EntityRouter(self.backend)

    @property
    def emulated(self) -> EmulatedBackend | None:
        """The emulated backend, or None on a live system."""
        return self.backend if isinstance(self.backend, EmulatedBackend) else None

    async def async_stop(self) -> None:
        """Stop everything the entry runs: listeners and timers, the server, the backend (idempotent)."""
        await self.coordinator.async_shutdown()
        if self.server is not None:
            await self.server.stop()
        await self.backend.async_stop()


def cci_issue_id(serial: str) -> str:
    """Return the repair issue id of a module whose CCI stays open."""
    return f"{ISSUE_CCI_OPEN}_{serial}"


def database_issue_id(entry_id: str) -> str:
    """Return the repair issue id of a live processor whose database changed."""
    return f"{ISSUE_DATABASE_CHANGED}_{entry_id}"


class HomeworksQsxCoordinator:
    """Fans the backend's pushes out to Home Assistant for one config entry."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: HomeworksQsxConfigEntry,
        backend: QsxBackend,
        processor_device_id: str,
        *,
        store: Store[dict[str, Any]] | None = None,
    ) -> None:
        """Prepare; nothing is subscribed until `async_start`.

        Args:
            hass: Home Assistant.
            entry: the config entry.
            backend: the started backend.
            processor_device_id: device registry id of the processor (modules are attached to it).
            store: where an emulated system's state is kept; None for a live processor.

        """
        self.hass = hass
        self.entry = entry
        self.backend = backend
        self.processor_device_id = processor_device_id
        self.store = store
        # Per platform: how to add entities, and which entities a module has.
        self._module_platforms: list[
            tuple[AddConfigEntryEntitiesCallback, EntitiesOf]
        ] = []
        self._cci_timers: dict[str, CALLBACK_TYPE] = {}
        self._unsubscribes: list[Callable[[], None]] = []
        self._save_pending = False
        self._database_date = backend.description.database_date
        self._database_changed = False
        self._started = False

    @property
    def processor_serial(self) -> str:
        """Serial number of the processor (identifies its device)."""
        return self.backend.description.processor.serial

    @property
    def cci_repair_seconds(self) -> float:
        """How long a CCI may stay open without an override device before a repair issue is raised."""
        minutes = self.entry.options.get(
            CONF_CCI_REPAIR_MINUTES, DEFAULT_CCI_REPAIR_MINUTES
        )
        return float(minutes) * 60

    @callback
    def async_start(self) -> None:
        """Subscribe to the backend, remove stale devices and look at every module's CCI once."""
        self._started = True
        self._unsubscribes.append(self.backend.subscribe(self._handle_event))
        self._unsubscribes.append(
            self.backend.subscribe_connection(self._handle_connection)
        )
        self._unsubscribes.append(
            self.backend.subscribe_credentials_rejected(
                self._handle_credentials_rejected
            )
        )
        self._async_remove_stale_devices()
        for module in self.backend.description.modules:
            self._async_check_cci(module.serial)

    async def async_shutdown(self) -> None:
        """Stop listening, cancel timers and write an emulated system's state at once."""
        if not self._started:
            return
        self._started = False
        for unsubscribe in self._unsubscribes:
            unsubscribe()
        self._unsubscribes.clear()
        for cancel in self._cci_timers.values():
            cancel()
        self._cci_timers.clear()
        self._module_platforms.clear()
        if self.store is not None:
            self._save_pending = False
            await self.store.async_save(self._async_export())

    # Platforms

    @callback
    def async_add_module_entities(
        self,
        async_add_entities: AddConfigEntryEntitiesCallback,
        entities_of: EntitiesOf,
        processor_entities: Iterable[Entity] = (),
    ) -> None:
        """Add a platform's entities of every module now, and of every module added later, until shutdown.

        The processor's entities of the platform, if any, come first, in the same batch: Home Assistant adds
        each batch in a task of its own.
        """
        entities: list[Entity] = list(processor_entities)
        for module in self.backend.description.modules:
            entities.extend(entities_of(module))
        async_add_entities(entities)
        self._module_platforms.append((async_add_entities, entities_of))

    # Options

    @callback
    def async_options_updated(self) -> None:
        """Apply changed options (the CCI repair threshold) to every module."""
        for cancel in self._cci_timers.values():
            cancel()
        self._cci_timers.clear()
        for module in self.backend.description.modules:
            self._async_check_cci(module.serial)

    # Commands

    async def async_command(
        self,
        serial: str,
        command: Callable[[], Awaitable[None]],
        *,
        obeyed_only: bool = True,
    ) -> None:
        """Run a command for module `serial`, translating refusals and failures for the user.

        With `obeyed_only`, a command the module would ignore now is refused before it is sent.
        """
        module = self.module_description(serial)
        if obeyed_only and (reason := self.backend.module_state(serial).ignored_reason):
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key=f"ignored_{reason.value}",
                translation_placeholders={"module": module.name},
            )
        if not self.backend.connected:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="not_connected",
                translation_placeholders={"module": module.name},
            )
        try:
            await command()
        except CommandIgnoredError as err:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key=f"ignored_{err.reason.value}",
                translation_placeholders={"module": module.name},
            ) from err
        except AuthenticationError as err:
            self.entry.async_start_reauth(self.hass)
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="authentication_failed",
            ) from err
        except (CommandTimeoutError, ConnectionFailedError) as err:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="communication_error",
                translation_placeholders={"module": module.name, "error": str(err)},
            ) from err
        except QsxError as err:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="command_failed",
                translation_placeholders={"module": module.name, "error": str(err)},
            ) from err

    def module_description(self, serial: str) -> ModuleDescription:
        """Return the current description of module `serial`; a translated error if it is gone."""
        try:
            return self.backend.description.module(serial)
        except KeyError as err:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="unknown_module",
                translation_placeholders={"serial": serial},
            ) from err

    # Backend events

    @callback
    def _handle_connection(self, connected: bool) -> None:
        # The backend reports changes only, so each call is a transition worth one log line.
        if connected:
            LOGGER.info("Connection to %s is back", self.entry.title)
            self._async_check_database()
        else:
            LOGGER.info("Connection to %s is lost", self.entry.title)

    @callback
    def _handle_credentials_rejected(self) -> None:
        # The backend has stopped reconnecting: only new credentials (a reauthentication, which reloads the entry)
        # bring the processor back.
        LOGGER.warning("%s rejects the stored login", self.entry.title)
        self.entry.async_start_reauth(self.hass)

    @callback
    def _handle_event(self, event: Event) -> None:
        if self.store is not None:
            self.async_schedule_save()
        if event.serial is None:
            return
        match event.kind:
            case EventKind.CCI:
                self._async_check_cci(event.serial)
            case EventKind.MODULE_ADDED:
                self._async_check_cci(event.serial)
                for async_add_entities, entities_of in list(self._module_platforms):
                    async_add_entities(entities_of(event.value))
            case EventKind.MODULE_REMOVED:
                self._async_forget_module(event.serial)
            case EventKind.MODULE_CHANGED:
                self._async_check_cci(event.serial)
                self._async_update_device(event.value)
                if self.store is None:  # a live processor's database changed
                    self._database_changed = True
            case _:
                pass

    # Persistence of an emulated system

    @callback
    def _async_export(self) -> dict[str, Any]:
        self._save_pending = False
        backend = self.backend
        assert isinstance(backend, EmulatedBackend)
        return {"emulator": backend.emulator.export_state()}

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
        """Remove devices of modules that are no longer part of the system."""
        registry = dr.async_get(self.hass)
        known = {self.processor_serial} | {
            module.serial for module in self.backend.description.modules
        }
        for device in dr.async_entries_for_config_entry(registry, self.entry.entry_id):
            serials = {
                ident for domain, ident in device.identifiers if domain == DOMAIN
            }
            if not serials & known:
                LOGGER.debug("Removing stale device %s", device.name)
                registry.async_remove_device(device.id)

    def _module_device(self, serial: str) -> dr.DeviceEntry | None:
        return dr.async_get(self.hass).async_get_device_by_identifier(
            (DOMAIN, serial), self.entry.entry_id
        )

    @callback
    def _async_forget_module(self, serial: str) -> None:
        if cancel := self._cci_timers.pop(serial, None):
            cancel()
        ir.async_delete_issue(self.hass, DOMAIN, cci_issue_id(serial))
        if device := self._module_device(serial):
            dr.async_get(self.hass).async_remove_device(device.id)

    @callback
    def _async_update_device(self, module: ModuleDescription) -> None:
        if device := self._module_device(module.serial):
            dr.async_get(self.hass).async_update_device(device.id, name=module.name)

    # Repairs

    @callback
    def _async_check_cci(self, serial: str) -> None:
        """Raise a repair issue once a CCI without override device has been open long enough; clear it on close."""
        module = self.backend.description.module(serial)
        state = self.backend.module_state(serial)
        if state.cci_open and module.cci_group is None:
            if serial not in self._cci_timers:
                self._cci_timers[serial] = async_call_later(
                    self.hass,
                    self.cci_repair_seconds,
                    partial(self._async_cci_open_too_long, serial),
                )
            return
        if cancel := self._cci_timers.pop(serial, None):
            cancel()
        ir.async_delete_issue(self.hass, DOMAIN, cci_issue_id(serial))

    @callback
    def _async_cci_open_too_long(self, serial: str, _now: datetime) -> None:
        # Removing the module cancels this timer, so the module is still there.
        del self._cci_timers[serial]
        module = self.backend.description.module(serial)
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            cci_issue_id(serial),
            is_fixable=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key=ISSUE_CCI_OPEN,
            translation_placeholders={
                "module": module.name,
                "minutes": str(round(self.cci_repair_seconds / 60)),
            },
            data={"entry_id": self.entry.entry_id, "serial": serial},
        )

    @callback
    def _async_check_database(self) -> None:
        """After a reconnection, ask for a reload when the processor's database no longer matches ours.

        Modules added or removed were already followed (dynamic devices); modules renamed or changed, or a new
        database altogether, need the entities to be created again.
        """
        if (
            not self._database_changed
            and self.backend.description.database_date == self._database_date
        ):
            return
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            database_issue_id(self.entry.entry_id),
            is_fixable=True,
            severity=ir.IssueSeverity.WARNING,
            translation_key=ISSUE_DATABASE_CHANGED,
            translation_placeholders={"name": self.entry.title},
            data={"entry_id": self.entry.entry_id},
        )
