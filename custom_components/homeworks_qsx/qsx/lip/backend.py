"""`QsxBackend` over the LIP client: the integration drives a live processor as it drives the emulator."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import aiohttp

from ..backend import EVERYTHING_BUT_SIMULATION, LiveBackend
from ..connection import Timings
from ..const import Button, Gesture, ShadeMove
from ..errors import NotSupportedError
from ..model import Capability
from .client import LIP_TIMINGS, LipClient


class LipBackend(LiveBackend[LipClient]):
    """A HomeWorks processor reached over the Lutron Integration Protocol.

    The model is the client's: states are read at connection and kept current from the processor's reports;
    relay operation counts and temperatures are not known (None). Simulation is refused
    (`NotSupportedError`): a live system's wires cannot be cut from here. A reconnection refused for the
    credentials stops the reconnection attempts and is reported to `subscribe_credentials_rejected` listeners.

    Args:
        host: processor address.
        port: LIP (telnet) port, 23 on a real processor.
        username: LIP user name.
        password: LIP password.
        http_port: port serving `DbXmlInfo.xml`, 80 on a real processor.
        session: the caller's aiohttp session (Home Assistant's shared one).
        timings: the client's intervals and timeouts.
        failover_hosts: the addresses of the project's other processors (P4, LP53), on the same ports and login: when
            the one in use stops answering, the client moves to the next that answers, keeping every key.

    """

    # LIP reports no relay counts and no temperature; this dialect has no timeclock command (docs/lip.md).
    capabilities = EVERYTHING_BUT_SIMULATION - {
        Capability.TEMPERATURE,
        Capability.RELAY_COUNTS,
        Capability.TIMECLOCK,
    }

    def __init__(
        self,
        host: str,
        port: int,
        username: str,
        password: str,
        *,
        session: aiohttp.ClientSession,
        http_port: int = 80,
        timings: Timings = LIP_TIMINGS,
        failover_hosts: Sequence[str] = (),
    ) -> None:
        """Prepare the backend; nothing is connected before `async_start()`."""
        super().__init__(
            LipClient(
                host,
                port,
                username,
                password,
                session=session,
                http_port=http_port,
                timings=timings,
                failover_hosts=failover_hosts,
            )
        )

    async def async_set_cco(self, serial: str, closed: bool) -> None:
        """Close or open the CCO (a momentary CCO pulses on close)."""
        await self.client.set_cco(serial, closed)

    async def async_pulse_cco(self, serial: str, seconds: float | None = None) -> None:
        """Pulse the CCO; `ValueError` for a duration outside 0.25-3600 s."""
        await self.client.pulse_cco(serial, seconds)

    async def async_press_button(self, serial: str, button: Button) -> None:
        """Press a button on the module."""
        await self.client.press_button(serial, button)

    async def async_set_level(
        self, serial: str, output: int, level: float, fade_seconds: float | None = None
    ) -> None:
        """Set a dimmed zone or a shade to `level` 0..100, with a fade (H1)."""
        await self.client.set_level(serial, output, level, fade_seconds)

    async def async_set_tilt(self, serial: str, output: int, tilt: float) -> None:
        """Refuse: LIP as this project speaks it carries no shade tilt (H2)."""
        raise NotSupportedError("LIP carries no shade tilt: set it over LEAP")

    async def async_move_shade(self, serial: str, output: int, move: ShadeMove) -> None:
        """Raise, lower or stop a shade or a dimmed zone (H2); follow a raise or lower with a stop (LP33)."""
        await self.client.move_shade(serial, output, move)

    async def async_press_keypad_button(
        self, serial: str, button: int, gesture: Gesture = Gesture.TAP
    ) -> None:
        """Press a keypad button as a person would (H3): it runs the button's programming."""
        await self.client.press_keypad_button(serial, button, gesture)

    async def async_set_indicator(self, serial: str, number: int, on: bool) -> None:
        """Turn a keypad LED on or off (H5); programming may change it later (LP42)."""
        await self.client.set_indicator(serial, number, on)

    def diagnostics(self) -> Mapping[str, Any]:
        """Return the connection state and counters (no credentials)."""
        return {"backend": "lip", **self.client.diagnostics()}
