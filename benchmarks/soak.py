"""Soak: the emulator's LIP, HTTP, LEAP and pairing servers under legitimate load and abuse at once, for a bounded time.

The emulator is served by the project's command line in a child process: LIP, its database over HTTP, LEAP and
pairing, on `--host` (127.0.0.1 by default) and on free ports unless told (`--lip-port`, `--http-port`,
`--leap-port`, `--pairing-port`), so a soak runs beside anything else. Against it:

- on each protocol, 10 monitoring sessions (LIP sessions reading every report; LEAP sessions subscribed to
  `/zone/status`) and one session commanding at 100 commands/s, each command switching one of 16 zones of its
  own, timed from the line sent to the report of the new level (`~OUTPUT` on LIP, the subscription's push on
  LEAP). Every monitor checks the zones of both commanders: a command on one protocol is seen on the other;
- at each interval's end: a database read over HTTP and a new LEAP client, as a restarted client would connect;
- an abuser from another address (`--abuser`, 127.0.0.3 by default, so the failed-login delay of its address
  does not touch the legitimate clients, from `--client`): on LIP and HTTP bad input (garbage, over-long lines,
  an unfinished telnet sub-negotiation), wrong logins, half-open connections, and floods of delayed commands to
  zones no one commands; on LEAP and pairing what `benchmarks/soak_leap.py` describes (half-open TLS, reads
  pipelined and never read, bad input with lone surrogates, idle sessions filling the session cap).

Every interval (a minute by default) it prints one row: the server's RSS, open descriptors and log output, and
on each protocol the legitimate commands' p50/p99 latency and the reports its monitors lost or got wrong. At each
interval's end the commanders pause and every monitor syncs (`?SYSTEM,10` on LIP, a ping on LEAP), so that
every report sent is counted. It prints; it does not assert. Goals, on each protocol: legitimate p99 under
50 ms, no report lost or wrong; the server's RSS within +10 % of the first interval's after 10 minutes, no
traceback in its log; every new LEAP client let in once an idle session of the abuser's has been silent past
the eviction age (before that, the cap full of live sessions refuses it: `wait`).

Run from the repository root: ``scripts/soak [--minutes N]`` or ``.venv/bin/python -m benchmarks.soak``.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import AsyncIterator, Sequence
import contextlib
from dataclasses import dataclass, field
import math
import os
from pathlib import Path
import re
import ssl
import tempfile
import time

import aiohttp

from benchmarks.common import PASSWORD, PYTHON, ROOT, USERNAME, percentile
from benchmarks.soak_common import Addresses, Commander, Monitor, command_loop
from benchmarks.soak_leap import LeapAbuser, LeapSession, new_client
from benchmarks.soak_lip import Session, abuse_loop, database_fails, lip_abuse, zones_of
from custom_components.homeworks_qsx.qsx.emulator.leap.certs import LeapCredentials
from custom_components.homeworks_qsx.qsx.emulator.leap.resources import IdKind, leap_id

MODULES = 20
MONITORS = 10  # on each protocol
COMMANDED_ZONES = (
    16  # per commander; the abuser's delayed commands go to the other zones
)
# LIP sessions: the monitors, the commander, the abuser's logged-in session, and one spare.
MAX_LIP_SESSIONS = MONITORS + 3
MAX_INTERVAL = (
    120.0  # the monitors' syncs are their keepalive: well inside the idle eviction age
)
GOAL_P99_MS = 50.0
GOAL_RSS_GROWTH = 0.10
TRACEBACK_LINES = 40  # of the first traceback, printed at the end
_SERVING = re.compile(
    r"LIP on [\d.]+:(?P<lip>\d+), database on http://[\d.]+:(?P<http>\d+)/.*"
    r"LEAP on [\d.]+:(?P<leap>\d+) \(\w+\), pairing on [\d.]+:(?P<pairing>\d+)"
)


def rss_kib(pid: int) -> int:
    """Resident set size of a process, in KiB (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text(encoding="ascii").splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def open_fds(pid: int) -> int:
    """Open file descriptors of a process (Linux)."""
    return sum(1 for _ in Path(f"/proc/{pid}/fd").iterdir())


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far, in seconds (Linux)."""
    fields = (
        Path(f"/proc/{pid}/stat").read_text(encoding="ascii").rsplit(")", 1)[1].split()
    )
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class CpuShare:
    """A process's CPU time per interval, as a percentage of one core."""

    def __init__(self, pid: int) -> None:
        """Start counting now."""
        self.pid = pid
        self.cpu = cpu_seconds(pid)
        self.at = time.perf_counter()

    def interval(self) -> float:
        """Return the share since the last call."""
        cpu, at = cpu_seconds(self.pid), time.perf_counter()
        share = (cpu - self.cpu) / (at - self.at) * 100
        self.cpu, self.at = cpu, at
        return share


@dataclass
class ServerLog:
    """What the server wrote on standard error: bytes, tracebacks, and the first traceback's lines."""

    size: int = 0
    tracebacks: int = 0
    first_traceback: list[str] = field(default_factory=list)

    async def read(self, stream: asyncio.StreamReader) -> None:
        """Count the lines of `stream` until it ends."""
        in_traceback = False
        while line := await stream.readline():
            self.size += len(line)
            text = line.decode(errors="replace").rstrip()
            if text.startswith("Traceback"):
                self.tracebacks += 1
                in_traceback = self.tracebacks == 1
            if in_traceback and len(self.first_traceback) < TRACEBACK_LINES:
                self.first_traceback.append(text)


@dataclass
class Served:
    """The serving child process and where it listens."""

    pid: int
    addresses: Addresses
    log: ServerLog


@contextlib.asynccontextmanager
async def serve(args: argparse.Namespace, ca: Path) -> AsyncIterator[Served]:
    """Serve the soaked system with the project's command line; SIGTERM at the end."""
    process = await asyncio.create_subprocess_exec(
        PYTHON,
        "-m",
        "custom_components.homeworks_qsx.qsx",
        "serve",
        "--modules",
        str(MODULES),
        "--host",
        args.host,
        "--lip-port",
        str(args.lip_port),
        "--http-port",
        str(args.http_port),
        "--leap-port",
        str(args.leap_port),
        "--pairing-port",
        str(args.pairing_port),
        "--leap-ca",
        str(ca),
        "--username",
        USERNAME,
        "--password",
        PASSWORD,
        "--max-sessions",
        str(MAX_LIP_SESSIONS),
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert process.stdout is not None
    assert process.stderr is not None
    log = ServerLog()
    reading = asyncio.create_task(log.read(process.stderr))
    try:
        async with asyncio.timeout(60):
            line = (await process.stdout.readline()).decode()
        match = _SERVING.search(line)
        if match is None:
            await asyncio.wait_for(reading, 10)
            raise RuntimeError(
                f"the server did not start: {line!r} {log.first_traceback}"
            )
        addresses = Addresses(
            args.host,
            int(match["lip"]),
            int(match["http"]),
            int(match["leap"]),
            int(match["pairing"]),
            args.client,
            args.abuser,
        )
        yield Served(process.pid, addresses, log)
    finally:
        if process.returncode is None:
            process.terminate()
            try:
                async with asyncio.timeout(10):
                    await process.wait()
            except TimeoutError:
                process.kill()
                await process.wait()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(reading, 5)


@dataclass
class Protocol:
    """One protocol's monitors and commander, and its totals over the run."""

    name: str
    monitors: list[Monitor]
    commander: Commander
    p99s: list[float] = field(default_factory=list)
    lost: int = 0
    wrong: int = 0

    def interval(self, expected: int) -> tuple[float, float, int, int]:
        """Close the interval: p50, p99 (ms), lost and wrong reports; `expected` reports per monitor."""
        lost = sum(max(0, expected - m.received) for m in self.monitors)
        lost += self.commander.timeouts
        # A report more than the commands answered is one too many: wrong.
        wrong = sum(m.wrong + max(0, m.received - expected) for m in self.monitors)
        for monitor in self.monitors:  # every report is in (synced): none carries over
            monitor.received = monitor.wrong = 0
        latencies = self.commander.latencies
        p50 = percentile(latencies, 0.5) * 1000 if latencies else math.nan
        p99 = percentile(latencies, 0.99) * 1000 if latencies else math.nan
        self.p99s.append(p99)
        self.lost += lost
        self.wrong += wrong
        self.commander.next_interval()
        return p50, p99, lost, wrong

    def verdict(self, extra: str, extra_met: bool) -> str:
        """Return the protocol's summary line."""
        worst = max(self.p99s, default=math.nan)
        met = worst < GOAL_P99_MS and self.lost == 0 and self.wrong == 0 and extra_met
        return (
            f"{self.name}: worst p99 {worst:.2f} ms (goal < {GOAL_P99_MS:g} ms); lost {self.lost}, wrong "
            f"{self.wrong} (goal 0); {extra}: {'goal met' if met else 'goal MISSED'}"
        )


HEADER = (
    f"{'':>41}|{'LIP':^39}|{'LEAP':^39}|{'abuse':^40}\n"
    f"{'time':>4} {'load':>4} {'CPU %':>5} {'own %':>5} {'RSS MiB':>7} {'fds':>4} {'log KiB':>7} |"
    f"{'cmds':>6} {'p50 ms':>7} {'p99 ms':>7} {'lost':>5} {'wrong':>5} {'http':>5} |"
    f"{'cmds':>6} {'p50 ms':>7} {'p99 ms':>7} {'lost':>5} {'wrong':>5} {'new':>5} |"
    f"{'bad':>5} {'half':>5} {'logins':>6} {'delayed':>7} {'piped':>6} {'closed':>7} {'evicted':>7} "
    f"{'refused':>7}"
)


async def soak(args: argparse.Namespace, seconds: float, interval: float) -> None:
    """Run the soak for `seconds`, printing one row per `interval`."""
    with tempfile.TemporaryDirectory(prefix="qsx-soak-") as folder:
        ca = Path(folder) / "leap-ca.json"
        credentials, _ = LeapCredentials.load_or_create(ca)
        legitimate = credentials.client_context(*credentials.issue_client("soak"))
        abusive = credentials.client_context(*credentials.issue_client("soak abuser"))
        async with (
            serve(args, ca) as served,
            aiohttp.ClientSession() as http,
        ):
            await run(
                served,
                http,
                legitimate=legitimate,
                abusive=abusive,
                seconds=seconds,
                interval=interval,
            )


async def run(  # noqa: PLR0914, PLR0915 (the soak's one sequence, said once)
    served: Served,
    http: aiohttp.ClientSession,
    *,
    legitimate: ssl.SSLContext,
    abusive: ssl.SSLContext,
    seconds: float,
    interval: float,
) -> None:
    """Open the sessions, start the commanders and the abusers, and print a row per interval."""
    addresses = served.addresses
    zones = await zones_of(addresses, http)
    lip_zones = zones[:COMMANDED_ZONES]
    leap_zones = zones[COMMANDED_ZONES : 2 * COMMANDED_ZONES]
    others = zones[2 * COMMANDED_ZONES :]
    watched = lip_zones + leap_zones

    def on_leap(zone: int) -> int:
        return leap_id(zone, IdKind.ZONE)

    lip = Protocol(
        "LIP",
        [Monitor(dict.fromkeys(watched, 100)) for _ in range(MONITORS)],
        Commander(dict.fromkeys(lip_zones, 0)),
    )
    leap = Protocol(
        "LEAP",
        [Monitor(dict.fromkeys(map(on_leap, watched), 100)) for _ in range(MONITORS)],
        Commander(dict.fromkeys(map(on_leap, leap_zones), 0)),
    )
    lip_sessions = await asyncio.gather(
        *(Session.open(addresses, m.report) for m in lip.monitors)
    )
    leap_sessions = await asyncio.gather(
        *(LeapSession.open(addresses, legitimate, m.report) for m in leap.monitors)
    )
    lip_commanding = await Session.open(addresses, lip.commander.report)
    leap_commanding = await LeapSession.open(
        addresses, legitimate, leap.commander.report
    )
    leap_abuser = LeapAbuser(addresses, abusive, MONITORS + 1)
    await leap_abuser.fill()
    await leap_abuser.release()
    abuse = lip_abuse()
    running = asyncio.Event()
    running.set()
    tasks = [
        asyncio.create_task(
            command_loop(lip_commanding.command, lip.commander, running)
        ),
        asyncio.create_task(
            command_loop(leap_commanding.command, leap.commander, running)
        ),
        asyncio.create_task(abuse_loop(addresses, others, abuse)),
        asyncio.create_task(leap_abuser.loop()),
    ]
    print(
        f"soak: {MODULES} modules on {addresses.host} (LIP {addresses.lip_port}, HTTP {addresses.http_port}, "
        f"LEAP {addresses.leap_port}, pairing {addresses.pairing_port}); on each protocol {MONITORS} monitors "
        f"and {COMMANDED_ZONES} zones commanded at 100/s; clients from {addresses.client or 'any address'}, "
        f"abuser from {addresses.abuser}; one row per {interval:g} s for {seconds:g} s",
        flush=True,
    )
    print(HEADER, flush=True)
    start = time.perf_counter()
    server_cpu, own_cpu = CpuShare(served.pid), CpuShare(os.getpid())
    first_rss: float | None = None
    last_rss = 0.0
    http_failures = locked_out = 0
    logged = 0
    try:
        elapsed = 0.0
        while elapsed < seconds:
            await asyncio.sleep(min(interval, seconds - elapsed))
            running.clear()  # pause the commanders and sync every monitor: all reports are in
            await lip.commander.settled()
            await leap.commander.settled()
            for lip_session in lip_sessions:
                await lip_session.sync()
            for leap_session in leap_sessions:
                await leap_session.sync()
            lip_cmds, leap_cmds = lip.commander.sent, leap.commander.sent
            expected = (
                lip_cmds - lip.commander.timeouts + leap_cmds - leap.commander.timeouts
            )
            lip_row = lip.interval(expected)
            leap_row = leap.interval(expected)
            failed = await database_fails(addresses, http)
            http_failures += failed
            async with leap_abuser.paused():
                await leap_abuser.fill()
                evictable = leap_abuser.evictable()
                admitted = await new_client(addresses, legitimate)
                await leap_abuser.release()
            if admitted:
                new = "ok"
            elif evictable:
                new = "LOCK"
                locked_out += 1
            else:
                new = "wait"
            last_rss = rss_kib(served.pid) / 1024
            first_rss = last_rss if first_rss is None else first_rss
            elapsed = time.perf_counter() - start
            lip_counts, leap_counts = abuse.counts, leap_abuser.abuse.counts
            print(
                f"{elapsed:4.0f} {os.getloadavg()[0]:4.1f} {server_cpu.interval():5.0f} "
                f"{own_cpu.interval():5.0f} {last_rss:7.1f} {open_fds(served.pid):4d} "
                f"{(served.log.size - logged) / 1024:7.1f} |"
                f"{lip_cmds:6d} {lip_row[0]:7.2f} {lip_row[1]:7.2f} {lip_row[2]:5d} {lip_row[3]:5d} "
                f"{failed:5d} |"
                f"{leap_cmds:6d} {leap_row[0]:7.2f} {leap_row[1]:7.2f} {leap_row[2]:5d} {leap_row[3]:5d} "
                f"{new:>5} |"
                f"{lip_counts['bad_lines'] + leap_counts['bad_lines']:5d} "
                f"{lip_counts['half_open'] + leap_counts['half_open']:5d} "
                f"{lip_counts['wrong_logins']:6d} {lip_counts['delayed']:7d} "
                f"{leap_counts['pipelined']:6d} {leap_counts['closed']:7d} {leap_counts['evicted']:7d} "
                f"{lip_counts['refused'] + leap_counts['refused']:7d}",
                flush=True,
            )
            logged = served.log.size
            abuse.next_interval()
            leap_abuser.abuse.next_interval()
            running.set()
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for lip_session in [*lip_sessions, lip_commanding]:
            await lip_session.close()
        for leap_session in [*leap_sessions, leap_commanding]:
            await leap_session.close()
    summarize(
        lip,
        leap,
        (first_rss or 0.0, last_rss),
        served.log,
        http_failures=http_failures,
        locked_out=locked_out,
    )


def summarize(
    lip: Protocol,
    leap: Protocol,
    rss: tuple[float, float],
    log: ServerLog,
    *,
    http_failures: int,
    locked_out: int,
) -> None:
    """Print the goals: one line per protocol, one for the server."""
    print(
        lip.verdict(
            f"database reads failed {http_failures} (goal 0)", http_failures == 0
        ),
        flush=True,
    )
    print(
        leap.verdict(
            f"new clients refused past the eviction age {locked_out} (goal 0)",
            locked_out == 0,
        ),
        flush=True,
    )
    first, last = rss
    growth = last / first - 1 if first else math.nan
    met = growth <= GOAL_RSS_GROWTH and log.tracebacks == 0
    print(
        f"server: RSS {first:.1f} -> {last:.1f} MiB ({growth:+.1%}; goal <= +{GOAL_RSS_GROWTH:.0%}); log "
        f"{log.size / 1024:.1f} KiB with {log.tracebacks} tracebacks (goal 0): "
        f"{'goal met' if met else 'goal MISSED'}",
        flush=True,
    )
    if log.first_traceback:
        print("the server's first traceback:", *log.first_traceback, sep="\n  ")


def parse(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Parse the duration, the interval and the addresses."""
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
        help=f"seconds per printed row, at most {MAX_INTERVAL:g} (default %(default)s)",
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="the server's address (default %(default)s)"
    )
    for name in ("lip", "http", "leap", "pairing"):
        parser.add_argument(
            f"--{name}-port",
            type=int,
            default=0,
            help=f"the server's {name.upper()} port (default 0: a free one)",
        )
    parser.add_argument(
        "--client",
        help="the legitimate clients' source address (default: the kernel's choice)",
    )
    parser.add_argument(
        "--abuser",
        default="127.0.0.3",
        help="the abuser's source address, not the clients' (default %(default)s)",
    )
    args = parser.parse_args(argv)
    args.seconds = args.seconds if args.seconds is not None else args.minutes * 60
    if args.seconds <= 0 or not 0 < args.interval <= MAX_INTERVAL:
        parser.error(
            f"the duration must be positive, the interval between 0 and {MAX_INTERVAL:g} s"
        )
    if args.client is not None and args.client == args.abuser:
        parser.error("the abuser needs an address of its own")
    return args


def main() -> None:
    """Parse the options and run."""
    args = parse()
    asyncio.run(soak(args, args.seconds, args.interval))


if __name__ == "__main__":
    main()
