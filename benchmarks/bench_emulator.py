"""Emulator speed, without the network: building a system, switching zones, and a 32-module override burst.

These figures have no reference (nothing else emulates these modules); they show what the emulation core itself
costs under the LIP server and Home Assistant. Sizes 1, 10 and 198 modules for building and switching.

Run from the repository root: ``.venv/bin/python -m benchmarks.bench_emulator``. Prints figures; asserts nothing.
"""

from __future__ import annotations

from collections.abc import Callable
import time

from benchmarks.common import Row, modules_per_link, parse_args, report, sizes_from
from custom_components.homeworks_qsx.qsx.clock import ManualScheduler
from custom_components.homeworks_qsx.qsx.const import MAX_CCI_GROUP_SIZE
from custom_components.homeworks_qsx.qsx.emulator import Emulator
from custom_components.homeworks_qsx.qsx.emulator.description import (
    build_description,
    parse_description,
)

REPEATS = 5


def best_of(repeats: int, run: Callable[[], None]) -> float:
    """Return the fastest of `repeats` runs, in seconds."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best


def bench_creation(size: int) -> Row:
    """Describe and build a system of `size` modules."""

    def create() -> None:
        Emulator(build_description(modules_per_link(size)), scheduler=ManualScheduler())

    seconds = best_of(REPEATS, create)
    return Row(
        "emulator",
        f"build a {size}-module system (description + emulator)",
        "ms",
        seconds * 1000,
        None,
        "",
    )


def bench_zone_switching(size: int) -> Row:
    """Switch zones of one module of the system, with one subscriber listening."""
    emulator = Emulator(
        build_description(modules_per_link(size)), scheduler=ManualScheduler()
    )
    received: list[object] = []
    emulator.events.subscribe(received.append)
    modules = emulator.description.modules
    serial = modules[(len(modules) - 1) * 3 // 4].serial
    operations = 50_000

    def switch() -> None:
        for index in range(operations):
            emulator.set_zone(serial, index % 4 + 1, index % 8 < 4)
        received.clear()

    seconds = best_of(REPEATS, switch)
    return Row(
        "emulator",
        f"zone switched and its events delivered, {size} modules",
        "us",
        seconds / operations * 1e6,
        None,
        "",
    )


def bench_override_burst() -> Row:
    """Open and close the CCI of a 32-module group (128 zones each way), events delivered to a subscriber."""
    description = parse_description(
        {"modules": [{"cci_group": "fire"}] * MAX_CCI_GROUP_SIZE}
    )
    emulator = Emulator(description, scheduler=ManualScheduler())
    received: list[object] = []
    emulator.events.subscribe(received.append)
    serial = description.modules[0].serial
    bursts = 500

    def burst() -> None:
        for _ in range(bursts):
            emulator.set_cci(serial, True)
            emulator.set_cci(serial, False)
        received.clear()

    seconds = best_of(REPEATS, burst)
    return Row(
        "emulator",
        f"{MAX_CCI_GROUP_SIZE}-module CCI group opens and closes ({MAX_CCI_GROUP_SIZE * 4} zones each way)",
        "ms",
        seconds / bursts * 1000,
        None,
        "",
    )


def main() -> None:
    """Run every figure and print it."""
    args = parse_args(__doc__ or "")
    rows: list[Row] = []
    for size in sizes_from(args):
        rows.append(bench_creation(size))
        rows.append(bench_zone_switching(size))
    rows.append(bench_override_burst())
    report(rows, args.json)


if __name__ == "__main__":
    main()
