"""`QsxBackend` over the LEAP client: the integration drives a live QSX processor by its native protocol.

What the application sees (see `docs/leap-client.md`):

- `description`: the processor (serial, model, firmware, MAC, links) and its `devices`: the modules the processor
  describes in full (four zones and a CCO each), plus one area group device per area for the switched and CCO
  zones of anonymous modules (LP16). Zones of other control types are skipped.
- `device_state(serial)`: zone levels and CCO state of a module or a group; what LEAP cannot tell (LP17) keeps the
  defaults and is absent from `capabilities`.
- `capabilities`: zones, CCO open/close and pulse. Not: CCI, buttons, LEDs, mode, temperature, relay counts, load
  current, link and address, CCO type, simulation (`unsupported_reason` says why, fit for a user).
- Commands return once the processor reported the result (LP19's `201` reply); a reply showing the level unchanged
  raises `CommandIgnoredError` with `IgnoredReason.NOT_REPORTED` (LEAP does not say why).
- `connected`, `subscribe_connection`: False within one ping window of a lost link, True again only after every
  state was read again. `subscribe_credentials_rejected`: the processor refused the certificate (pair again).
  `subscribe_project_changed`: a reconnection found another `ProjectModifiedTimestamp` (LP10).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from ..backend import LiveBackend
from ..connection import Timings
from ..const import DEFAULT_PULSE_SECONDS, Button, Fault, check_pulse_seconds
from ..errors import NotSupportedError
from ..model import Capability
from .client import LEAP_TIMINGS, LeapCertificates, LeapClient
from .protocol import LEAP_PORT

LEAP_CAPABILITIES: Final = frozenset(
    {Capability.ZONES, Capability.CCO, Capability.CCO_PULSE}
)
NOT_IN_LEAP: Final = "A HomeWorks QSX processor does not report {what} over LEAP; use the LIP connection or an emulated system"


class LeapBackend(LiveBackend[LeapClient]):
    """A HomeWorks QSX processor reached over LEAP (mutual TLS with the certificates from pairing).

    Args:
        host: processor address.
        certificates: the client key and certificate and the processor's CA, as pairing gave them (PEM text).
        port: LEAP port, 8081 on a processor.
        timings: the client's intervals and timeouts.

    """

    capabilities = LEAP_CAPABILITIES

    def __init__(
        self,
        host: str,
        certificates: LeapCertificates,
        *,
        port: int = LEAP_PORT,
        timings: Timings = LEAP_TIMINGS,
    ) -> None:
        """Prepare the backend; nothing is connected before `async_start()`."""
        super().__init__(LeapClient(host, certificates, port=port, timings=timings))
        self.client.subscribe_project_changed(
            lambda _old, _new: self._project_changed()
        )

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
        return {
            "backend": "leap",
            "capabilities": sorted(self.capabilities),
            **self.client.diagnostics(),
        }
