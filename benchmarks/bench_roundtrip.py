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
from functools import partial
import time

import aiohttp

from benchmarks.common import (
    PASSWORD,
    USERNAME,
    Placement,
    Row,
    alternating_round_trips,
    echo_round_trips,
    lip_server,
    modules_per_link,
    parse_args,
    placements,
    reference_server,
    report,
    round_trip_rows,
    sizes_from,
)
from custom_components.homeworks_qsx.qsx.lip.client import LipClient

COMMANDS = 2_000
WARMUP = 200


# An echoed line of the size of a command.
ECHO_LINE = b"#OUTPUT,1234,1,100\r\n"


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
        echo_reader, echo_writer = await asyncio.open_connection(
            echo_served.host, echo_served.port
        )
        client = LipClient(
            served.host,
            served.port,
            USERNAME,
            PASSWORD,
            session=session,
            http_port=served.http_port or 0,
        )
        await client.connect()
        try:
            return await alternating_round_trips(
                partial(echo_round_trips, echo_reader, echo_writer, ECHO_LINE),
                partial(commands, client),
                commands=COMMANDS,
                warmup=WARMUP,
            )
        finally:
            await client.close()
            echo_writer.close()
            await echo_writer.wait_closed()


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
    return round_trip_rows(
        "1 round trip",
        "#OUTPUT to confirmed state",
        f"{size} modules, {placement.name}",
        reference_name="TCP echo",
        floor=floor,
        samples=samples,
    )


if __name__ == "__main__":
    asyncio.run(main())
