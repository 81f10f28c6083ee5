"""Burst: the shared emergency CCI of 32 modules opens (128 zones switch on); time until Home Assistant shows it all.

The system has 198 modules; the first 32 share one CCI group and every zone draws 1 A, so each module's zones,
override input, operating mode, load current and power change. On the emulated backend the contact opens in the
emulator inside Home Assistant; on the live backend a separate LIP session (someone at the panel, emulated with
`#EMULATOR,<module>,CCI,OPEN`) opens it on the emulator served by a child process. A warm-up opening and
closing learns the final value of each state a burst sets; the time runs from the opening until the last of
them has its final value in Home Assistant (energy counters also move, by amounts that depend on timing: not
waited for). The contact then closes again, and the next burst starts once every state it sets is back.

Reference, in the same run: the floor integration changing as many states at once (Home Assistant's own cost
of writing them).

Run from the repository root: ``.venv/bin/python -m benchmarks.bench_burst``.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable
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
from custom_components.homeworks_qsx.const import DOMAIN
from custom_components.homeworks_qsx.energy import MODULE_POWER, SYSTEM_POWER
from custom_components.homeworks_qsx.qsx.const import (
    MAX_CCI_GROUP_SIZE,
    ZONES_PER_MODULE,
)
from custom_components.homeworks_qsx.qsx.emulator.description import (
    build_description,
    description_to_dict,
)
from custom_components.homeworks_qsx.qsx.model import SystemDescription
from custom_components.homeworks_qsx.runtime import HomeworksQsxRuntime
from homeassistant.const import EVENT_STATE_CHANGED
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.event import async_track_state_change_event

BURSTS = 20  # opening and closing alternate (default of --bursts)
GOAL_MS = 100.0
SETTLE_S = 0.3


def burst_description() -> SystemDescription:
    """198 modules; the first 32 in one CCI group; every zone draws 1 A."""
    description = build_description([99, 99], name="Burst")
    modules = tuple(
        replace(
            module,
            cci_group="emergency" if index < MAX_CCI_GROUP_SIZE else None,
        ).with_outputs(zones=tuple(replace(zone, amps=1.0) for zone in module.zones))
        for index, module in enumerate(description.modules)
    )
    return replace(description, devices=modules)


# What a burst sets on each module of the CCI group: its zones, its override input, its operating mode, its load
# current and the power drawn (the processor's total power too). Energy counters and relay counts change as well,
# but by how much depends on timing: a burst is over when every state it sets has its final value, however many
# other states changed on the way.
SET_BY_BURST = (
    *(f"zone_{number}" for number in range(1, ZONES_PER_MODULE + 1)),
    "manual_override_input",
    "operating_mode",
    "load_current",
    MODULE_POWER.key,
)


def burst_targets(hass: HomeAssistant, description: SystemDescription) -> list[str]:
    """Entity ids of the states a burst sets (those the backend has)."""
    registry = er.async_get(hass)
    unique_ids = [
        f"{module.serial}_{key}"
        for module in description.modules
        if module.cci_group == "emergency"
        for key in SET_BY_BURST
    ]
    unique_ids.append(f"{description.processor.serial}_{SYSTEM_POWER.key}")
    return [
        entity_id
        for unique_id in unique_ids
        for domain in ("switch", "binary_sensor", "sensor")
        if (entity_id := registry.async_get_entity_id(domain, DOMAIN, unique_id))
    ]


class FinalStates:
    """Record when each watched entity reaches the state a burst leaves it in."""

    def __init__(self, hass: HomeAssistant, targets: list[str]) -> None:
        """Watch the state changes of `targets`."""
        self.hass = hass
        self.targets = targets
        self.expected: dict[str, str] = {}
        self.reached: dict[str, float] = {}
        self.done = asyncio.Event()
        self._unsubscribe = async_track_state_change_event(hass, targets, self._record)

    @callback
    def _record(self, event: Event[EventStateChangedData]) -> None:
        entity_id = event.data["entity_id"]
        state = event.data["new_state"]
        if state is not None and self.expected.get(entity_id) == state.state:
            self.reached[entity_id] = time.perf_counter()
            if len(self.reached) == len(self.expected):
                self.done.set()

    def current(self) -> dict[str, str]:
        """Return the watched entities' states now."""
        return {
            entity_id: state.state
            for entity_id in self.targets
            if (state := self.hass.states.get(entity_id)) is not None
        }

    def expect(self, final: dict[str, str]) -> None:
        """Start waiting for `final`; entities already in their final state count as reached."""
        self.expected = final
        now = self.current()
        self.reached = {
            entity_id: time.perf_counter()
            for entity_id, state in final.items()
            if now.get(entity_id) == state
        }
        self.done.clear()
        if len(self.reached) == len(final):
            self.done.set()

    async def wait(self, start: float) -> float:
        """Seconds from `start` until the last expected state was reached (bounded in time)."""
        async with asyncio.timeout(30):
            await self.done.wait()
        return max(self.reached.values()) - start

    def close(self) -> None:
        """Stop listening."""
        self._unsubscribe()


async def settle(hass: HomeAssistant, watch: FinalStates) -> dict[str, str]:
    """Wait until the watched states have not changed for a while; return them."""
    states = watch.current()
    async with asyncio.timeout(30):
        while True:
            await asyncio.sleep(SETTLE_S)
            await hass.async_block_till_done()
            now = watch.current()
            if now == states:
                return states
            states = now


async def learn_finals(
    hass: HomeAssistant, watch: FinalStates, burst: Callable[[bool], None]
) -> tuple[dict[str, str], dict[str, str]]:
    """Open and close once (the warm-up); return the states each leaves, of the entities a burst changes."""
    await settle(hass, watch)
    burst(True)
    opened = await settle(hass, watch)
    burst(False)
    closed = await settle(hass, watch)
    changed = [
        entity_id for entity_id in opened if opened[entity_id] != closed.get(entity_id)
    ]
    if not changed:
        raise RuntimeError(
            "the contact opened and closed, and no state it sets changed"
        )
    return (
        {entity_id: opened[entity_id] for entity_id in changed},
        {entity_id: closed[entity_id] for entity_id in changed},
    )


async def timed_bursts(
    hass: HomeAssistant,
    description: SystemDescription,
    burst: Callable[[bool], None],
    bursts: int,
) -> tuple[list[float], int]:
    """Warm up, then time `bursts` bursts, each until every state it sets has its final value."""
    watch = FinalStates(hass, burst_targets(hass, description))
    try:
        finals = await learn_finals(hass, watch, burst)
        samples: list[float] = []
        for index in range(bursts):
            opening = index % 2 == 0
            watch.expect(finals[0] if opening else finals[1])
            start = time.perf_counter()
            burst(opening)
            samples.append(await watch.wait(start))
    finally:
        watch.close()
    return samples, len(finals[0])


async def emulated_bursts(
    description_path: Path, bursts: int
) -> tuple[list[float], int]:
    """Burst durations (seconds) on the emulated backend, and the states each burst sets."""
    async with home_assistant() as hass:
        entry, _, _ = await setup_entry(
            hass, our_domain(), emulated_data(198, description_path), "Burst"
        )
        runtime: HomeworksQsxRuntime = entry.runtime_data
        emulated = runtime.emulated
        assert emulated is not None
        description = emulated.emulator.description
        serial = description.modules[0].serial
        return await timed_bursts(
            hass,
            description,
            lambda opening: emulated.emulator.set_cci(serial, opening),
            bursts,
        )


async def live_bursts(served: Served, bursts: int) -> tuple[list[float], int]:
    """Burst durations (seconds) on the live backend, and the states each burst sets."""
    async with home_assistant() as hass:
        entry, _, _ = await setup_entry(hass, our_domain(), live_data(served), "Burst")
        runtime: HomeworksQsxRuntime = entry.runtime_data
        _, writer = await asyncio.open_connection(served.host, served.port)
        for text in (USERNAME, PASSWORD, "#MONITORING,12,2", "#MONITORING,255,2"):
            writer.write(f"{text}\r\n".encode())
        await writer.drain()
        module = burst_description().modules[0].integration_id

        def burst(opening: bool) -> None:
            word = "OPEN" if opening else "CLOSE"
            writer.write(f"#EMULATOR,{module},CCI,{word}\r\n".encode())

        try:
            return await timed_bursts(hass, runtime.backend.description, burst, bursts)
        finally:
            writer.close()
            await writer.wait_closed()


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


async def until_changed(hass: HomeAssistant, watch: ChangeWatch, expected: int) -> None:
    """Wait until `expected` entities have changed (bounded in time)."""
    async with asyncio.timeout(30):
        while len(watch.changed) < expected:
            await asyncio.sleep(0)
        await hass.async_block_till_done()


async def floor_bursts(changes: int, layout_size: int, bursts: int) -> list[float]:
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
        for _ in range(bursts):
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
        emulated, expected = await emulated_bursts(path, args.bursts)
        async with lip_server(system=path) as served:
            live, live_expected = await live_bursts(served, args.bursts)
    for backend, samples, changes in (
        ("emulated", emulated, expected),
        ("live", live, live_expected),
    ):
        floor = await floor_bursts(changes, 198, args.bursts)
        ours = median(samples) * 1000
        rows.append(
            Row(
                "4 burst",
                f"32-module CCI opens: {changes} states set, {backend}",
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
    parser = argument_parser(__doc__ or "", sizes=False)
    parser.add_argument(
        "--bursts",
        type=int,
        default=BURSTS,
        help="bursts timed on each backend (default %(default)s)",
    )
    run_benchmark(bench, parser.parse_args())


if __name__ == "__main__":
    main()
