"""Fixtures of the emulation core tests: a small system on a manual clock, and an event recorder."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from custom_components.homeworks_qsx.qsx.clock import ManualScheduler
from custom_components.homeworks_qsx.qsx.emulator import Emulator
from custom_components.homeworks_qsx.qsx.emulator.description import parse_description
from custom_components.homeworks_qsx.qsx.events import Event, EventKind
from custom_components.homeworks_qsx.qsx.model import (
    DeviceDescription,
    SystemDescription,
)

# Four modules: three on link 1 (the first two share a CCI group and a mains feed), one on link 2.
SMALL_SYSTEM: dict[str, Any] = {
    "name": "Test house",
    "processor": {"serial": "0A0B0C0D", "model": "HQP7-2"},
    "modules": [
        {
            "serial": "000000A1",
            "name": "Kitchen panel",
            "area": "Kitchen",
            "address": 1,
            "cci_group": "emergency",
            "feed": "panel-a",
            "zones": [
                {"name": "Island", "watts": 480},
                {"name": "Pantry", "amps": 1.5, "override": "off"},
                {
                    "name": "Hood",
                    "amps": 2,
                    "load_type": "motor",
                    "override": "unchanged",
                },
                {"name": "Counter", "amps": 0.5},
            ],
            "cco": {"name": "Gate", "type": "momentary", "pulse_seconds": 2},
        },
        {
            "serial": "000000A2",
            "name": "Hall panel",
            "address": 2,
            "cci_group": "emergency",
            "feed": "panel-a",
            "zones": [{"amps": 1}, {"amps": 1}, {"amps": 1}, {"amps": 1}],
        },
        {"serial": "000000A3", "address": 3, "zones": [{"amps": 8}, {"amps": 8}]},
        {"serial": "000000B1", "link": 2, "address": 7},
    ],
}
A1, A2, A3, B1 = "000000A1", "000000A2", "000000A3", "000000B1"


def zone_levels(emulator: Emulator, serial: str) -> tuple[bool, ...]:
    """Return the levels a module holds for its zones (M7 memory), as the emulator exports them."""
    return tuple(emulator.export_state()["modules"][serial]["levels"])


@dataclass
class EventLog:
    """Every event an emulator published, in order."""

    events: list[Event] = field(default_factory=list)

    def __call__(self, event: Event) -> None:
        """Record one event."""
        self.events.append(event)

    def clear(self) -> None:
        """Forget what was recorded."""
        self.events.clear()

    def of(self, kind: EventKind, serial: str | None = None) -> list[Event]:
        """Return the recorded events of one kind (and one module)."""
        return [
            e
            for e in self.events
            if e.kind is kind and (serial is None or e.serial == serial)
        ]

    def kinds(self) -> list[EventKind]:
        """Return the kinds of the recorded events, in order."""
        return [e.kind for e in self.events]


def module_at(
    description: SystemDescription, link: int, address: int
) -> DeviceDescription | None:
    """Return the module at `address` on `link` (L3: addresses are unique per link), or None."""
    return next(
        (m for m in description.modules if (m.link, m.address) == (link, address)),
        None,
    )


@pytest.fixture
def scheduler() -> ManualScheduler:
    """Return a clock that moves only when advanced."""
    return ManualScheduler()


@pytest.fixture
def small_description() -> SystemDescription:
    """Return the small test system."""
    return parse_description(SMALL_SYSTEM)


@pytest.fixture
def emulator(
    small_description: SystemDescription, scheduler: ManualScheduler
) -> Emulator:
    """Return an emulator of the small system on the manual clock."""
    return Emulator(small_description, scheduler=scheduler)


@pytest.fixture
def log(emulator: Emulator) -> EventLog:
    """Return a recorder subscribed to the emulator's events."""
    recorder = EventLog()
    emulator.events.subscribe(recorder)
    return recorder
