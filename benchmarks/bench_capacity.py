"""Emulator server capacity: 10 sessions monitor while one session sends 10,000 commands.

The sender keeps a window of commands in flight; each command switches a zone, so each one is reported to the
sender and to the 10 monitoring sessions. Figures: commands per second (until the sender has every report) and
fan-out latency (from sending a command until a monitoring session has its report), p50 and p99 over every
report of every monitoring session.

Reference, in the same run with the same client: a bare asyncio server that sends every line it receives to every
connection (`benchmarks/reference_servers.py fanout`), the floor of this traffic.

Run from the repository root: ``.venv/bin/python -m benchmarks.bench_capacity``.
"""

from __future__ import annotations

import asyncio
import time
from typing import override

from benchmarks.common import (
    PASSWORD,
    USERNAME,
    Row,
    Served,
    lip_server,
    modules_per_link,
    parse_args,
    percentile,
    reference_server,
    report,
    sizes_from,
)
from custom_components.homeworks_qsx.qsx.emulator.description import build_description

COMMANDS = 10_000
MONITORS = 10
WINDOW = 64


class Counting(asyncio.Protocol):
    """A session that notes when each report (a line holding `marker`) arrives."""

    def __init__(self, marker: bytes) -> None:
        """Count lines containing `marker`."""
        self.marker = marker
        self.arrivals: list[float] = []
        self.buffer = b""
        self.transport: asyncio.Transport | None = None
        self.changed = asyncio.Event()

    @override
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    @override
    def data_received(self, data: bytes) -> None:
        now = time.perf_counter()
        self.buffer += data
        end = self.buffer.rfind(b"\n") + 1
        if end:
            count = self.buffer.count(self.marker, 0, end)
            self.buffer = self.buffer[end:]
            if count:
                self.arrivals.extend([now] * count)
                self.changed.set()
        if b"QNET> " in self.buffer:  # login done (the prompt has no line end)
            self.changed.set()

    def send(self, text: str) -> None:
        """Write lines."""
        assert self.transport is not None
        self.transport.write(text.encode())


async def open_session(served: Served, marker: bytes, login: bool) -> Counting:
    """Connect; log in and turn the prompt off when the server is ours."""
    loop = asyncio.get_running_loop()
    _, session = await loop.create_connection(
        lambda: Counting(marker), served.host, served.port
    )
    if login:
        session.send(f"{USERNAME}\r\n{PASSWORD}\r\n")
        async with asyncio.timeout(10):
            while b"QNET> " not in session.buffer:
                session.changed.clear()
                await session.changed.wait()
        session.buffer = b""
        session.send("#MONITORING,12,2\r\n")
    return session


def command_lines(size: int) -> list[str]:
    """Commands that each switch a zone (cycling through every zone, on then off)."""
    zones = [
        zone.integration_id
        for module in build_description(modules_per_link(size)).modules
        for zone in module.zones
    ]
    return [
        f"#OUTPUT,{zones[index % len(zones)]},1,{0 if (index // len(zones)) % 2 else 100}\r\n"
        for index in range(COMMANDS)
    ]


async def drive(
    served: Served, lines: list[str], marker: bytes, login: bool
) -> tuple[float, list[float]]:
    """Send `lines` with a window in flight; return (commands per second, fan-out latencies in microseconds)."""
    monitors = [await open_session(served, marker, login) for _ in range(MONITORS)]
    sender = await open_session(served, marker, login)
    await asyncio.sleep(0.2)  # let the monitoring sessions settle
    for session in (*monitors, sender):
        session.arrivals.clear()
    sent: list[float] = []
    start = time.perf_counter()
    async with asyncio.timeout(120):
        while len(sender.arrivals) < len(lines):
            while len(sent) < len(lines) and len(sent) - len(sender.arrivals) < WINDOW:
                sent.append(time.perf_counter())
                sender.send(lines[len(sent) - 1])
            sender.changed.clear()
            await sender.changed.wait()
        elapsed = time.perf_counter() - start
        while any(len(monitor.arrivals) < len(lines) for monitor in monitors):
            await asyncio.sleep(0.01)
    latencies = [
        (arrival - sent[index]) * 1e6
        for monitor in monitors
        for index, arrival in enumerate(monitor.arrivals[: len(lines)])
    ]
    for session in (*monitors, sender):
        assert session.transport is not None
        session.transport.close()
    return len(lines) / elapsed, latencies


async def main() -> None:
    """Measure the floor, then our server for every size."""
    args = parse_args(__doc__ or "")
    rows: list[Row] = []
    for size in sizes_from(args):
        lines = command_lines(size)
        async with reference_server("fanout") as served:
            floor_rate, floor_latencies = await drive(
                served, lines, b"OUTPUT", login=False
            )
        async with lip_server(
            modules=modules_per_link(size), max_sessions=MONITORS + 1
        ) as served:
            rate, latencies = await drive(served, lines, b"~OUTPUT", login=True)
        rows.append(
            Row(
                "5 capacity",
                f"commands/s, 1 sender + {MONITORS} monitors, {size} modules",
                "/s",
                rate,
                floor_rate,
                "fan-out floor",
            )
        )
        for name, fraction in (("p50", 0.5), ("p99", 0.99)):
            rows.append(
                Row(
                    "5 capacity",
                    f"fan-out latency {name}, {size} modules",
                    "ms",
                    percentile(latencies, fraction) / 1000,
                    percentile(floor_latencies, fraction) / 1000,
                    "fan-out floor",
                )
            )
    report(rows, args.json)


if __name__ == "__main__":
    asyncio.run(main())
