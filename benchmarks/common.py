"""What every benchmark shares: sizes, result rows, percentiles, and servers run in their own processes.

Benchmarks run from the repository root as modules (``.venv/bin/python -m benchmarks.bench_roundtrip``); each
prints its figures and, with ``--json FILE``, writes them as rows for ``benchmarks/run.py``. They print; they do
not assert.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
import contextlib
from dataclasses import asdict, dataclass
import itertools
import json
import math
import os
from pathlib import Path
import re
import shutil
import sys
import time
from typing import Any

from benchmarks.house import write_house
from custom_components.homeworks_qsx.qsx.errors import QsxError

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
SIZES = (1, 10, 198)  # modules: one, a house, an HQP7-2 with two full QS links
USERNAME = "lutron"
PASSWORD = "integration"
# pylutron's ports are fixed at 23 and 80: the emulator it starts against listens here.
SECOND_LOOPBACK = "127.0.0.2"


def close_pylutron(lutron: Any) -> None:
    """Stop a pylutron client's connection thread: 0.4.4, the version Home Assistant pins, has no `disconnect()`."""
    connection = lutron._conn  # noqa: SLF001
    connection._done = True  # noqa: SLF001
    writer = connection._writer  # noqa: SLF001
    if writer is not None:
        connection._loop.call_soon_threadsafe(writer.close)  # noqa: SLF001
    connection.join(5)


def modules_per_link(size: int) -> list[int]:
    """Split `size` modules over the links of an HQP7-2 (99 devices each)."""
    return [size] if size <= 99 else [99, size - 99]


def percentile(samples: Sequence[float], fraction: float) -> float:
    """Return the `fraction` percentile (nearest rank) of `samples`."""
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, math.ceil(fraction * len(ordered)) - 1))
    return ordered[index]


def median(samples: Sequence[float]) -> float:
    """Return the median (nearest rank) of `samples`."""
    return percentile(samples, 0.5)


@dataclass(frozen=True, slots=True)
class Row:
    """One figure: our value, the reference measured in the same run, and the goal.

    `ratio` is ours / reference; `met` is None when the figure has no goal.
    """

    benchmark: str
    figure: str
    unit: str
    ours: float
    reference: float | None
    reference_name: str
    goal: str = ""
    met: bool | None = None
    note: str = ""  # what went wrong when `ours` could not be measured (then NaN)

    @property
    def ratio(self) -> float | None:
        """Ours divided by the reference."""
        if self.reference is None or self.reference == 0 or math.isnan(self.ours):
            return None
        return self.ours / self.reference

    def as_dict(self) -> dict[str, Any]:
        """Return the row with its ratio, JSON-serialisable."""
        data = {**asdict(self), "ratio": self.ratio}
        if math.isnan(self.ours):
            data["ours"] = None
        return data


# A command round trip's goal: its median within twice the echo's plus this.
ROUND_TRIP_SLACK_US = 100.0
# The echo and ours alternate by blocks of this many commands, so both see the same machine.
ROUND_TRIP_BLOCK = 100

# Measures `count` round trips, appending each one's microseconds to the list when given one (None: a warm-up).
RoundTrips = Callable[[int, list[float] | None], Awaitable[None]]


async def echo_round_trips(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    line: bytes,
    count: int,
    samples: list[float] | None,
) -> None:
    """Send `line` (the size of a command) at a time and wait for it to come back."""
    for _ in range(count):
        start = time.perf_counter()
        writer.write(line)
        await reader.readline()
        if samples is not None:
            samples.append((time.perf_counter() - start) * 1e6)


async def alternating_round_trips(
    floor: RoundTrips, ours: RoundTrips, *, commands: int, warmup: int
) -> tuple[list[float], list[float]]:
    """Warm both up, then measure them by turns in blocks: the floor's and our microseconds."""
    floor_samples: list[float] = []
    our_samples: list[float] = []
    await floor(warmup, None)
    await ours(warmup, None)
    for _ in range(commands // ROUND_TRIP_BLOCK):
        await floor(ROUND_TRIP_BLOCK, floor_samples)
        await ours(ROUND_TRIP_BLOCK, our_samples)
    return floor_samples, our_samples


def round_trip_rows(
    benchmark: str,
    figure: str,
    where: str,
    *,
    reference_name: str,
    floor: Sequence[float],
    samples: Sequence[float],
) -> list[Row]:
    """Return the median (with its goal) and the 99th percentile of a command round trip, beside the echo's."""
    floor_p50 = median(floor)
    p50 = median(samples)
    return [
        Row(
            benchmark,
            f"{figure}, p50, {where}",
            "us",
            p50,
            floor_p50,
            reference_name,
            f"<= 2x echo + {ROUND_TRIP_SLACK_US:g} us",
            p50 <= 2 * floor_p50 + ROUND_TRIP_SLACK_US,
        ),
        Row(
            benchmark,
            f"{figure}, p99, {where}",
            "us",
            percentile(samples, 0.99),
            percentile(floor, 0.99),
            reference_name,
        ),
    ]


async def median_after_warmup(
    run: Callable[[], Awaitable[float]], runs: int
) -> tuple[float, str]:
    """Median seconds of `runs` runs after one warm-up; (NaN, why) when the library's client fails."""
    try:
        await run()
        return median([await run() for _ in range(runs)]), ""
    except QsxError as err:
        return math.nan, f"failed: {err}"


def format_value(value: float | None, unit: str) -> str:
    """Format a figure with a precision that suits its size."""
    if value is None or math.isnan(value):
        return "-"
    if abs(value) >= 100:
        return f"{value:,.0f} {unit}"
    if abs(value) >= 10:
        return f"{value:.1f} {unit}"
    return f"{value:.2f} {unit}"


def format_ratio(ratio: float | None) -> str:
    """Format ours / reference."""
    return "-" if ratio is None else f"{ratio:.2f}x"


def argument_parser(description: str, *, sizes: bool = True) -> argparse.ArgumentParser:
    """Return a parser of the options every benchmark takes (`--sizes` where it measures several sizes)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--json", metavar="FILE", help="also write the rows here")
    if sizes:
        parser.add_argument(
            "--sizes",
            default=",".join(str(size) for size in SIZES),
            help="system sizes in modules, comma separated (default %(default)s)",
        )
    return parser


def add_delays(parser: argparse.ArgumentParser, default: Sequence[float]) -> None:
    """Add `--delays`: the reply delays to measure, in milliseconds."""
    parser.add_argument(
        "--delays",
        default=",".join(f"{delay:g}" for delay in default),
        help="reply delays in milliseconds, comma separated (default %(default)s)",
    )


def delays_from(args: argparse.Namespace) -> list[float]:
    """Return the reply delays asked for on the command line."""
    return [float(part) for part in str(args.delays).split(",") if part]


def parse_args(description: str) -> argparse.Namespace:
    """Parse the options every benchmark takes."""
    return argument_parser(description).parse_args()


def sizes_from(args: argparse.Namespace) -> list[int]:
    """Return the sizes asked for on the command line."""
    return [int(part) for part in str(args.sizes).split(",") if part]


# The `--sizes` word for the largest house (`benchmarks/house.py`) where a benchmark measures it beside module counts.
HOUSE = "house"
# The `--sizes` word for a project of two processors, each with the largest house's two full links (P4).
PROJECT = "project"
PROJECT_PROCESSORS = 2


@dataclass(frozen=True, slots=True)
class SystemCase:
    """A system a benchmark serves: `modules` default modules (split over the links), or the largest house.

    With `modules` None and `processors` above one: a project of that many processors, each holding the largest
    house's two full links (`benchmarks/house.py`, `project_data`).
    """

    modules: int | None  # None: the largest house
    processors: int = 1

    @property
    def label(self) -> str:
        """How a figure names it."""
        if self.modules is not None:
            return f"{self.modules} modules"
        if self.processors > 1:
            return f"largest project ({self.processors} processors)"
        return "largest house"

    @property
    def house(self) -> bool:
        """Whether it is the largest house itself (one processor), which the goals name."""
        return self.modules is None and self.processors == 1

    @property
    def large(self) -> bool:
        """Whether it is one of the largest systems (two full links)."""
        return self.modules is None or self.modules >= 100

    def serve_options(self, folder: Path) -> dict[str, Any]:
        """Return the `leap_server` arguments that serve it (the house written as a description file in `folder`)."""
        if self.modules is not None:
            return {"modules": modules_per_link(self.modules)}
        if self.processors > 1:
            return {
                "system": write_house(
                    folder / f"largest-project-{self.processors}.json",
                    self.processors,
                )
            }
        return {"system": write_house(folder / "largest-house.json")}


def systems_from(args: argparse.Namespace) -> list[SystemCase]:
    """Return the systems asked for with `--sizes`: module counts, `house` (the largest house), `project`."""
    cases: list[SystemCase] = []
    for part in str(args.sizes).split(","):
        if part == HOUSE:
            cases.append(SystemCase(None))
        elif part == PROJECT:
            cases.append(SystemCase(None, PROJECT_PROCESSORS))
        elif part:
            cases.append(SystemCase(int(part)))
    return cases


def report(rows: Sequence[Row], json_path: str | None) -> None:
    """Print the rows, and write them to `json_path` when given."""
    for row in rows:
        met = "" if row.met is None else ("  goal met" if row.met else "  goal MISSED")
        print(
            f"{row.figure:<58} ours {format_value(row.ours, row.unit):>12}   "
            f"{row.reference_name} {format_value(row.reference, row.unit):>12}   "
            f"{format_ratio(row.ratio):>7}{met}"
            + (f"  ({row.note})" if row.note else ""),
            flush=True,
        )
    if json_path:
        Path(json_path).write_text(
            json.dumps([row.as_dict() for row in rows], indent=1), encoding="utf-8"
        )


@dataclass(frozen=True, slots=True)
class Served:
    """A server running in a child process: where it listens."""

    host: str
    port: int
    http_port: int | None
    pid: int | None = None  # the serving process


_SERVING = re.compile(
    r"LIP on (?P<host>[\d.]+):(?P<port>\d+), database on http://[\d.]+:(?P<http>\d+)/"
)
_LISTENING = re.compile(r"listening on (?P<host>[\d.]+):(?P<port>\d+)")


@dataclass(frozen=True, slots=True)
class Placement:
    """Which CPUs the benchmark process and its servers run on (None: wherever the kernel puts them).

    Where a process runs changes a loopback round trip several-fold (waking a process on another core costs
    tens of microseconds on these machines), so a benchmark comparing round trips places both sides the same
    way for ours and for the reference.
    """

    name: str
    client: frozenset[int] | None
    server: frozenset[int] | None

    def apply(self) -> None:
        """Move the benchmark process to its CPUs."""
        os.sched_setaffinity(0, self.client or ALL_CPUS)


ALL_CPUS = frozenset(os.sched_getaffinity(0))


def placements() -> list[Placement]:
    """Separate cores (as a processor is a separate machine) and one shared core; one core only when that is all."""
    cpus = sorted(ALL_CPUS)
    shared = Placement("one core", frozenset(cpus[:1]), frozenset(cpus[:1]))
    if len(cpus) < 2:
        return [shared]
    return [
        Placement("separate cores", frozenset(cpus[:1]), frozenset(cpus[1:2])),
        shared,
    ]


@contextlib.asynccontextmanager
async def child_process(
    *command: str, cpus: frozenset[int] | None = None
) -> AsyncIterator[tuple[asyncio.subprocess.Process, str]]:
    """Run `command` (on `cpus`), wait for its first line, yield (process, line); SIGTERM at the end."""
    process = await asyncio.create_subprocess_exec(
        *command,
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        if cpus is not None:
            os.sched_setaffinity(process.pid, cpus)
        assert process.stdout is not None
        async with asyncio.timeout(60):
            line = (await process.stdout.readline()).decode()
        if not line:
            raise RuntimeError(f"{command} exited with {await process.wait()}")
        yield process, line
    finally:
        if process.returncode is None:
            process.terminate()
            try:
                async with asyncio.timeout(10):
                    await process.wait()
            except TimeoutError:
                process.kill()
                await process.wait()


@contextlib.asynccontextmanager
async def lip_server(
    *,
    modules: Sequence[int] | None = None,
    system: Path | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
    http_port: int = 0,
    reply_delay_ms: float = 0.0,
    max_sessions: int = 10,
    cpus: frozenset[int] | None = None,
) -> AsyncIterator[Served]:
    """Serve an emulated system over LIP and HTTP with the project's own command line, in a child process.

    No LEAP: it would listen on 8081 and 8083, fixed ports that collide with any other run.
    """
    source = (
        ["--system", str(system)]
        if system is not None
        else ["--modules", ",".join(str(count) for count in modules or [1])]
    )
    command = [
        PYTHON,
        "-m",
        "custom_components.homeworks_qsx.qsx",
        "serve",
        *source,
        "--host",
        host,
        "--lip-port",
        str(port),
        "--http-port",
        str(http_port),
        "--username",
        USERNAME,
        "--password",
        PASSWORD,
        "--reply-delay-ms",
        str(reply_delay_ms),
        "--max-sessions",
        str(max_sessions),
        "--no-leap",
    ]
    async with child_process(*command, cpus=cpus) as (process, line):
        match = announced(_SERVING, line)
        yield Served(match["host"], int(match["port"]), int(match["http"]), process.pid)


def announced(pattern: re.Pattern[str], line: str) -> re.Match[str]:
    """Read where a child server listens from its first line; `RuntimeError` when the line is not that."""
    match = pattern.search(line)
    if match is None:
        raise RuntimeError(f"unexpected first line of the server: {line!r}")
    return match


@contextlib.asynccontextmanager
async def reference_server(
    kind: str, cpus: frozenset[int] | None = None, *arguments: str
) -> AsyncIterator[Served]:
    """Run a reference server of `benchmarks/reference_servers.py` (echo, fan-out, TLS echo) in a child process."""
    async with child_process(
        PYTHON, "-m", "benchmarks.reference_servers", kind, *arguments, cpus=cpus
    ) as (_process, line):
        match = announced(_LISTENING, line)
        yield Served(match["host"], int(match["port"]), None)


# Each served emulator gets its own copy of the CA file: serving a project adds its other processors' CAs there.
_SERVED_CA_COPIES = itertools.count(1)
_LEAP_SERVING = re.compile(
    r"LEAP on (?P<host>[\d.]+):(?P<port>\d+) \(\w+\), pairing on [\d.]+:(?P<pairing>\d+)"
)


@contextlib.asynccontextmanager
async def leap_server(
    ca: Path,
    *,
    modules: Sequence[int] = (),
    system: Path | None = None,
    reply_delay_ms: float = 0.0,
    profile: str = "full",
    cpus: frozenset[int] | None = None,
    host: str = "127.0.0.1",
    leap_port: int = 0,
) -> AsyncIterator[Served]:
    """Serve an emulated system over LEAP only, with the CA in the file `ca`, in a child process.

    The system: `modules` default modules per link, or the description file `system`. The server reads a copy of
    `ca` beside it (a project's other processors get their CAs added to the file it serves from).

    No `--state`: the served emulator saves nothing while it is measured (a processor does not write its state to
    a file after every change; the LIP benchmarks serve without a state file too).

    LEAP on `host`:`leap_port` (0: a free port; clients that always dial 8081 need 8081 on an address of their
    own), pairing on a free port. `Served.http_port` holds the pairing port.
    """
    served_ca = ca.with_name(f"{ca.stem}-served-{next(_SERVED_CA_COPIES)}{ca.suffix}")
    shutil.copyfile(ca, served_ca)
    command = [
        PYTHON,
        "-m",
        "custom_components.homeworks_qsx.qsx",
        "serve",
        *(
            ["--system", str(system)]
            if system is not None
            else ["--modules", ",".join(str(count) for count in modules)]
        ),
        "--leap-ca",
        str(served_ca),
        "--no-lip",
        "--host",
        host,
        "--leap-port",
        str(leap_port),
        "--pairing-port",
        "0",
        "--leap-profile",
        profile,
        "--reply-delay-ms",
        str(reply_delay_ms),
    ]
    async with child_process(*command, cpus=cpus) as (_process, line):
        match = announced(_LEAP_SERVING, line)
        yield Served(match["host"], int(match["port"]), int(match["pairing"]))
