"""Repair issues of a config entry, raised and cleared as the system changes (their fix flows are in repairs.py).

Two things need the user: a module whose manual override input (CCI) stays open without an override device, and a
live processor whose project database changed under a running entry.
"""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.event import async_call_later

from .const import (
    CONF_CCI_REPAIR_MINUTES,
    DEFAULT_CCI_REPAIR_MINUTES,
    DOMAIN,
    ISSUE_CCI_OPEN,
    ISSUE_DATABASE_CHANGED,
)
from .qsx import QsxBackend

if TYPE_CHECKING:
    from .runtime import HomeworksQsxConfigEntry


def cci_issue_id(serial: str) -> str:
    """Return the repair issue id of a module whose CCI stays open."""
    return f"{ISSUE_CCI_OPEN}_{serial}"


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
