"""Burst: the shared emergency CCI of 32 modules opens (128 zones switch on); time until Home Assistant shows it all.

The system has 198 modules; the first 32 share one CCI group and every zone draws 1 A, so each module's zones,
override input, operating mode and load current change. On the emulated backend the contact opens in the
emulator inside Home Assistant; on the live backend a separate LIP session (someone at the panel, emulated with
`#EMULATOR,<module>,CCI,OPEN`) opens it on the emulator served by a child process. The time runs from the
opening until the last affected state has changed in Home Assistant. The contact then closes again, and the
next burst starts once everything is back.

Reference, in the same run: the floor integration changing as many states at once (Home Assistant's own cost
of writing them).

Run from the repository root: ``.venv/bin/python -m benchmarks.bench_burst``.
"""

from __future__ import annotations

import argparse
import asyncio
from dataclasses import replace
import json
from pathlib import Path
import tempfile
import time

from benchmarks.common import (
    PASSWORD,
    USERNAME,
    Row,
    Served,
    argument_parser,
    lip_server,
    median,
    report,
)
from benchmarks.ha_floor.qsx_floor import FloorData, set_all
from benchmarks.ha_harness import (
    FLOOR_DOMAIN,
    emulated_data,
    floor_data,
    home_assistant,
    live_data,
    our_domain,
    run_benchmark,
    setup_entry,
)
from custom_components.homeworks_qsx.qsx.const import MAX_CCI_GROUP_SIZE
from custom_components.homeworks_qsx.qsx.description import (
    build_description,
    description_to_dict,
)
from custom_components.homeworks_qsx.qsx.model import SystemDescription
from custom_components.homeworks_qsx.runtime import HomeworksQsxRuntime
from homeassistant.const import EVENT_STATE_CHANGED
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback

BURSTS = 20  # opening and closing alternate
GOAL_MS = 100.0
SETTLE_S = 0.3


def burst_description() -> SystemDescription:
    """198 modules; the first 32 in one CCI group; every zone draws 1 A."""
    description = build_description([99, 99], name="Burst")
    modules = tuple(
        replace(
            module,
            cci_group="emergency" if index < MAX_CCI_GROUP_SIZE else None,
            zones=tuple(replace(zone, amps=1.0) for zone in module.zones),
        )
        for index, module in enumerate(description.modules)
    )
    return replace(description, modules=modules)


class ChangeWatch:
    """Record when each entity's state last changed."""

    def __init__(self, hass: HomeAssistant) -> None:
        """Listen to every state change of `hass`."""
        self.changed: dict[str, float] = {}
        self._unsubscribe = hass.bus.async_listen(EVENT_STATE_CHANGED, self._record)

    @callback
    def _record(self, event: Event[EventStateChangedData]) -> None:
        self.changed[event.data["entity_id"]] = time.perf_counter()

    def reset(self) -> None:
        """Forget the changes seen so far."""
        self.changed.clear()

    def close(self) -> None:
        """Stop listening."""
        self._unsubscribe()


async def settle(hass: HomeAssistant, watch: ChangeWatch) -> None:
    """Wait until no state has changed for a while."""
    while True:
        count = len(watch.changed)
        await asyncio.sleep(SETTLE_S)
        await hass.async_block_till_done()
        if len(watch.changed) == count:
            return


async def until_changed(hass: HomeAssistant, watch: ChangeWatch, expected: int) -> None:
    """Wait until `expected` entities have changed (bounded in time)."""
    async with asyncio.timeout(30):
        while len(watch.changed) < expected:
            await asyncio.sleep(0)
        await hass.async_block_till_done()


async def emulated_bursts(description_path: Path) -> tuple[list[float], int]:
    """Burst durations (seconds) on the emulated backend, and the states each burst changes."""
    async with home_assistant() as hass:
        entry, _, _ = await setup_entry(
            hass, our_domain(), emulated_data(198, description_path), "Burst"
        )
        runtime: HomeworksQsxRuntime = entry.runtime_data
        emulated = runtime.emulated
        assert emulated is not None
        serial = emulated.emulator.description.modules[0].serial
        watch = ChangeWatch(hass)
        samples: list[float] = []
        expected = 0
        for index in range(BURSTS + 2):
            watch.reset()
            start = time.perf_counter()
            emulated.emulator.set_cci(serial, index % 2 == 0)
            await hass.async_block_till_done()
            if index < 2:  # warm-up: learn how many states a burst changes
                await settle(hass, watch)
                expected = len(watch.changed)
                continue
            await until_changed(hass, watch, expected)
            samples.append(max(watch.changed.values()) - start)
        watch.close()
    return samples, expected


async def live_bursts(served: Served) -> tuple[list[float], int]:
    """Burst durations (seconds) on the live backend, and the states each burst changes."""
    async with home_assistant() as hass:
        await setup_entry(hass, our_domain(), live_data(served), "Burst")
        reader, writer = await asyncio.open_connection(served.host, served.port)
        for text in (USERNAME, PASSWORD, "#MONITORING,12,2", "#MONITORING,255,2"):
            writer.write(f"{text}\r\n".encode())
        await writer.drain()
        module = burst_description().modules[0].integration_id
        watch = ChangeWatch(hass)
        samples: list[float] = []
        expected = 0
        for index in range(BURSTS + 2):
            watch.reset()
            word = "OPEN" if index % 2 == 0 else "CLOSE"
            start = time.perf_counter()
            writer.write(f"#EMULATOR,{module},CCI,{word}\r\n".encode())
            if index < 2:
                await settle(hass, watch)
                expected = len(watch.changed)
                continue
            await until_changed(hass, watch, expected)
            samples.append(max(watch.changed.values()) - start)
        watch.close()
        writer.close()
        await writer.wait_closed()
        del reader
    return samples, expected


async def floor_bursts(changes: int, layout_size: int) -> list[float]:
    """Seconds for the floor integration to write `changes` states at once."""
    layout = {
        "switch": {"module": 5},
        "binary_sensor": {"module": 2},
        "sensor": {"module": 2},
    }
    async with home_assistant() as hass:
        entry, _, _ = await setup_entry(
            hass, FLOOR_DOMAIN, floor_data(layout_size, layout), "Floor"
        )
        data: FloorData = entry.runtime_data
        targets = data.entities[:changes]
        watch = ChangeWatch(hass)
        samples: list[float] = []
        for _ in range(BURSTS):
            watch.reset()
            start = time.perf_counter()
            set_all(targets)
            await until_changed(hass, watch, changes)
            samples.append(max(watch.changed.values()) - start)
        watch.close()
    return samples


async def bench(args: argparse.Namespace) -> None:
    """Burst on both backends, and the floor."""
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="qsx-burst-") as folder:
        path = Path(folder) / "burst.json"
        path.write_text(
            json.dumps(description_to_dict(burst_description())), encoding="utf-8"
        )
        emulated, expected = await emulated_bursts(path)
        async with lip_server(system=path) as served:
            live, live_expected = await live_bursts(served)
    for backend, samples, changes in (
        ("emulated", emulated, expected),
        ("live", live, live_expected),
    ):
        floor = await floor_bursts(changes, 198)
        ours = median(samples) * 1000
        rows.append(
            Row(
                "4 burst",
                f"32-module CCI opens: {changes} states changed, {backend}",
                "ms",
                ours,
                median(floor) * 1000,
                "HA floor",
                f"< {GOAL_MS:g} ms",
                ours < GOAL_MS,
            )
        )
    report(rows, args.json)


def main() -> None:
    """Parse the options and run on Home Assistant's event loop."""
    run_benchmark(bench, argument_parser(__doc__ or "", sizes=False).parse_args())


if __name__ == "__main__":
    main()
