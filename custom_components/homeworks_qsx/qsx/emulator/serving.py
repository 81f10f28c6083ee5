"""The servers of one emulated system on the network: LIP (with its HTTP port), LEAP and its pairing port.

One composition for every caller (the command line, Home Assistant): all listeners share one socket budget, start
together and stop together.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..leap.pushes import PushForm
from ..lip.protocol import DEFAULT_MAX_SESSIONS
from .leap.pairing_server import PairingServer
from .leap.server import LeapServer
from .limits import SocketBudget
from .lip.server import LipServer

if TYPE_CHECKING:
    from . import Emulator
    from .leap.certs import LeapCredentials
    from .leap.resources import Profile


@dataclass(frozen=True, slots=True)
class LipSettings:
    """How LIP is served: its telnet and HTTP ports and its login."""

    port: int
    http_port: int | None
    username: str
    password: str
    max_sessions: int = DEFAULT_MAX_SESSIONS


@dataclass(frozen=True, slots=True)
class LeapSettings:
    """How LEAP is served: the emulator's CA, the LEAP and pairing ports, the profile offered and the push form."""

    credentials: LeapCredentials
    port: int
    pairing_port: int
    profile: Profile
    push_form: PushForm = PushForm.COLLECTION  # LP23


@dataclass(slots=True)
class EmulatorServers:
    """The servers of an emulated system served on the network: LIP (with HTTP), and LEAP with its pairing port."""

    lip: LipServer | None = None
    leap: LeapServer | None = None
    pairing: PairingServer | None = None

    def _all(self) -> list[LipServer | LeapServer | PairingServer]:
        return [
            server
            for server in (self.lip, self.leap, self.pairing)
            if server is not None
        ]

    async def async_start(self) -> None:
        """Listen on every port; `OSError` (after closing what had started) when one cannot be bound."""
        try:
            for server in self._all():
                await server.start()
        except OSError:
            await self.async_stop()
            raise

    async def async_stop(self) -> None:
        """Close every port and session (idempotent)."""
        for server in self._all():
            await server.stop()

    @property
    def ports(self) -> frozenset[int]:
        """The ports held now."""
        ports: set[int] = set()
        if self.lip is not None:
            ports.update(port for port in (self.lip.port, self.lip.http_port) if port)
        if self.leap is not None:
            ports.add(self.leap.port)
        if self.pairing is not None:
            ports.add(self.pairing.port)
        return frozenset(ports)

    def diagnostics(self) -> dict[str, Any]:
        """Return what each server reports: sessions, counters, the pairing window (never keys or certificates)."""
        return {
            "lip": dict(self.lip.diagnostics()) if self.lip else None,
            "leap": dict(self.leap.diagnostics()) if self.leap else None,
            "pairing": dict(self.pairing.diagnostics()) if self.pairing else None,
        }


def create_servers(
    emulator: Emulator,
    host: str,
    *,
    lip: LipSettings | None,
    leap: LeapSettings | None,
    reply_delay: float = 0.0,
) -> EmulatorServers:
    """Create the servers asked for, on one socket budget; nothing listens yet.

    Raises `ValueError` when neither LIP nor LEAP is asked for, or for settings a server refuses.
    """
    if lip is None and leap is None:
        raise ValueError("neither LIP nor LEAP is served")
    servers = EmulatorServers()
    # Every listener takes its sockets from one budget, so a flood on one port never starves another (limits.py).
    budget = SocketBudget()
    if lip is not None:
        servers.lip = LipServer(
            emulator,
            host,
            lip.port,
            lip.username,
            lip.password,
            http_port=lip.http_port,
            max_sessions=lip.max_sessions,
            reply_delay=reply_delay,
            budget=budget,
        )
    if leap is not None:
        servers.leap = LeapServer(
            emulator,
            leap.credentials,
            host,
            leap.port,
            profile=leap.profile,
            push_form=leap.push_form,
            reply_delay=reply_delay,
            budget=budget,
        )
        servers.pairing = PairingServer(
            leap.credentials, host, leap.pairing_port, budget=budget
        )
    return servers


__all__ = ["EmulatorServers", "LeapSettings", "LipSettings", "create_servers"]
