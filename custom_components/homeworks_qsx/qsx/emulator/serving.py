"""The servers of an emulated project on the network: per processor, LIP (with its HTTP port), LEAP and pairing.

One composition for every caller (the command line, Home Assistant). A project of several processors (P4, LP53) is
served as several real processors would be: each processor on its own bind (address and ports) with its own LEAP
CA, its servers told which processor they are (`this_processor`), answering for the whole project. Each
processor's listeners share one socket budget, start together and stop together. While a processor is cut off the
network (`Fault.PROCESSOR`, `EventKind.PROCESSOR` False) its sessions end and new connections fail: its LEAP and
pairing listeners are closed here (connections refused) and listen again, on the same ports, when it comes back;
its LIP server, which knows its processor, ends its LIP sessions and closes new LIP and HTTP connections itself.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
import logging
from typing import TYPE_CHECKING, Any

from ..events import Event, EventKind, Unsubscribe
from ..leap.protocol import LEAP_PORT, PAIRING_PORT
from ..leap.pushes import PushForm
from ..lip.protocol import DEFAULT_MAX_SESSIONS, EMULATOR_HTTP_PORT, EMULATOR_LIP_PORT
from .leap.pairing_server import PairingServer
from .leap.server import LeapServer
from .limits import DEFAULT_HOST, PORT_STEP, SocketBudget
from .lip.server import LipServer

if TYPE_CHECKING:
    from ..model import SystemDescription
    from . import Emulator
    from .leap.certs import LeapCredentials
    from .leap.resources import Profile

_LOGGER = logging.getLogger(__name__)


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


class EmulatorServers:
    """The servers of one processor of an emulated project: LIP (with HTTP), and LEAP with its pairing port.

    `processor` is the serial of the processor they are. While it is cut off the network (LP53) its LEAP and pairing
    listeners are closed (sessions end, connections are refused) and listen again on the same ports when it comes
    back; if a port was taken meanwhile, that is logged and counted and LEAP stays unreachable until its next return.
    Its LIP server follows its processor itself (it ends its sessions and closes new connections meanwhile).
    """

    def __init__(
        self,
        emulator: Emulator,
        processor: str,
        *,
        lip: LipServer | None = None,
        leap: LeapServer | None = None,
        pairing: PairingServer | None = None,
    ) -> None:
        """Group the servers of `processor`; nothing listens before `async_start()`."""
        self.emulator = emulator
        self.processor = processor
        self.lip = lip
        self.leap = leap
        self.pairing = pairing
        self._unsubscribe: Unsubscribe | None = None
        self._listening = False
        # The latest change of network condition being followed; each waits for the one before.
        self._change: asyncio.Task[None] | None = None
        self._counters = {"cut_offs": 0, "returns": 0, "failed_returns": 0}

    def _all(self) -> list[LipServer | LeapServer | PairingServer]:
        return [
            server
            for server in (self.lip, self.leap, self.pairing)
            if server is not None
        ]

    def _tls(self) -> list[LeapServer | PairingServer]:
        """Return the listeners closed while the processor is cut off (the LIP server follows it itself)."""
        return [server for server in (self.leap, self.pairing) if server is not None]

    @property
    def listening(self) -> bool:
        """Whether it serves: started, and the processor on the network."""
        return self._listening

    async def async_start(self) -> None:
        """Listen on every port; `OSError` (after closing what had started) when one cannot be bound.

        A processor cut off the network at start binds its ports once (so they are known), then closes its LEAP
        and pairing listeners.
        """
        if self._unsubscribe is not None:
            return
        try:
            await self._open(self._all())
        except OSError:
            await self._shut(self._all())
            raise
        self._unsubscribe = self.emulator.events.subscribe(self._on_event)
        if not self.emulator.processor_online(self.processor):
            await self._shut(self._tls())

    async def async_stop(self) -> None:
        """Close every port and session (idempotent)."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        change, self._change = self._change, None
        if change is not None:
            await change
        await self._shut(self._all())

    async def _open(
        self, servers: Sequence[LipServer | LeapServer | PairingServer]
    ) -> None:
        for server in servers:
            await server.start()
        self._listening = True

    async def _shut(
        self, servers: Sequence[LipServer | LeapServer | PairingServer]
    ) -> None:
        self._listening = False
        for server in servers:
            await server.stop()

    def _on_event(self, event: Event) -> None:
        if event.kind is not EventKind.PROCESSOR or event.serial != self.processor:
            return
        self._change = asyncio.get_running_loop().create_task(
            self._follow(self._change),
            name=f"servers of processor {self.processor}",
        )

    async def _follow(self, previous: asyncio.Task[None] | None) -> None:
        """Open or close the listeners to match the processor's condition now (LP53); never raises."""
        if previous is not None:
            await previous
        if self._unsubscribe is None:  # stopped meanwhile
            return
        online = self.emulator.processor_online(
            self.processor
        )  # False for one a restore dropped
        if online == self._listening:
            return
        if not online:
            self._counters["cut_offs"] += 1
            _LOGGER.info("Processor %s is cut off: its servers close", self.processor)
            await self._shut(self._tls())
            return
        try:
            await self._open(self._tls())
        except OSError as err:
            await self._shut(self._tls())
            self._counters["failed_returns"] += 1
            _LOGGER.error(
                "Processor %s is back but cannot listen on %s again: %s",
                self.processor,
                self.host,
                err,
            )
            return
        self._counters["returns"] += 1
        _LOGGER.info("Processor %s is back: its servers listen again", self.processor)

    @property
    def host(self) -> str:
        """The address its servers listen on."""
        return next(server.host for server in self._all())

    @property
    def ports(self) -> frozenset[int]:
        """Its ports (the real ones once started; kept while the processor is cut off)."""
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
            "processor": self.processor,
            "listening": self._listening,
            **self._counters,
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
    this_processor: str | None = None,
) -> EmulatorServers:
    """Create the servers of one processor (`this_processor`'s serial; None: the project's first) on `host`.

    Its listeners share one socket budget; nothing listens yet. Raises `ValueError` when neither LIP nor LEAP is
    asked for, or for settings a server refuses; `UnknownObjectError` for a processor the project does not hold.
    """
    if lip is None and leap is None:
        raise ValueError("neither LIP nor LEAP is served")
    processor = (
        emulator.description.processor
        if this_processor is None
        else emulator.description.processor_by_serial(this_processor)
    ).serial
    servers = EmulatorServers(emulator, processor)
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
            this_processor=processor,
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
            this_processor=processor,
        )
        servers.pairing = PairingServer(
            leap.credentials, host, leap.pairing_port, budget=budget
        )
    return servers


# A project: every processor served, each on its own bind.


@dataclass(frozen=True, slots=True)
class ProcessorBind:
    """Where one processor is served: its address, LEAP and pairing ports, LIP port and HTTP port (None: no HTTP).

    A port 0 is any free one (see the servers' ports once started).
    """

    host: str = DEFAULT_HOST
    leap_port: int = LEAP_PORT
    pairing_port: int = PAIRING_PORT
    lip_port: int = EMULATOR_LIP_PORT
    http_port: int | None = EMULATOR_HTTP_PORT

    def shifted(self, steps: int) -> ProcessorBind:
        """Return this bind with every port (but 0, any free one) moved by `PORT_STEP` times `steps`."""

        def shift(port: int) -> int:
            return port + PORT_STEP * steps if port else 0

        return ProcessorBind(
            self.host,
            shift(self.leap_port),
            shift(self.pairing_port),
            shift(self.lip_port),
            None if self.http_port is None else shift(self.http_port),
        )


def project_binds(
    description: SystemDescription,
    first: ProcessorBind,
    hosts: Mapping[str, str] | None = None,
) -> dict[str, ProcessorBind]:
    """Return every processor's bind (serial → bind, the first processor first).

    The first processor is served at `first`. Another processor given its own address in `hosts` (serial →
    address) takes the first's ports there, as real processors do (8081 and 8083 at each processor's address);
    otherwise it shares the first's address with its ports moved by `PORT_STEP` times its place in the project.
    `hosts` may give the first processor's address too. `UnknownObjectError` for a serial of `hosts` that is not a
    processor of the project.
    """
    addresses = {
        description.processor_by_serial(serial).serial: host
        for serial, host in (hosts or {}).items()
    }
    binds: dict[str, ProcessorBind] = {}
    for place, processor in enumerate(description.processors):
        host = addresses.get(processor.serial)
        if host is not None:
            bind = ProcessorBind(
                host,
                first.leap_port,
                first.pairing_port,
                first.lip_port,
                first.http_port,
            )
        else:
            bind = first.shifted(place)
        binds[processor.serial] = bind
    return binds


@dataclass(frozen=True, slots=True)
class LipLogin:
    """LIP as every processor of a project serves it: the login and the session cap (the ports are each one's)."""

    username: str
    password: str
    max_sessions: int = DEFAULT_MAX_SESSIONS


@dataclass(frozen=True, slots=True)
class ProjectLeap:
    """LEAP as every processor of a project serves it: each one's CA (serial → credentials), profile, push form."""

    credentials: Mapping[str, LeapCredentials]
    profile: Profile
    push_form: PushForm = PushForm.COLLECTION  # LP23


class ProjectServers:
    """The servers of every processor of an emulated project (serial → `EmulatorServers`, the first first)."""

    def __init__(self, processors: Mapping[str, EmulatorServers]) -> None:
        """Group the processors' servers; nothing listens before `async_start()`."""
        if not processors:
            raise ValueError("a project is served by at least one processor")
        self.processors = dict(processors)

    @property
    def first(self) -> EmulatorServers:
        """The servers of the first processor served."""
        return next(iter(self.processors.values()))

    async def async_start(self) -> None:
        """Start every processor's servers; `OSError` (after closing everything) when a port cannot be bound."""
        try:
            for servers in self.processors.values():
                await servers.async_start()
        except OSError:
            await self.async_stop()
            raise

    async def async_stop(self) -> None:
        """Close every port and session of every processor (idempotent)."""
        for servers in self.processors.values():
            await servers.async_stop()

    @property
    def ports(self) -> frozenset[int]:
        """Every processor's ports."""
        return frozenset().union(
            *(servers.ports for servers in self.processors.values())
        )

    def diagnostics(self) -> dict[str, Any]:
        """Return each processor's servers' diagnostics, by serial (never keys or certificates)."""
        return {
            serial: servers.diagnostics() for serial, servers in self.processors.items()
        }


def create_project_servers(
    emulator: Emulator,
    binds: Mapping[str, ProcessorBind],
    *,
    lip: LipLogin | None,
    leap: ProjectLeap | None,
    reply_delay: float = 0.0,
) -> ProjectServers:
    """Create the servers of every processor in `binds` (serial → bind, see `project_binds`), in project order.

    Each processor has its own servers, socket budget and, with LEAP, its own CA from `leap.credentials`; nothing
    listens yet. Raises `ValueError` when neither LIP nor LEAP is asked for, for a processor without a CA, or for
    settings a server refuses; `UnknownObjectError` for a serial that is not a processor of the project.
    """
    description = emulator.description
    wanted = {
        description.processor_by_serial(serial).serial: bind
        for serial, bind in binds.items()
    }
    credentials = (
        {}
        if leap is None
        else {
            description.processor_by_serial(serial).serial: item
            for serial, item in leap.credentials.items()
        }
    )
    processors: dict[str, EmulatorServers] = {}
    for processor in description.processors:
        bind = wanted.get(processor.serial)
        if bind is None:
            continue
        leap_settings = None
        if leap is not None:
            if processor.serial not in credentials:
                raise ValueError(f"processor {processor.serial} has no LEAP CA")
            leap_settings = LeapSettings(
                credentials[processor.serial],
                bind.leap_port,
                bind.pairing_port,
                leap.profile,
                leap.push_form,
            )
        processors[processor.serial] = create_servers(
            emulator,
            bind.host,
            lip=None
            if lip is None
            else LipSettings(
                bind.lip_port,
                bind.http_port,
                lip.username,
                lip.password,
                lip.max_sessions,
            ),
            leap=leap_settings,
            reply_delay=reply_delay,
            this_processor=processor.serial,
        )
    return ProjectServers(processors)


__all__ = [
    "PORT_STEP",
    "EmulatorServers",
    "LeapSettings",
    "LipLogin",
    "LipSettings",
    "ProcessorBind",
    "ProjectLeap",
    "ProjectServers",
    "create_project_servers",
    "create_servers",
    "project_binds",
]
