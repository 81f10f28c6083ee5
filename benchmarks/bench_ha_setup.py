"""Home Assistant set-up: from `async_setup` of the config entry until every entity has a state.

For each size, on both backends: emulated (the emulator inside Home Assistant) and live (the emulator served over
LIP by a child process on loopback, reached by our client). Reference, in the same run: the benchmark-only floor
integration (`benchmarks/ha_floor/`) creating the same devices and the same entities per platform (copied from
ours on a one-module system) with constant states: Home Assistant's own cost.

``--memory`` measures memory per entity instead (tracemalloc, allocations made during the set-up and still held,
divided by the entities that have a state), one run per case.

Run from the repository root: ``.venv/bin/python -m benchmarks.bench_ha_setup [--memory]``.
"""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable
import gc
import tracemalloc

from benchmarks.common import (
    Row,
    Served,
    argument_parser,
    lip_server,
    median,
    modules_per_link,
    report,
    sizes_from,
)
from benchmarks.ha_harness import (
    FLOOR_DOMAIN,
    Layout,
    emulated_data,
    floor_data,
    home_assistant,
    layout_of,
    live_data,
    our_domain,
    run_benchmark,
    setup_entry,
)

TIME_GOAL = 1.2
MEMORY_GOAL = 1.3

type Case = Callable[[], Awaitable[tuple[float, int]]]


REPEATS = 9  # timed runs per case; the median is kept (the floor itself moves by 30 % between runs)
# Set-ups of a few modules last about 10 ms, where the machine's noise moves a median of 5 runs by 20 % from one
# run of the benchmark to the next: they get more runs (each costs about 0.2 s, mostly the heap collection).
SMALL_SIZE_REPEATS = 15
SMALL_SIZE = 10


def repeats(size: int) -> int:
    """Return how many timed runs a case of `size` modules gets."""
    return SMALL_SIZE_REPEATS if size <= SMALL_SIZE else REPEATS


async def measure(
    domain: str, data: dict[str, object], title: str, memory: bool
) -> tuple[float, int]:
    """Set up one entry in a fresh Home Assistant; return (seconds or bytes, entities with a state)."""
    async with home_assistant() as hass:
        # Garbage left by earlier instances would make whichever set-up triggers the next full collection
        # pay for it: every measurement starts from a collected heap.
        gc.collect()
        if not memory:
            _, seconds, entities = await setup_entry(hass, domain, data, title)
            return seconds, entities
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        _, _, entities = await setup_entry(hass, domain, data, title)
        gc.collect()
        held = tracemalloc.get_traced_memory()[0] - before
        tracemalloc.stop()
        return float(held), entities


async def layouts(served: Served) -> dict[str, Layout]:
    """Set up a one-module system on each backend (also warming up imports); return their entity layouts."""
    result: dict[str, Layout] = {}
    for backend, data in (
        ("emulated", emulated_data(1)),
        ("live", live_data(served)),
    ):
        async with home_assistant() as hass:
            entry, _, _ = await setup_entry(hass, our_domain(), data, "Layout")
            result[backend] = layout_of(hass, entry.entry_id)
    async with home_assistant() as hass:  # warm the floor up too
        await setup_entry(
            hass, FLOOR_DOMAIN, floor_data(1, result["emulated"]), "Floor"
        )
    return result


async def bench(args: argparse.Namespace) -> None:
    """Measure every size on both backends against the floor."""
    memory: bool = args.memory
    rows: list[Row] = []
    async with lip_server(modules=[1]) as served:
        entity_layouts = await layouts(served)
    for size in sizes_from(args):
        async with lip_server(modules=modules_per_link(size)) as served:
            for backend in ("emulated", "live"):
                layout = entity_layouts[backend]
                data = (
                    emulated_data(size) if backend == "emulated" else live_data(served)
                )
                runs = 1 if memory else repeats(size)
                ours_samples: list[float] = []
                floor_samples: list[float] = []
                entities = floor_entities = 0
                for _ in range(runs):  # alternate, so that both see the same machine
                    value, entities = await measure(
                        our_domain(), data, f"Bench {size}", memory
                    )
                    ours_samples.append(value)
                    value, floor_entities = await measure(
                        FLOOR_DOMAIN, floor_data(size, layout), f"Floor {size}", memory
                    )
                    floor_samples.append(value)
                ours, floor = median(ours_samples), median(floor_samples)
                if memory:
                    rows.append(
                        Row(
                            "3 HA set-up",
                            f"memory per entity, {backend}, {size} modules ({entities} entities)",
                            "KiB",
                            ours / entities / 1024,
                            floor / floor_entities / 1024,
                            "HA floor",
                            f"<= {MEMORY_GOAL:g}x floor",
                            ours / entities <= MEMORY_GOAL * floor / floor_entities,
                        )
                    )
                else:
                    rows.append(
                        Row(
                            "3 HA set-up",
                            f"set-up time, {backend}, {size} modules ({entities} entities)",
                            "ms",
                            ours * 1000,
                            floor * 1000,
                            "HA floor",
                            f"<= {TIME_GOAL:g}x floor",
                            ours <= TIME_GOAL * floor,
                        )
                    )
                if entities != floor_entities:
                    raise RuntimeError(
                        f"floor has {floor_entities} entities, ours {entities}"
                    )
    report(rows, args.json)


def main() -> None:
    """Parse the options and run on Home Assistant's event loop."""
    parser = argument_parser(__doc__ or "")
    parser.add_argument(
        "--memory", action="store_true", help="measure memory per entity"
    )
    run_benchmark(bench, parser.parse_args())


if __name__ == "__main__":
    main()
