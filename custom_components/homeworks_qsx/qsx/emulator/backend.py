"""`QsxBackend` over an in-process `Emulator`: the integration drives the emulated system like a live one."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..backend import QsxBackend
from ..const import Button, Fault, IgnoredReason
from ..errors import CommandIgnoredError
from ..model import Capability, DeviceState, SystemDescription
from . import Emulator


class EmulatedBackend(QsxBackend):
    """A system backed by an `Emulator`; its `events` are the emulator's own bus.

    Commands raise `CommandIgnoredError` when the module ignores them (override, no power, no link, bypass).
    `async_simulate` applies physical conditions (`Emulator.simulate`). Starting marks the backend connected;
    stopping cancels the emulator's timers and marks it disconnected (subscribers stay subscribed: a change made to
    the emulator directly, for example through its LIP server, still reaches them).
    """

    supports_simulation = True
    capabilities = frozenset(Capability)

    def __init__(self, emulator: Emulator) -> None:
        """Wrap `emulator`, sharing its event bus."""
        super().__init__(emulator.events)
        self.emulator = emulator

    @property
    def description(self) -> SystemDescription:
        """The emulated system as it is now."""
        return self.emulator.description

    def device_state(self, serial: str) -> DeviceState:
        """Return the live state of one module; `UnknownObjectError` if unknown."""
        return self.emulator.state(serial)

    async def async_start(self) -> None:
        """Start: the emulator is always reachable, so the backend is connected at once."""
        self._set_connected(True)

    async def async_stop(self) -> None:
        """Stop: cancel the emulator's timers and mark the backend disconnected."""
        self.emulator.close()
        self._set_connected(False)

    @staticmethod
    def _raise_if_ignored(serial: str, reason: IgnoredReason | None) -> None:
        if reason is not None:
            raise CommandIgnoredError(serial, reason)

    async def async_set_zone(self, serial: str, zone: int, on: bool) -> None:
        """Switch a zone; `CommandIgnoredError` when the module ignores it."""
        self._raise_if_ignored(serial, self.emulator.set_zone(serial, zone, on))

    async def async_set_cco(self, serial: str, closed: bool) -> None:
        """Close or open the CCO (a momentary CCO pulses on close); `CommandIgnoredError` when ignored."""
        self._raise_if_ignored(serial, self.emulator.set_cco(serial, closed))

    async def async_pulse_cco(self, serial: str, seconds: float | None = None) -> None:
        """Pulse the CCO; `CommandIgnoredError` when ignored, `ValueError` for a bad duration."""
        self._raise_if_ignored(serial, self.emulator.pulse_cco(serial, seconds))

    async def async_press_button(self, serial: str, button: Button) -> None:
        """Press a button on the module; `CommandIgnoredError` when ignored."""
        self._raise_if_ignored(serial, self.emulator.press_button(serial, button))

    async def async_simulate(
        self, serial: str, fault: Fault, value: bool | float
    ) -> None:
        """Apply a physical condition to a module (`Emulator.simulate`)."""
        self.emulator.simulate(serial, fault, value)

    def diagnostics(self) -> Mapping[str, Any]:
        """Return the connection state, counts (modules, zones on, overrides active...) and processor facts."""
        return {
            "backend": "emulator",
            "connected": self.connected,
            **self.emulator.diagnostics(),
        }
