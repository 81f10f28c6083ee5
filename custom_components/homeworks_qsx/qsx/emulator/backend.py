"""`QsxBackend` over an in-process `Emulator`: the integration drives the emulated system like a live one."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..backend import QsxBackend
from ..const import Button, Fault, Gesture, IgnoredReason, ShadeMove
from ..errors import CommandIgnoredError
from ..model import Capability, DeviceState, SystemDescription
from . import Emulator


class EmulatedBackend(QsxBackend):
    """A system backed by an `Emulator`; its `events` are the emulator's own bus.

    Commands raise `CommandIgnoredError` when the device ignores them (override, no power, no link, bypass).
    `async_simulate` applies physical conditions (`Emulator.simulate`), `async_set_processor_online` cuts a processor
    of the project off the network or brings it back (LP53). Starting marks the backend connected;
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

    def processor_online(self, serial: str) -> bool:
        """Whether a processor of the project is on the network (LP53); `UnknownObjectError` if unknown."""
        return self.emulator.processor_online(serial)

    async def async_set_processor_online(self, serial: str, online: bool) -> None:
        """Put a processor of the project on the network or cut it off (LP53; `Emulator.set_processor_online`)."""
        self.emulator.set_processor_online(serial, online)

    def device_state(self, serial: str) -> DeviceState:
        """Return the live state of one device; `UnknownObjectError` if unknown."""
        return self.emulator.state(serial)

    async def async_start(self) -> None:
        """Start: the emulator is always reachable, so the backend is connected at once; its timeclocks run."""
        self.emulator.start()
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

    async def async_set_level(
        self, serial: str, output: int, level: float, fade_seconds: float | None = None
    ) -> None:
        """Set a dimmed or shade output's level (the target is reported at once); `CommandIgnoredError` if ignored."""
        self._raise_if_ignored(
            serial, self.emulator.set_level(serial, output, level, fade_seconds)
        )

    async def async_set_tilt(self, serial: str, output: int, tilt: float) -> None:
        """Set a shade's tilt; `CommandIgnoredError` when the shade ignores it."""
        self._raise_if_ignored(serial, self.emulator.set_tilt(serial, output, tilt))

    async def async_move_shade(self, serial: str, output: int, move: ShadeMove) -> None:
        """Raise, lower or stop a shade or dimmed output; `CommandIgnoredError` when ignored."""
        self._raise_if_ignored(serial, self.emulator.move(serial, output, move))

    async def async_press_keypad_button(
        self, serial: str, button: int, gesture: Gesture = Gesture.TAP
    ) -> None:
        """Press a keypad button (it runs its programming); `CommandIgnoredError` when the keypad ignores it."""
        self._raise_if_ignored(serial, self.emulator.press(serial, button, gesture))

    async def async_set_indicator(self, serial: str, number: int, on: bool) -> None:
        """Turn a keypad LED on or off; `CommandIgnoredError` when the keypad ignores it."""
        self._raise_if_ignored(serial, self.emulator.set_indicator(serial, number, on))

    async def async_set_timeclock(self, serial: str, enabled: bool) -> None:
        """Enable or disable a timeclock."""
        self._raise_if_ignored(serial, self.emulator.set_timeclock(serial, enabled))

    async def async_simulate(
        self, serial: str, fault: Fault, value: bool | float, *, output: int = 1
    ) -> None:
        """Apply a physical condition to a device (`Emulator.simulate`; `output` for `Fault.MANUAL_LEVEL`)."""
        self.emulator.simulate(serial, fault, value, output=output)

    def diagnostics(self) -> Mapping[str, Any]:
        """Return the connection state, counts (modules, zones on, overrides active...) and processor facts."""
        return {
            "backend": "emulator",
            "connected": self.connected,
            **self.emulator.diagnostics(),
        }
