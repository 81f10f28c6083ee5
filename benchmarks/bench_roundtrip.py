"""Command round trip over LIP: `LipClient.set_zone` until the state is confirmed, against a bare TCP echo.

The emulator is served by the project's command line in a child process (as a processor is a separate machine);
the reference is an asyncio echo server in a child process on the same loopback, measured in the same run. Each
command changes a zone, so each one waits for the processor's report of the new level.

Both are measured with the servers on another core than the benchmark (as on separate machines) and with
everything on one core: left to the kernel, the echo and the emulator can land on different cores by chance, and a
cross-core wake-up costs more than the whole echo.

Run from the repository root: ``.venv/bin/python -m benchmarks.bench_roundtrip``.
"""

from __future__ import annotations

import asyncio
import time

import aiohttp

from benchmarks.common import (
    PASSWORD,
    USERNAME,
    Placement,
    Row,
    lip_server,
    median,
    modules_per_link,
    parse_args,
    percentile,
    placements,
    reference_server,
    report,
    sizes_from,
)
from custom_components.homeworks_qsx.qsx.lip.client import LipClient

COMMANDS = 2_000
BLOCK = 100  # the floor and ours alternate by blocks, so both see the same machine
WARMUP = 200
SLACK_US = 100.0  # goal: p50 within 2x the floor plus this


class Echo:
    """A connection to the echo server."""

    def __init__(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        """Use an open connection."""
        self.reader, self.writer = reader, writer

    async def round_trips(self, count: int, samples: list[float] | None) -> None:
        """Send one command-sized line at a time and wait for it to come back."""
        line = b"#OUTPUT,1234,1,100\r\n"
        for _ in range(count):
            start = time.perf_counter()
            self.writer.write(line)
            await self.reader.readline()
            if samples is not None:
                samples.append((time.perf_counter() - start) * 1e6)


async def commands(client: LipClient, count: int, samples: list[float] | None) -> None:
    """Switch zones of a module of the client's system, each command changing a zone."""
    modules = client.description.modules
    module = modules[(len(modules) - 1) * 3 // 4]
    state = client.state(module.serial)
    for index in range(count):
        zone = index % 4 + 1
        on = not state.zones[zone - 1].on
        start = time.perf_counter()
        await client.set_zone(module.serial, zone, on)
        if samples is not None:
            samples.append((time.perf_counter() - start) * 1e6)
        assert state.zones[zone - 1].on is on


async def measure(size: int, placement: Placement) -> tuple[list[float], list[float]]:
    """Round trips (microseconds) of the echo and of `set_zone` on a system of `size` modules."""
    placement.apply()
    async with (
        reference_server("echo", placement.server) as echo_served,
        lip_server(modules=modules_per_link(size), cpus=placement.server) as served,
        aiohttp.ClientSession() as session,
    ):
        echo = Echo(*await asyncio.open_connection(echo_served.host, echo_served.port))
        client = LipClient(
            served.host,
            served.port,
            USERNAME,
            PASSWORD,
            session=session,
            http_port=served.http_port or 0,
        )
        await client.connect()
        floor: list[float] = []
        ours: list[float] = []
        try:
            await echo.round_trips(WARMUP, None)
            await commands(client, WARMUP, None)
            for _ in range(COMMANDS // BLOCK):
                await echo.round_trips(BLOCK, floor)
                await commands(client, BLOCK, ours)
        finally:
            await client.close()
            echo.writer.close()
            await echo.writer.wait_closed()
    return floor, ours


async def main() -> None:
    """Measure the floor and the command round trip, for every size."""
    args = parse_args(__doc__ or "")
    rows: list[Row] = []
    for size in sizes_from(args):
        for placement in placements():
            rows.extend(await rows_for(size, placement))
    report(rows, args.json)


async def rows_for(size: int, placement: Placement) -> list[Row]:
    """Measure one size in one placement."""
    floor, samples = await measure(size, placement)
    floor_p50, floor_p99 = median(floor), percentile(floor, 0.99)
    p50, p99 = median(samples), percentile(samples, 0.99)
    limit = 2 * floor_p50 + SLACK_US
    where = f"{size} modules, {placement.name}"
    return [
        Row(
            "1 round trip",
            f"#OUTPUT to confirmed state, p50, {where}",
            "us",
            p50,
            floor_p50,
            "TCP echo",
            "<= 2x echo + 100 us",
            p50 <= limit,
        ),
        Row(
            "1 round trip",
            f"#OUTPUT to confirmed state, p99, {where}",
            "us",
            p99,
            floor_p99,
            "TCP echo",
        ),
    ]


if __name__ == "__main__":
    asyncio.run(main())
