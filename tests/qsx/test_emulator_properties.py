"""Property-based tests: random sequences of commands, buttons, CCI changes, power and link faults.

Invariants: the current never exceeds a module's rating (M3) or a feed's (M4); after an override each zone is
back where it was just before it began (C5); relay counters never decrease and count every relay move (M5); a
module without power has its zones off and its CCO open (M7, O3); the events describe the state
exactly; and an exported-then-restored system behaves exactly like the original.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings, strategies as st

from custom_components.homeworks_qsx.qsx.clock import ManualScheduler
from custom_components.homeworks_qsx.qsx.const import MODULE_RATING_A, Button, Fault
from custom_components.homeworks_qsx.qsx.emulator import Emulator
from custom_components.homeworks_qsx.qsx.emulator.description import parse_description
from custom_components.homeworks_qsx.qsx.events import Event, EventKind
from custom_components.homeworks_qsx.qsx.model import SystemDescription

from .conftest import zone_levels

SYSTEM = parse_description(
    {
        "processor": {"serial": "0000FFFF"},
        "modules": [
            {
                "serial": "00000001",
                "cci_group": "g",
                "feed": "f",
                "zones": [
                    {"amps": 3, "override": "off"},
                    {"amps": 2.5, "override": "unchanged"},
                    {"amps": 1},
                    {"amps": 1},
                ],
                "cco": {"type": "momentary", "pulse_seconds": 1},
            },
            {
                "serial": "00000002",
                "cci_group": "g",
                "feed": "f",
                "zones": [{"amps": 2}, {"amps": 2}, {"amps": 2}, {"amps": 2}],
            },
            {"serial": "00000003", "link": 2, "zones": [{"amps": 8}, {"amps": 8}]},
        ],
    }
)
SERIALS = [module.serial for module in SYSTEM.modules]

# Names repeat to weight the mix: overrides must begin and end often for C5 to be exercised.
NAMES = ["zone"] * 3 + ["cci"] * 3 + ["power"] * 2 + ["button"] * 2
NAMES += ["cco", "pulse", "link", "bypass", "program", "temperature", "advance"]
ACTIONS = st.tuples(
    st.sampled_from(NAMES),
    st.integers(min_value=0, max_value=len(SERIALS) - 1),
    st.integers(min_value=0, max_value=7),
)
_TOGGLES = {
    "cci": "cci_open",
    "power": "powered",
    "link": "link_up",
    "bypass": "bypass",
    "program": "program_mode",
}


def _apply(
    emulator: Emulator, clock: ManualScheduler, action: tuple[str, int, int]
) -> Any:
    """Apply one action; returns what the emulator returned (the ignored reason for commands).

    Conditions toggle (CCI, power, link, bypass, program mode); `value` picks the other parameters.
    """
    name, index, value = action
    serial = SERIALS[index]
    if name in _TOGGLES:
        state = emulator.state(serial)
        emulator.simulate(serial, Fault(name), not getattr(state, _TOGGLES[name]))
        return None
    if name == "zone":
        return emulator.set_zone(serial, value % 4 + 1, value >= 4)
    if name == "button":
        return emulator.press_button(serial, Button(value % 5 + 1))
    if name == "cco":
        return emulator.set_cco(serial, value % 2 == 0)
    if name == "pulse":
        return emulator.pulse_cco(serial, [None, 0.25, 1.0, 2.5][value % 4])
    if name == "temperature":
        emulator.set_temperature(serial, [20.0, 64.9, 65.0, 80.0][value % 4])
        return None
    return clock.advance([0.0, 0.3, 1.0, 3.0][value % 4])


class Mirror:
    """What a subscriber knows from the events alone."""

    def __init__(self, emulator: Emulator) -> None:
        """Start from the emulator's current state and follow its events."""
        self.zones = {s: [z.on for z in emulator.state(s).zones] for s in SERIALS}
        self.cco = {s: emulator.state(s).cco_closed for s in SERIALS}
        self.override = {s: emulator.state(s).override_active for s in SERIALS}
        self.counts = {
            s: [z.relay_operations for z in emulator.state(s).zones] for s in SERIALS
        }
        emulator.events.subscribe(self.on_event)

    def on_event(self, event: Event) -> None:
        """Apply one event."""
        assert event.serial is not None
        index = (event.zone or 0) - 1
        if event.kind is EventKind.ZONE:
            assert self.zones[event.serial][index] != event.value  # only real changes
            self.zones[event.serial][index] = event.value
        elif event.kind is EventKind.CCO:
            assert self.cco[event.serial] != event.value
            self.cco[event.serial] = event.value
        elif event.kind is EventKind.OVERRIDE:
            assert self.override[event.serial] != event.value
            self.override[event.serial] = event.value
        elif event.kind is EventKind.RELAY_COUNT:
            assert event.value > (self.counts[event.serial][index] or 0)
            self.counts[event.serial][index] = event.value

    def check(self, emulator: Emulator) -> None:
        """Assert that the events told the whole truth."""
        for serial in SERIALS:
            state = emulator.state(serial)
            assert self.zones[serial] == [z.on for z in state.zones]
            assert self.cco[serial] == state.cco_closed
            assert self.override[serial] == state.override_active
            assert self.counts[serial] == [z.relay_operations for z in state.zones]


def _check_ratings(emulator: Emulator, description: SystemDescription) -> None:
    feeds: dict[str, float] = {}
    for module in description.modules:
        current = emulator.state(module.serial).load_current(module)
        assert current <= MODULE_RATING_A  # M3
        if module.feed is not None:
            feeds[module.feed] = feeds.get(module.feed, 0.0) + current
    assert all(total <= MODULE_RATING_A for total in feeds.values())  # M4


@settings(max_examples=150, deadline=None)
@given(st.lists(ACTIONS, min_size=5, max_size=60))
def test_invariants_hold_for_any_sequence(actions: list[tuple[str, int, int]]) -> None:
    """M3, M4, M5, C5 and event completeness hold after every step of any sequence."""
    clock = ManualScheduler()
    emulator = Emulator(SYSTEM, scheduler=clock)
    mirror = Mirror(emulator)
    before_override: dict[str, tuple[bool, ...]] = {}
    for action in actions:
        levels = {s: zone_levels(emulator, s) for s in SERIALS}
        overrides = {s: emulator.state(s).override_active for s in SERIALS}
        counts = {
            s: [z.relay_operations or 0 for z in emulator.state(s).zones]
            for s in SERIALS
        }
        _apply(emulator, clock, action)
        for serial in SERIALS:
            state = emulator.state(serial)
            if state.override_active and not overrides[serial]:
                before_override[serial] = levels[serial]
            if overrides[serial] and not state.override_active:
                assert zone_levels(emulator, serial) == before_override.pop(
                    serial
                )  # C5
            after = [z.relay_operations or 0 for z in state.zones]
            moved = [
                int(a != b)
                for a, b in zip(
                    zone_levels(emulator, serial), levels[serial], strict=True
                )
            ]
            # M5: counters never decrease, and count each relay move (a step moves a relay at most once).
            assert [
                new - old for new, old in zip(after, counts[serial], strict=True)
            ] == moved
            if not state.powered:
                assert not state.cco_closed  # O3
                assert not any(z.on for z in state.zones)  # M7
        _check_ratings(emulator, SYSTEM)
        mirror.check(emulator)
    emulator.close()
    assert clock.pending == 0


@settings(max_examples=100, deadline=None)
@given(st.lists(ACTIONS, max_size=30), st.lists(ACTIONS, min_size=5, max_size=30))
def test_restored_system_behaves_like_the_original(
    prefix: list[tuple[str, int, int]], suffix: list[tuple[str, int, int]]
) -> None:
    """An exported-then-restored system answers and changes exactly like the original afterwards.

    Pulses are let run out before the export, since a pulse in progress is restored open by design.
    """
    clock = ManualScheduler()
    original = Emulator(SYSTEM, scheduler=clock)
    for action in prefix:
        _apply(original, clock, action)
    clock.advance(5)
    clone_clock = ManualScheduler(clock.now())
    clone = Emulator.from_export(original.export_state(), scheduler=clone_clock)
    assert clone.export_state() == original.export_state()
    seen: list[Event] = []
    seen_clone: list[Event] = []
    original.events.subscribe(seen.append)
    clone.events.subscribe(seen_clone.append)
    for action in suffix:
        result = _apply(original, clock, action)
        assert _apply(clone, clone_clock, action) == result
        assert clone.export_state() == original.export_state()
        assert seen_clone == seen
    assert clone.processor_time() == original.processor_time()
    original.close()
    clone.close()
