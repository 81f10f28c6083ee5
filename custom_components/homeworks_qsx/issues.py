"""Repair issues of a config entry, raised and cleared as the system changes (their fix flows are in repairs.py).

Three things need the user: a module whose manual override input (CCI) stays open without an override device, a
live processor whose project database changed under a running entry, and Home Assistant's core `lutron_caseta`
showing the same processor (every zone twice), until that entry is removed or disabled.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any, Final

from homeassistant.config_entries import (
    SIGNAL_CONFIG_ENTRY_CHANGED,
    SOURCE_IGNORE,
    ConfigEntry,
    ConfigEntryChange,
)
from homeassistant.const import CONF_HOST
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.event import async_call_later

from .const import (
    CONF_CCI_REPAIR_MINUTES,
    CONF_FAILOVER,
    CONF_SERIAL,
    DEFAULT_CCI_REPAIR_MINUTES,
    DOMAIN,
    ISSUE_CCI_OPEN,
    ISSUE_DATABASE_CHANGED,
    ISSUE_FAILOVER_IN_USE,
    ISSUE_LUTRON_CASETA,
)
from .qsx import QsxBackend, SystemDescription

if TYPE_CHECKING:
    from .runtime import HomeworksQsxConfigEntry

LUTRON_CASETA_DOMAIN: Final = "lutron_caseta"
MIGRATION_GUIDE_URL: Final = "https://github.com/homeworks-qsx/homeworks-qsx/blob/main/docs/migrating-from-lutron-caseta.md"


def cci_issue_id(serial: str) -> str:
    """Return the repair issue id of a module whose CCI stays open."""
    return f"{ISSUE_CCI_OPEN}_{serial}"


def failover_issue_id(entry_id: str) -> str:
    """Return the repair issue id of an entry running on another processor than its own (LP54)."""
    return f"{ISSUE_FAILOVER_IN_USE}_{entry_id}"


def database_issue_id(entry_id: str) -> str:
    """Return the repair issue id of a live processor whose database changed."""
    return f"{ISSUE_DATABASE_CHANGED}_{entry_id}"


class RepairIssues:
    """Raises and clears the repair issues of one config entry."""

    def __init__(
        self, hass: HomeAssistant, entry: HomeworksQsxConfigEntry, backend: QsxBackend
    ) -> None:
        """Watch the modules of `backend`; the database read at set-up is the reference."""
        self.hass = hass
        self.entry = entry
        self.backend = backend
        self._cci_timers: dict[str, CALLBACK_TYPE] = {}
        self._database_date = backend.description.database_date
        self._database_changed = False

    @property
    def cci_repair_seconds(self) -> float:
        """How long a CCI may stay open without an override device before a repair issue is raised."""
        minutes = self.entry.options.get(
            CONF_CCI_REPAIR_MINUTES, DEFAULT_CCI_REPAIR_MINUTES
        )
        return float(minutes) * 60

    @callback
    def async_check_every_cci(self) -> None:
        """Look at every module's CCI again, with the current threshold."""
        self.async_cancel()
        for module in self.backend.description.modules:
            self.async_check_cci(module.serial)

    @callback
    def async_cancel(self) -> None:
        """Cancel every pending timer (the issues stay)."""
        for cancel in self._cci_timers.values():
            cancel()
        self._cci_timers.clear()

    @callback
    def async_check_cci(self, serial: str) -> None:
        """Raise a repair issue once a CCI without override device has been open long enough; clear it on close."""
        module = self.backend.description.device(serial)
        state = self.backend.device_state(serial)
        if state.cci_open and module.cci_group is None:
            if serial not in self._cci_timers:
                self._cci_timers[serial] = async_call_later(
                    self.hass,
                    self.cci_repair_seconds,
                    partial(self._async_cci_open_too_long, serial),
                )
            return
        self.async_forget_module(serial)

    @callback
    def async_forget_module(self, serial: str) -> None:
        """Drop the timer and the issue of a module whose CCI closed, or which is gone."""
        if cancel := self._cci_timers.pop(serial, None):
            cancel()
        ir.async_delete_issue(self.hass, DOMAIN, cci_issue_id(serial))

    @callback
    def _async_cci_open_too_long(self, serial: str, _now: datetime) -> None:
        # Removing the module cancels this timer, so the module is still there.
        del self._cci_timers[serial]
        module = self.backend.description.device(serial)
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
    def async_check_processor_in_use(self, own: str) -> None:
        """Say so while the entry runs on another processor of its project than its own (`own`), LP54.

        Its own processor stopped answering: someone should look at it. The issue goes once it is in use again.
        """
        in_use = self.backend.description.processor.serial
        issue_id = failover_issue_id(self.entry.entry_id)
        if not self.backend.connected or in_use == own:
            if self.backend.connected:
                ir.async_delete_issue(self.hass, DOMAIN, issue_id)
            return
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            issue_id,
            is_fixable=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key=ISSUE_FAILOVER_IN_USE,
            translation_placeholders={
                "name": self.entry.title,
                "serial": own,
                "in_use": in_use,
            },
        )

    @callback
    def async_database_changed(self) -> None:
        """Note that the live processor changed a module of its database."""
        self._database_changed = True

    @callback
    def async_check_database(self) -> None:
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

    @callback
    def async_watch_lutron_caseta(self) -> CALLBACK_TYPE:
        """Raise or clear the lutron_caseta issue now and whenever a lutron_caseta entry changes, until stopped.

        Stopping (the entry unloads) clears the issue: it is raised again at the next set-up if still true.
        """
        self.async_check_lutron_caseta()
        unsubscribe = async_dispatcher_connect(
            self.hass, SIGNAL_CONFIG_ENTRY_CHANGED, self._async_entry_changed
        )

        @callback
        def stop() -> None:
            unsubscribe()
            ir.async_delete_issue(
                self.hass, DOMAIN, lutron_caseta_issue_id(self.entry.entry_id)
            )

        return stop

    @callback
    def _async_entry_changed(
        self, change: ConfigEntryChange, entry: ConfigEntry
    ) -> None:
        if entry.domain == LUTRON_CASETA_DOMAIN:
            self.async_check_lutron_caseta(
                removed=entry.entry_id if change is ConfigEntryChange.REMOVED else None
            )

    @callback
    def async_check_lutron_caseta(self, removed: str | None = None) -> None:
        """Raise the issue while a lutron_caseta entry (other than `removed`) shows a processor of this project."""
        failover = self.entry.data.get(CONF_FAILOVER, ())
        serials = [
            self.entry.unique_id or "",
            *(processor.serial for processor in self.backend.description.processors),
            *(item[CONF_SERIAL] for item in failover),
        ]
        hosts = [
            str(self.entry.data.get(CONF_HOST, "")),
            *(item[CONF_HOST] for item in failover),
        ]
        issue_id = lutron_caseta_issue_id(self.entry.entry_id)
        other = lutron_caseta_entry(self.hass, serials, hosts, ignore_entry_id=removed)
        if other is None:
            ir.async_delete_issue(self.hass, DOMAIN, issue_id)
            return
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            issue_id,
            is_fixable=False,
            severity=ir.IssueSeverity.WARNING,
            learn_more_url=MIGRATION_GUIDE_URL,
            translation_key=ISSUE_LUTRON_CASETA,
            translation_placeholders={
                "name": self.entry.title,
                "other": other.title,
                "host": str(other.data.get(CONF_HOST, "")),
            },
            data={"entry_id": self.entry.entry_id, "other_entry_id": other.entry_id},
        )


# --------------------------------------------------------------------------------------------------------------
# Beside Home Assistant's core lutron_caseta


def lutron_caseta_issue_id(entry_id: str) -> str:
    """Return the repair issue id of an entry whose processor a lutron_caseta entry also shows."""
    return f"{ISSUE_LUTRON_CASETA}_{entry_id}"


def lutron_caseta_entry(
    hass: HomeAssistant,
    serials: Iterable[str],
    hosts: Iterable[str],
    *,
    ignore_entry_id: str | None = None,
) -> ConfigEntry | None:
    """Return a `lutron_caseta` entry that shows one of these processors, else None.

    It is the same processor when its host is one of `hosts` or its unique id (the processor's serial, in lower case
    hexadecimal digits) is one of `serials`. Entries the user ignored or disabled show nothing, so they do not count.
    """
    wanted_serials = {serial.casefold() for serial in serials if serial}
    wanted_hosts = {host.strip().casefold() for host in hosts if host}
    for entry in hass.config_entries.async_entries(LUTRON_CASETA_DOMAIN):
        if (
            entry.entry_id == ignore_entry_id
            or entry.source == SOURCE_IGNORE
            or entry.disabled_by is not None
        ):
            continue
        host = str(entry.data.get(CONF_HOST, "")).strip().casefold()
        if (entry.unique_id or "").casefold() in wanted_serials or (
            host and host in wanted_hosts
        ):
            return entry
    return None


def lutron_caseta_notice(
    hass: HomeAssistant, host: str, description: SystemDescription
) -> dict[str, Any]:
    """Return what the flow's last step says when lutron_caseta already shows this processor (nothing otherwise).

    The keyword arguments of `async_create_entry`: its translated `description` and the placeholders.
    """
    other = lutron_caseta_entry(
        hass, (processor.serial for processor in description.processors), (host,)
    )
    if other is None:
        return {}
    return {
        "description": ISSUE_LUTRON_CASETA,
        "description_placeholders": {
            "other": other.title,
            "host": str(other.data.get(CONF_HOST, "")),
        },
    }
