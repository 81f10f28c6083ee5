"""Start-up of a live connection: connect, log in, read the database, read every state.

Ours: `LipClient.connect()`. Reference, in the same run and against the same emulator: pylutron (the library of
Home Assistant's core `lutron` integration) doing its own start-up: load the database, connect and log in, then
read every output's level. pylutron's ports are fixed at 23 and 80, so the emulator (the project's command line,
in a child process) listens on 127.0.0.2:23 and :80 for both. Each size is measured with instant replies and with
the emulator delaying each reply by a network round trip of 5 ms.

At the largest size, with instant replies, the same emulator also serves two Home Assistant set-ups: ours on the
live backend, and Home Assistant's core `lutron` integration (pylutron as Home Assistant pins it) as the
reference, each until every entity has a state.

Run from the repository root (as root, for ports 23 and 80): ``.venv/bin/python -m benchmarks.bench_startup``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import functools
import logging
import time

import aiohttp
from pylutron import Lutron

from benchmarks.common import (
    PASSWORD,
    SECOND_LOOPBACK,
    USERNAME,
    Row,
    Served,
    close_pylutron,
    lip_server,
    median,
    median_after_warmup,
    modules_per_link,
    parse_args,
    report,
    sizes_from,
)
from benchmarks.ha_harness import (
    home_assistant,
    live_data,
    our_domain,
    run,
    setup_entry,
)
from custom_components.homeworks_qsx.qsx.lip.client import LipClient
from homeassistant.const import CONF_HOST, CONF_PASSWORD, CONF_USERNAME

DELAYS_MS = (0.0, 5.0)
GOAL_SECONDS = 1.0  # for the largest system
GOAL_SPEEDUP = 10.0
HA_RUNS = (
    3  # Home Assistant set-ups per integration (each takes seconds at 198 modules)
)
LUTRON_DOMAIN = "lutron"


def repeats(size: int, delay_ms: float) -> tuple[int, int]:
    """Return the runs of ours and of pylutron: fewer where pylutron takes seconds."""
    if size >= 100 and delay_ms:
        return 5, 1
    if size >= 100:
        return 7, 3
    return 9, 3


async def ours(port: int, http_port: int) -> float:
    """Seconds for `LipClient.connect()`: connected, logged in, database read, every state read.

    Raises `QsxError` when the start-up fails (a state read that times out).
    """
    async with aiohttp.ClientSession() as session:
        client = LipClient(
            SECOND_LOOPBACK,
            port,
            USERNAME,
            PASSWORD,
            session=session,
            http_port=http_port,
        )
        start = time.perf_counter()
        await client.connect()
        seconds = time.perf_counter() - start
        await client.close()
    return seconds


def pylutron_startup() -> tuple[float, int]:
    """Seconds for pylutron's start-up (database, login, every output level), and the outputs it read."""
    start = time.perf_counter()
    lutron = Lutron(SECOND_LOOPBACK, USERNAME, PASSWORD)
    lutron.load_xml_db()
    lutron.connect()
    outputs = [output for area in lutron.areas for output in area.outputs]
    for output in outputs:
        _ = output.level
    seconds = time.perf_counter() - start
    close_pylutron(lutron)
    return seconds, len(outputs)


async def ha_setup(domain: str, data: dict[str, object]) -> tuple[float, int]:
    """Seconds to set up one entry in a fresh Home Assistant until every entity has a state, and the entities."""
    async with home_assistant() as hass:
        entry, seconds, entities = await setup_entry(hass, domain, data, domain)
        if domain == LUTRON_DOMAIN:
            # Home Assistant's lutron never closes its pylutron connection: close it, or every run would leave
            # a session open on the emulator.
            await hass.async_add_executor_job(close_pylutron, entry.runtime_data.client)
    return seconds, entities


async def ha_rows(served: Served, size: int) -> list[Row]:
    """Our integration (live backend) and Home Assistant's core `lutron` set up against the same emulator."""
    lutron_data: dict[str, object] = {
        CONF_HOST: served.host,
        CONF_USERNAME: USERNAME,
        CONF_PASSWORD: PASSWORD,
    }
    ours_samples: list[float] = []
    theirs_samples: list[float] = []
    ours_entities = theirs_entities = 0
    await ha_setup(our_domain(), dict(live_data(served)))  # warm-up (imports)
    await ha_setup(LUTRON_DOMAIN, lutron_data)
    for _ in range(HA_RUNS):  # alternate, so that both see the same machine
        seconds, ours_entities = await ha_setup(our_domain(), dict(live_data(served)))
        ours_samples.append(seconds)
        seconds, theirs_entities = await ha_setup(LUTRON_DOMAIN, lutron_data)
        theirs_samples.append(seconds)
    return [
        Row(
            "2 start-up",
            f"Home Assistant set-up, live, {size} modules ({ours_entities} entities;"
            f" lutron {theirs_entities})",
            "ms",
            median(ours_samples) * 1000,
            median(theirs_samples) * 1000,
            "HA core lutron",
        )
    ]


async def in_thread[T](function: Callable[[], T]) -> T:
    """Run a blocking call in a worker thread (pylutron blocks), bounded in time."""
    async with asyncio.timeout(120):
        return await asyncio.to_thread(function)


async def main() -> None:
    """Measure both start-ups for every size, without and with a reply delay."""
    args = parse_args(__doc__ or "")
    logging.getLogger("pylutron").setLevel(logging.ERROR)
    sizes = sizes_from(args)
    rows: list[Row] = []
    for delay_ms in DELAYS_MS:
        for size in sizes:
            ours_runs, theirs_runs = repeats(size, delay_ms)
            async with lip_server(
                modules=modules_per_link(size),
                host=SECOND_LOOPBACK,
                port=23,
                http_port=80,
                reply_delay_ms=delay_ms,
            ) as served:
                port, http_port = served.port, served.http_port or 80
                mine, note = await median_after_warmup(
                    functools.partial(ours, port, http_port), ours_runs
                )
                theirs_samples: list[float] = []
                outputs = 0
                for _ in range(theirs_runs):
                    seconds, outputs = await in_thread(pylutron_startup)
                    theirs_samples.append(seconds)
                theirs = median(theirs_samples)
                if size == max(sizes) and not delay_ms:
                    ha = await ha_rows(served, size)
            goal = f">= {GOAL_SPEEDUP:g}x faster than pylutron"
            met = not note and theirs / mine >= GOAL_SPEEDUP
            if size == max(sizes):
                goal += f", < {GOAL_SECONDS:g} s"
                met = met and mine < GOAL_SECONDS
            rows.append(
                Row(
                    "2 start-up",
                    f"start-up, {size} modules ({outputs} outputs), reply delay {delay_ms:g} ms",
                    "ms",
                    mine * 1000,
                    theirs * 1000,
                    "pylutron",
                    goal,
                    met,
                    note,
                )
            )
            if size == max(sizes) and not delay_ms:
                rows.extend(ha)
    report(rows, args.json)


if __name__ == "__main__":
    run(main)
