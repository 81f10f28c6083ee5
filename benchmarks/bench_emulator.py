"""Emulator speed: building a full two-link system, switching zones, and a 32-module override burst.

Run from the repository root: ``.venv/bin/python benchmarks/bench_emulator.py``. Prints figures; asserts nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
import sys
import time
import types

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
# Load the library on its own: the integration package's __init__ needs Home Assistant, the library does not.
if "custom_components.homeworks_qsx" not in sys.modules:
    _package = types.ModuleType("custom_components.homeworks_qsx")
    _package.__path__ = [str(ROOT / "custom_components" / "homeworks_qsx")]
    sys.modules["custom_components.homeworks_qsx"] = _package

from custom_components.homeworks_qsx.qsx.clock import ManualScheduler  # noqa: E402
from custom_components.homeworks_qsx.qsx.const import MAX_CCI_GROUP_SIZE  # noqa: E402
from custom_components.homeworks_qsx.qsx.description import (  # noqa: E402
    build_description,
    parse_description,
)
from custom_components.homeworks_qsx.qsx.emulator import Emulator  # noqa: E402

REPEATS = 5


def best_of(repeats: int, run: Callable[[], None]) -> float:
    """Return the fastest of `repeats` runs, in seconds."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best


def bench_creation() -> None:
    """Describe and build a 2 links x 99 modules system."""

    def create() -> None:
        Emulator(build_description([99, 99]), scheduler=ManualScheduler())

    seconds = best_of(REPEATS, create)
    print(
        f"create 198-module system (description + emulator): {seconds * 1000:8.2f} ms"
    )


def bench_zone_switching() -> None:
    """Switch zones of a module in the middle of the big system, with one subscriber listening."""
    emulator = Emulator(build_description([99, 99]), scheduler=ManualScheduler())
    received: list[object] = []
    emulator.events.subscribe(received.append)
    serial = emulator.description.modules[150].serial
    operations = 100_000

    def switch() -> None:
        for index in range(operations):
            emulator.set_zone(serial, index % 4 + 1, index % 8 < 4)
        received.clear()

    seconds = best_of(REPEATS, switch)
    rate = operations / seconds
    print(
        f"zone switching:                 {rate:12,.0f} ops/s ({seconds / operations * 1e6:.2f} us/op)"
    )


def bench_override_burst() -> None:
    """Open and close the CCI of a 32-module group (128 zones each way), events delivered to a subscriber."""
    description = parse_description(
        {"modules": [{"cci_group": "fire"}] * MAX_CCI_GROUP_SIZE}
    )
    emulator = Emulator(description, scheduler=ManualScheduler())
    received: list[object] = []
    emulator.events.subscribe(received.append)
    serial = description.modules[0].serial
    bursts = 1_000

    def burst() -> None:
        for _ in range(bursts):
            emulator.set_cci(serial, True)
            emulator.set_cci(serial, False)
        received.clear()

    seconds = best_of(REPEATS, burst)
    rate = bursts / seconds
    print(
        f"32-module override burst:       {rate:12,.0f} open+close/s "
        f"({seconds / bursts * 1e3:.3f} ms each, {MAX_CCI_GROUP_SIZE * 4} zones each way)"
    )


def main() -> None:
    """Run every benchmark and print the figures."""
    print(f"Python {sys.version.split()[0]}, best of {REPEATS}")
    bench_creation()
    bench_zone_switching()
    bench_override_burst()


if __name__ == "__main__":
    main()
