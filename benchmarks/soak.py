"""Soak: the emulator's LIP and HTTP servers under legitimate load and abuse at once, for a bounded time.

The emulator is served by the project's command line in a child process (LIP and HTTP on 127.0.0.1). Against it,
all on loopback:

- 10 monitoring sessions, logged in once, reading every report;
- one session commanding at 100 commands/s, each command switching one of a set of zones, timed from the line
  sent to its `~OUTPUT` answer; one database read per interval;
- an abuser from another loopback address (127.0.0.3, so the failed-login delay of its address does not touch
  the legitimate clients): bad input (garbage, over-long lines, an unfinished telnet sub-negotiation), wrong
  logins, half-open LIP and HTTP connections, and floods of delayed commands to zones outside the commanded set.

Every interval (a minute by default) it prints the emulator's RSS and open descriptors, the legitimate commands'
p50/p99 latency, and the reports the monitors lost or got wrong (expected: none). At each interval's end the
commander pauses and every monitor syncs (`?SYSTEM,10`), so that every report sent is counted. It prints; it does
not assert. Goals: RSS within +10 % of the first interval's after 10 minutes, legitimate p99 under 50 ms, no lost
report.

Run from the repository root: ``scripts/soak [--minutes N]`` or ``.venv/bin/python -m benchmarks.soak``.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Awaitable, Callable
import contextlib
from dataclasses import dataclass, field
from pathlib import Path
import random
import re
import time

import aiohttp

from benchmarks.common import PASSWORD, USERNAME, Served, lip_server, percentile

MONITORS = 10
COMMAND_RATE = 100.0  # legitimate commands per second
COMMANDED_ZONES = (
    16  # the commander toggles these; the abuser's delayed commands go elsewhere
)
MODULES = 20
MAX_SESSIONS = (
    13  # the monitors, the commander, the abuser's logged-in session, and one spare
)
ABUSER_ADDRESS = "127.0.0.3"
HALF_OPEN_PER_PORT = 24  # held by the abuser each cycle, on LIP and on HTTP
DELAYED_PER_CYCLE = 2000
ABUSE_CYCLE_SECONDS = 1.0
WAIT = 10.0  # longest wait for one answer
GOAL_P99_MS = 50.0
GOAL_RSS_GROWTH = 0.10
_OUTPUT = re.compile(rb"~OUTPUT,(\d+),1,(\d+)\.00")


def rss_kib(pid: int) -> int:
    """Resident set size of a process, in KiB (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text(encoding="ascii").splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def open_fds(pid: int) -> int:
    """Open file descriptors of a process (Linux)."""
    return sum(1 for _ in Path(f"/proc/{pid}/fd").iterdir())


class Session:
    """A logged-in LIP session with prompts off, read by a task; lines are handed to `on_line`."""

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        on_line: Callable[[bytes], None],
    ) -> None:
        """Wrap a logged-in connection."""
        self.reader = reader
        self.writer = writer
        self.on_line = on_line
        self.synced = asyncio.Event()
        self.task: asyncio.Task[None] | None = None

    @classmethod
    async def open(
        cls, served: Served, on_line: Callable[[bytes], None], local: str | None = None
    ) -> Session:
        """Connect, log in, turn prompts off, and start reading."""
        reader, writer = await asyncio.open_connection(
            served.host, served.port, local_addr=(local, 0) if local else None
        )
        async with asyncio.timeout(WAIT):
            await reader.readuntil(b"login: ")
            writer.write(USERNAME.encode() + b"\r\n")
            await reader.readuntil(b"password: ")
            writer.write(PASSWORD.encode() + b"\r\n")
            await reader.readuntil(b"QNET> ")
            writer.write(b"#MONITORING,12,2\r\n?SYSTEM,10\r\n")
            await reader.readuntil(b"~SYSTEM,")
            await reader.readline()
        session = cls(reader, writer, on_line)
        session.task = asyncio.create_task(session._read())
        return session

    async def _read(self) -> None:
        with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError):
            while line := await self.reader.readline():
                if line.startswith(b"~SYSTEM,"):
                    self.synced.set()
                else:
                    self.on_line(line)

    async def sync(self) -> None:
        """Wait until every line sent before this call was answered (a `?SYSTEM,10` barrier)."""
        self.synced.clear()
        self.writer.write(b"?SYSTEM,10\r\n")
        async with asyncio.timeout(WAIT):
            await self.synced.wait()

    async def close(self) -> None:
        """Close the connection and stop reading."""
        self.writer.close()
        with contextlib.suppress(OSError):
            await self.writer.wait_closed()
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task


@dataclass
class Monitor:
    """What one monitoring session saw of the commanded zones."""

    zones: dict[int, int]  # expected next level per commanded zone
    received: int = 0
    wrong: int = 0

    def on_line(self, line: bytes) -> None:
        """Check a report of a commanded zone against the level it should have now."""
        match = _OUTPUT.match(line)
        if match is None:
            return
        zone, level = int(match[1]), int(match[2])
        if zone not in self.zones:
            return
        self.received += 1
        if level != self.zones[zone]:
            self.wrong += 1
        self.zones[zone] = 100 - level  # the next command flips it


@dataclass
class Commander:
    """The commanding session's state: the level each commanded zone has, and the answers awaited."""

    levels: dict[int, int]
    waiting: dict[int, tuple[int, float, asyncio.Future[None]]] = field(
        default_factory=dict
    )
    latencies: list[float] = field(default_factory=list)
    sent: int = 0
    timeouts: int = 0

    def on_line(self, line: bytes) -> None:
        """Match an answer to the command waiting for it."""
        match = _OUTPUT.match(line)
        if match is None:
            return
        zone, level = int(match[1]), int(match[2])
        waiting = self.waiting.get(zone)
        if waiting is not None and waiting[0] == level:
            del self.waiting[zone]
            self.latencies.append(time.perf_counter() - waiting[1])
            if not waiting[2].done():
                waiting[2].set_result(None)


@dataclass
class Abuse:
    """What the abuser did in the current interval."""

    counts: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(
            ("bad_lines", "wrong_logins", "half_open", "delayed", "refused"), 0
        )
    )


async def zones_of(served: Served, session: aiohttp.ClientSession) -> list[int]:
    """Return the zone output ids of the served system (from its database)."""
    url = f"http://{served.host}:{served.http_port}/DbXmlInfo.xml"
    async with session.get(url) as response:
        body = await response.read()
    return [
        int(match[1])
        for match in re.finditer(rb'IntegrationID="(\d+)" OutputType="NON_DIM"', body)
    ]


async def command_loop(
    session: Session, commander: Commander, running: asyncio.Event
) -> None:
    """Send one command per 1/COMMAND_RATE s while `running` is set, each waiting for its answer."""
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
        session.writer.write(f"#OUTPUT,{zone},1,{level}\r\n".encode())
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


async def quietly(action: Awaitable[object], abuse: Abuse) -> None:
    """Run one abusive action; the server refusing or closing it is expected."""
    try:
        async with asyncio.timeout(WAIT):
            await action
    except OSError, TimeoutError, asyncio.IncompleteReadError, EOFError:
        abuse.counts["refused"] += 1


async def wrong_login(served: Served, abuse: Abuse) -> None:
    """Connect from the abuser's address and fail a login (the answer waits out the address's delay)."""
    reader, writer = await asyncio.open_connection(
        served.host, served.port, local_addr=(ABUSER_ADDRESS, 0)
    )
    try:
        await reader.readuntil(b"login: ")
        writer.write(b"admin\r\n")
        await reader.readuntil(b"password: ")
        writer.write(f"guess{random.randrange(10**6)}\r\n".encode())
        abuse.counts["wrong_logins"] += 1
        await reader.readuntil(b"bad login")
    finally:
        writer.close()


async def half_open(
    served: Served, abuse: Abuse, held: list[asyncio.StreamWriter]
) -> None:
    """Open LIP and HTTP connections that never finish their handshake; those of the last cycle are closed."""
    for writer in held:
        writer.close()
    held.clear()
    for port, data in (
        (served.port, b"adm"),
        (served.http_port, b"GET /DbXmlInfo.xml HTTP/1.1\r\nHost: x\r\n"),
    ):
        for _ in range(HALF_OPEN_PER_PORT):
            try:
                _, writer = await asyncio.open_connection(
                    served.host, port, local_addr=(ABUSER_ADDRESS, 0)
                )
            except OSError:
                abuse.counts["refused"] += 1
                continue
            writer.write(data)
            held.append(writer)
            abuse.counts["half_open"] += 1


def bad_input(session: Session, abuse: Abuse) -> None:
    """Garbage, an over-long line, an unfinished telnet sub-negotiation, unknown commands."""
    session.writer.write(b"\x00\x07garbage\r\n" + b"x" * 5000 + b"\r\n")
    session.writer.write(b"\xff\xfa\x18\x01unfinished\r\n#OUTPUT,abc\r\n?NOTHING\r\n")
    abuse.counts["bad_lines"] += 5


def delayed_flood(session: Session, zones: list[int], abuse: Abuse) -> None:
    """Delayed commands (up to 4 h) to zones outside the commanded set."""
    lines = [
        f"#OUTPUT,{random.choice(zones)},1,{random.choice((0, 100))},0,"
        f"{random.randint(1, 4 * 3600 - 1)}\r\n"
        for _ in range(DELAYED_PER_CYCLE)
    ]
    session.writer.write("".join(lines).encode())
    abuse.counts["delayed"] += DELAYED_PER_CYCLE


async def abuse_loop(served: Served, others: list[int], abuse: Abuse) -> None:
    """One abuse cycle per second until cancelled."""
    session = await Session.open(served, lambda _line: None, ABUSER_ADDRESS)
    held: list[asyncio.StreamWriter] = []
    logins: set[asyncio.Task[None]] = set()
    try:
        while True:
            bad_input(session, abuse)
            delayed_flood(session, others, abuse)
            await quietly(half_open(served, abuse, held), abuse)
            if (
                len(logins) < 4
            ):  # a few attempts in flight; each waits longer than the last
                task = asyncio.create_task(quietly(wrong_login(served, abuse), abuse))
                logins.add(task)
                task.add_done_callback(logins.discard)
            if session.writer.is_closing() or session.reader.at_eof():
                await session.close()
                session = await Session.open(served, lambda _line: None, ABUSER_ADDRESS)
            await asyncio.sleep(ABUSE_CYCLE_SECONDS)
    finally:
        for task in list(logins):
            task.cancel()
        for writer in held:
            writer.close()
        await session.close()


async def soak(seconds: float, interval: float) -> None:
    """Run the soak for `seconds`, printing one row per `interval`."""
    async with (
        lip_server(modules=[MODULES], max_sessions=MAX_SESSIONS) as served,
        aiohttp.ClientSession() as http,
    ):
        assert served.pid is not None
        zones = await zones_of(served, http)
        commanded, others = zones[:COMMANDED_ZONES], zones[COMMANDED_ZONES:]
        monitors = [Monitor(dict.fromkeys(commanded, 100)) for _ in range(MONITORS)]
        monitor_sessions = [await Session.open(served, m.on_line) for m in monitors]
        commander = Commander(dict.fromkeys(commanded, 0))
        commanding = await Session.open(served, commander.on_line)
        running = asyncio.Event()
        running.set()
        abuse = Abuse()
        tasks = [
            asyncio.create_task(command_loop(commanding, commander, running)),
            asyncio.create_task(abuse_loop(served, others, abuse)),
        ]
        print(
            f"soak: {MODULES} modules, {MONITORS} monitors, {COMMAND_RATE:g} commands/s, abuser from "
            f"{ABUSER_ADDRESS}; one row per {interval:g} s for {seconds:g} s",
            flush=True,
        )
        header = (
            f"{'time':>6} {'RSS MiB':>8} {'fds':>5} {'cmds':>6} {'p50 ms':>7} {'p99 ms':>7} "
            f"{'lost':>5} {'wrong':>5} {'http':>5} {'bad':>6} {'logins':>6} {'half':>6} "
            f"{'delayed':>8} {'refused':>7}"
        )
        print(header, flush=True)
        start = time.perf_counter()
        first_rss: float | None = None
        p99s: list[float] = []
        lost_total = wrong_total = 0
        last_rss = 0.0
        try:
            elapsed = 0.0
            while elapsed < seconds:
                await asyncio.sleep(min(interval, seconds - elapsed))
                running.clear()  # pause the commander and sync every monitor: all reports are in
                async with asyncio.timeout(WAIT):
                    while commander.waiting:
                        await asyncio.sleep(0.001)
                for session in monitor_sessions:
                    await session.sync()
                expected = commander.sent - commander.timeouts
                lost = sum(max(0, expected - m.received) for m in monitors)
                wrong = sum(m.wrong for m in monitors)
                for monitor in monitors:
                    monitor.received -= expected
                    monitor.wrong = 0
                http_failures = 0
                try:
                    async with http.get(
                        f"http://{served.host}:{served.http_port}/DbXmlInfo.xml",
                        timeout=aiohttp.ClientTimeout(total=WAIT),
                    ) as response:
                        http_failures += response.status != 200
                        await response.read()
                except aiohttp.ClientError, TimeoutError:
                    http_failures += 1
                latencies = commander.latencies
                p50 = percentile(latencies, 0.5) * 1000 if latencies else float("nan")
                p99 = percentile(latencies, 0.99) * 1000 if latencies else float("nan")
                last_rss = rss_kib(served.pid) / 1024
                first_rss = last_rss if first_rss is None else first_rss
                elapsed = time.perf_counter() - start
                counts = abuse.counts
                print(
                    f"{elapsed:6.0f} {last_rss:8.1f} {open_fds(served.pid):5d} "
                    f"{commander.sent:6d} {p50:7.2f} {p99:7.2f} {lost:5d} {wrong:5d} "
                    f"{http_failures:5d} {counts['bad_lines']:6d} {counts['wrong_logins']:6d} "
                    f"{counts['half_open']:6d} {counts['delayed']:8d} {counts['refused']:7d}",
                    flush=True,
                )
                p99s.append(p99)
                lost_total += lost + commander.timeouts
                wrong_total += wrong
                commander.latencies = []
                commander.sent = commander.timeouts = 0
                abuse.counts = Abuse().counts
                running.set()
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            for session in [*monitor_sessions, commanding]:
                await session.close()
        if first_rss:
            growth = last_rss / first_rss - 1
            print(
                f"RSS {first_rss:.1f} -> {last_rss:.1f} MiB ({growth:+.1%}; goal <= "
                f"+{GOAL_RSS_GROWTH:.0%}); worst p99 {max(p99s):.2f} ms (goal < {GOAL_P99_MS:g} ms); "
                f"lost {lost_total}, wrong {wrong_total} (goal 0)",
                flush=True,
            )


def main() -> None:
    """Parse the duration and run."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--minutes", type=float, default=10.0, help="duration (default %(default)s)"
    )
    parser.add_argument(
        "--seconds", type=float, help="duration in seconds (instead of --minutes)"
    )
    parser.add_argument(
        "--interval",
        type=float,
        default=60.0,
        help="seconds per printed row (default %(default)s)",
    )
    args = parser.parse_args()
    seconds = args.seconds if args.seconds is not None else args.minutes * 60
    if seconds <= 0 or args.interval <= 0:
        parser.error("the duration and the interval must be positive")
    asyncio.run(soak(seconds, args.interval))


if __name__ == "__main__":
    main()
