"""`QsxBackend` over the LEAP client: the integration drives a live QSX processor by its native protocol.

What the application sees (see `docs/leap-client.md`):

- `description`: the processor (serial, model, firmware, MAC, links) and its `devices` (`system.py`): switching and
  dimming modules and shades that own their zones (LP51), keypads with their buttons and LEDs, occupancy sensors,
  timeclocks, and one area group device per area for the zones no device owns (LP16). Zones and devices of types
  the model does not have are skipped and counted (LP58).
- `device_state(serial)`: levels, tilt and accuracy, CCO states, LEDs, occupancy, timeclock state; what LEAP cannot
  tell (LP17) keeps the defaults and is absent from `capabilities`.
- `capabilities`: zones, CCO open/close and pulse, levels (dimmed zones and shades), keypads, their LEDs,
  occupancy, timeclocks. Not: a module's CCI, front buttons and LEDs, mode, temperature, relay counts, load
  current, link and address, CCO type, simulation (`unsupported_reason` says why, fit for a user).
- Commands return once the processor reported the result (LP19's `201` reply); a reply showing a switched or dimmed
  level other than the one asked for raises `CommandIgnoredError` with `IgnoredReason.NOT_REPORTED` (LEAP does not
  say why).
- `connected`, `subscribe_connection`: False within one ping window of a lost link, True again only after every
  state was read again.
- Failover (LP53, LP54): given the project's processors as `LeapEndpoint`s, the primary first, the backend moves to
  the next one that answers when the one in use stops answering, reads the system there and subscribes again; with
  the same `key_prefix` every device keeps its key, and a different processor answering `IsThisDevice:true` is not a
  project change. `endpoint` and the diagnostics say which one is in use; it stays on it until it fails. `subscribe_credentials_rejected`: the processor refused the certificate (pair again).
  `subscribe_project_changed`: a reconnection found another `ProjectModifiedTimestamp` (LP10).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final, overload, override

from ..backend import LiveBackend
from ..connection import Timings
from ..const import (
    DEFAULT_PULSE_SECONDS,
    Button,
    Fault,
    Gesture,
    ShadeMove,
    check_pulse_seconds,
)
from ..errors import NotSupportedError, UnknownObjectError
from ..model import Capability
from .client import (
    LEAP_TIMINGS,
    LeapCertificates,
    LeapClient,
    LeapEndpoint,
    as_leap_endpoints,
)
from .protocol import LEAP_PORT

LEAP_CAPABILITIES: Final = frozenset(
    {
        Capability.ZONES,
        Capability.CCO,
        Capability.CCO_PULSE,
        Capability.LEVELS,  # LP24–LP33
        Capability.KEYPAD,  # LP36–LP40
        Capability.INDICATORS,  # LP41, LP42
        Capability.OCCUPANCY,  # LP43
        Capability.TIMECLOCK,  # LP45, LP46
    }
)
NOT_IN_LEAP: Final = "A HomeWorks QSX processor does not report {what} over LEAP; use the LIP connection or an emulated system"


class LeapBackend(LiveBackend[LeapClient]):
    """A HomeWorks QSX processor reached over LEAP (mutual TLS with the certificates from pairing).

    `LeapBackend(endpoints, key_prefix=…)` with the project's processors, the primary first (failover), or
    `LeapBackend(host, certificates, port=…)` for one processor.

    Args:
        endpoints: the processors' `LeapEndpoint`s (address, certificates, serial), the primary first; or the
            address of the only one.
        certificates: with a single address: the client key and certificate and the processor's CA, as pairing
            gave them (PEM text).
        port: with a single address: its LEAP port, 8081 on a processor.
        timings: the client's intervals and timeouts.
        key_prefix: keys devices without a serial, area groups and timeclocks (`LeapClient`, LP51, LP54); None:
            the serial of the first processor connected to.

    """

    capabilities = LEAP_CAPABILITIES

    @overload
    def __init__(
        self,
        endpoints: Sequence[LeapEndpoint],
        /,
        *,
        timings: Timings = LEAP_TIMINGS,
        key_prefix: str | None = None,
    ) -> None: ...

    @overload
    def __init__(
        self,
        endpoints: str,
        certificates: LeapCertificates,
        /,
        *,
        port: int = LEAP_PORT,
        timings: Timings = LEAP_TIMINGS,
        key_prefix: str | None = None,
    ) -> None: ...

    def __init__(
        self,
        endpoints: str | Sequence[LeapEndpoint],
        certificates: LeapCertificates | None = None,
        /,
        *,
        port: int = LEAP_PORT,
        timings: Timings = LEAP_TIMINGS,
        key_prefix: str | None = None,
    ) -> None:
        """Prepare the backend; nothing is connected before `async_start()`."""
        super().__init__(
            LeapClient(
                as_leap_endpoints(endpoints, certificates, port),
                timings=timings,
                key_prefix=key_prefix,
            )
        )
        self.client.subscribe_project_changed(
            lambda _old, _new: self._project_changed()
        )

    @override
    async def async_wait_subscribed(self) -> None:
        """LP39: the buttons' event subscriptions, answered after `async_start` returns."""
        await self.client.wait_subscribed()

    def unsupported_reason(self, capability: Capability) -> str | None:
        """Why LEAP cannot do `capability`, or None when it can."""
        if capability in self.capabilities:
            return None
        return NOT_IN_LEAP.format(what=capability.value.replace("_", " "))

    async def async_set_cco(self, serial: str, closed: bool) -> None:
        """Close or open a module's CCO."""
        await self.client.set_zone(serial, None, closed)

    async def async_pulse_cco(self, serial: str, seconds: float | None = None) -> None:
        """Close a module's CCO, and open it `seconds` later (default 1 s: LEAP does not report the pulse time)."""
        await self.client.pulse_cco(
            serial,
            DEFAULT_PULSE_SECONDS if seconds is None else check_pulse_seconds(seconds),
        )

    async def async_press_button(self, serial: str, button: Button) -> None:
        """LP17: a module's front buttons are not in LEAP; `NotSupportedError`."""
        self.client.state(serial)
        raise NotSupportedError(NOT_IN_LEAP.format(what="module buttons"))

    async def async_set_level(
        self, serial: str, output: int, level: float, fade_seconds: float | None = None
    ) -> None:
        """Set a dimmed zone or a shade to `level` (LP25, LP28, LP31): always as a level, a fade in whole seconds."""
        await self.client.set_level(serial, output, level, fade_seconds)

    async def async_set_tilt(self, serial: str, output: int, tilt: float) -> None:
        """Tilt a `ShadeWithTilt` zone (LP31)."""
        await self.client.set_tilt(serial, output, tilt)

    async def async_move_shade(self, serial: str, output: int, move: ShadeMove) -> None:
        """Raise, lower or stop a shade (LP31); every raise or lower is followed by a stop (LP33)."""
        await self.client.move(serial, output, move)

    async def async_press_keypad_button(
        self, serial: str, button: int, gesture: Gesture = Gesture.TAP
    ) -> None:
        """Press a keypad button (LP40): `PressAndRelease`, `PressAndHold`, `Release` or `MultiTap`."""
        await self.client.press(serial, button, gesture)

    async def async_set_indicator(self, serial: str, number: int, on: bool) -> None:
        """Turn a keypad LED on or off (LP41)."""
        await self.client.set_led(serial, number, on)

    async def async_set_timeclock(self, serial: str, enabled: bool) -> None:
        """Enable or disable a timeclock (LP46)."""
        await self.client.set_timeclock(serial, enabled)

    async def async_simulate(
        self, serial: str, fault: Fault, value: bool | float
    ) -> None:
        """Refuse: simulation needs an emulated system (`NotSupportedError` with the reason)."""
        raise NotSupportedError(
            "Simulation is only possible on an emulated system; a processor reached over LEAP does not report "
            "the CCI, LEDs, power, link, temperature or relay counts a simulation would change"
        )

    def diagnostics(self) -> Mapping[str, Any]:
        """Return the connection state and counters (no key, no certificate)."""
        try:
            in_use: str | None = self.description.processor.serial
        except UnknownObjectError:  # never connected yet
            in_use = None
        return {
            "backend": "leap",
            "capabilities": sorted(self.capabilities),
            **self.client.diagnostics(),
            "processor_in_use": in_use,  # the serial of the processor answering `IsThisDevice:true`
        }
