"""What the soak's LIP and LEAP parts share: where everyone connects from, monitors, commanders, abuse counts."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
import contextlib
from dataclasses import dataclass, field
import ssl
import time

COMMAND_RATE = 100.0  # legitimate commands per second, on each protocol
WAIT = 10.0  # longest wait for one answer
ABUSE_CYCLE_SECONDS = 1.0
HALF_OPEN_PER_PORT = 24  # held by the abuser each cycle, on every port


@dataclass(frozen=True, slots=True)
class Addresses:
    """Where the served emulator listens, and where its clients connect from (every one an option)."""

    host: str
    lip_port: int
    http_port: int
    leap_port: int
    pairing_port: int
    client: (
        str | None
    )  # the legitimate clients' source address (None: the kernel's choice)
    abuser: str  # the abuser's source address: its failed-login delay touches no legitimate client

    def local(self, abuser: bool = False) -> tuple[str, int] | None:
        """Return the `local_addr` of a connection of the abuser or of a legitimate client."""
        if abuser:
            return (self.abuser, 0)
        return (self.client, 0) if self.client else None


class ReportingSession:
    """A session read by a task of its own: zone reports go to `on_report(zone, level)`, a sync answer sets `synced`.

    Each protocol says how it opens (`open`), reads (`_read`), commands a zone (`command`) and asks for the answer
    that follows every report sent before it (`sync_request`).
    """

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        on_report: Callable[[int, int], None],
    ) -> None:
        """Wrap an open session and start reading it."""
        self.reader = reader
        self.writer = writer
        self.on_report = on_report
        self.synced = asyncio.Event()
        self.task: asyncio.Task[None] = asyncio.create_task(self._read())

    async def _read(self) -> None:
        raise NotImplementedError

    def sync_request(self) -> bytes:
        """Return the line whose answer follows every report sent before it."""
        raise NotImplementedError

    async def sync(self) -> None:
        """Wait until every report sent before this call has arrived."""
        self.synced.clear()
        self.writer.write(self.sync_request())
        async with asyncio.timeout(WAIT):
            await self.synced.wait()

    async def close(self) -> None:
        """Close the connection and stop reading."""
        self.writer.close()
        with contextlib.suppress(OSError, ssl.SSLError):
            await self.writer.wait_closed()
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task


@dataclass(slots=True)
class Monitor:
    """What one monitoring session saw of the commanded zones (by its protocol's zone ids)."""

    zones: dict[int, int]  # the level each commanded zone must report next
    received: int = 0
    wrong: int = 0

    def report(self, zone: int, level: int) -> None:
        """Check a report of a commanded zone against the level it should have now."""
        if zone not in self.zones:
            return
        self.received += 1
        if level != self.zones[zone]:
            self.wrong += 1
        self.zones[zone] = 100 - level  # the next command flips it


@dataclass(slots=True)
class Commander:
    """One commanding session: the level each of its zones has, and the answers awaited."""

    levels: dict[int, int]
    waiting: dict[int, tuple[int, float, asyncio.Future[None]]] = field(
        default_factory=dict
    )
    latencies: list[float] = field(default_factory=list)
    sent: int = 0
    timeouts: int = 0

    def report(self, zone: int, level: int) -> None:
        """Match a reported level to the command waiting for it."""
        waiting = self.waiting.get(zone)
        if waiting is not None and waiting[0] == level:
            del self.waiting[zone]
            self.latencies.append(time.perf_counter() - waiting[1])
            if not waiting[2].done():
                waiting[2].set_result(None)

    async def settled(self) -> None:
        """Wait until no command awaits its answer (bounded in time)."""
        async with asyncio.timeout(WAIT):
            while self.waiting:
                await asyncio.sleep(0.001)

    def next_interval(self) -> None:
        """Forget the interval's figures."""
        self.latencies = []
        self.sent = self.timeouts = 0


async def command_loop(
    send: Callable[[int, int], None], commander: Commander, running: asyncio.Event
) -> None:
    """Send `send(zone, level)` every 1/COMMAND_RATE s while `running` is set, each waiting for its answer."""
    zones = list(commander.levels)
    index = 0
    next_at = time.perf_counter()
    while True:
        await running.wait()
        zone = zones[index % len(zones)]
        index += 1
        level = 100 - commander.levels[zone]
        commander.levels[zone] = level
        answered: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        commander.waiting[zone] = (level, time.perf_counter(), answered)
        send(zone, level)
        commander.sent += 1
        try:
            async with asyncio.timeout(WAIT):
                await answered
        except TimeoutError:
            commander.timeouts += 1
            commander.waiting.pop(zone, None)
        next_at += 1 / COMMAND_RATE
        delay = next_at - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        else:
            next_at = time.perf_counter()  # behind: do not burst to catch up


class Abuse:
    """What an abuser did in the current interval, by kind."""

    def __init__(self, *kinds: str) -> None:
        """Count `kinds` (and `refused`: the server refusing or closing an abusive action)."""
        self.kinds = (*kinds, "refused")
        self.counts = dict.fromkeys(self.kinds, 0)

    def next_interval(self) -> None:
        """Start counting again."""
        self.counts = dict.fromkeys(self.kinds, 0)


async def quietly(action: Awaitable[object], abuse: Abuse) -> None:
    """Run one abusive action; the server refusing or closing it is expected."""
    try:
        async with asyncio.timeout(WAIT):
            await action
    except OSError, TimeoutError, asyncio.IncompleteReadError, EOFError:
        abuse.counts["refused"] += 1


async def half_open(
    addresses: Addresses,
    ports: tuple[tuple[int, bytes], ...],
    abuse: Abuse,
    held: list[asyncio.StreamWriter],
) -> None:
    """Open connections that never finish their handshake, sending `data` on each port; the last cycle's are closed."""
    for writer in held:
        writer.close()
    held.clear()
    for port, data in ports:
        for _ in range(HALF_OPEN_PER_PORT):
            try:
                _, writer = await asyncio.open_connection(
                    addresses.host, port, local_addr=addresses.local(abuser=True)
                )
            except OSError:
                abuse.counts["refused"] += 1
                continue
            writer.write(data)
            held.append(writer)
            abuse.counts["half_open"] += 1
