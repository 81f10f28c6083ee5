"""One interface, two backends: the integration cannot tell them apart.

The same behavioural tests run against an `EmulatedBackend` and against a `LipBackend` connected over 127.0.0.1 to
a `LipServer` serving an `Emulator`. Faults are injected through the emulator.

What a live processor cannot tell (relay counts, temperature, the bypass jumper) is left out; everything else,
states and change events alike, must be the same: the integration cannot tell the backends apart.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncGenerator, Awaitable, Callable
from dataclasses import dataclass

import aiohttp
import pytest

from custom_components.homeworks_qsx.qsx.backend import QsxBackend
from custom_components.homeworks_qsx.qsx.const import (
    Button,
    Fault,
    IgnoredReason,
    OperatingMode,
)
from custom_components.homeworks_qsx.qsx.description import parse_description
from custom_components.homeworks_qsx.qsx.emulated_backend import EmulatedBackend
from custom_components.homeworks_qsx.qsx.emulator import Emulator
from custom_components.homeworks_qsx.qsx.errors import (
    CommandIgnoredError,
    NotSupportedError,
    UnknownObjectError,
)
from custom_components.homeworks_qsx.qsx.events import Event, EventKind
from custom_components.homeworks_qsx.qsx.lip.backend import LipBackend
from custom_components.homeworks_qsx.qsx.lip.server import LipServer
from custom_components.homeworks_qsx.qsx.model import ModuleState, SystemDescription

USER, PASSWORD = "lutron", "contract-secret"
VISIBLE = {
    EventKind.ZONE,
    EventKind.CCO,
    EventKind.CCI,
    EventKind.OVERRIDE,
    EventKind.LED,
    EventKind.MODE,
    EventKind.POWER,
    EventKind.LINK,
    EventKind.PROGRAM,
    EventKind.BUTTON,
}


def system() -> SystemDescription:
    """Three modules: two share a CCI group; the second has a momentary CCO."""
    return parse_description(
        {
            "name": "Contract",
            "processor": {"serial": "0C0C0C0C"},
            "links": [
                {
                    "number": 1,
                    "modules": [
                        {
                            "cci_group": "egress",
                            "zones": [{"watts": 120}, {"override": "off"}],
                        },
                        {
                            "cci_group": "egress",
                            "cco": {"type": "momentary", "pulse_seconds": 0.25},
                        },
                        {},
                    ],
                }
            ],
        }
    )


@dataclass
class Rig:
    """A started backend, the emulator behind it, and how to wait until the backend has seen every change."""

    backend: QsxBackend
    emulator: Emulator
    settle: Callable[[], Awaitable[None]]
    emulator_events: list[Event]
    backend_events: list[Event]

    @property
    def serials(self) -> list[str]:
        """Module serials, in order."""
        return [module.serial for module in self.emulator.description.modules]

    def visible_changes(self) -> tuple[Counter[Event], Counter[Event]]:
        """Return the events a live processor can report: (published by the emulator, published by the backend)."""
        truth = Counter(e for e in self.emulator_events if e.kind in VISIBLE)
        seen = Counter(e for e in self.backend_events if e.kind in VISIBLE)
        self.emulator_events.clear()
        self.backend_events.clear()
        return truth, seen


async def _nothing() -> None:
    return None


@pytest.fixture(params=["emulated", "lip"])
async def rig(request: pytest.FixtureRequest) -> AsyncGenerator[Rig]:
    """Each backend in turn, started, over the same system."""
    emulator = Emulator(system())
    emulator_events: list[Event] = []
    emulator.events.subscribe(emulator_events.append)
    if request.param == "emulated":
        backend: QsxBackend = EmulatedBackend(emulator)
        await backend.async_start()
        backend_events: list[Event] = []
        backend.subscribe(backend_events.append)
        yield Rig(backend, emulator, _nothing, emulator_events, backend_events)
        await backend.async_stop()
        return
    request.getfixturevalue("socket_enabled")
    server = LipServer(emulator, "127.0.0.1", 0, USER, PASSWORD, http_port=0)
    await server.start()
    async with aiohttp.ClientSession() as session:
        lip = LipBackend(
            "127.0.0.1",
            server.port,
            USER,
            PASSWORD,
            http_port=server.http_port or 0,
            session=session,
            command_timeout=2.0,
            connect_timeout=2.0,
            reconnect_min=0.01,
            reconnect_max=0.05,
        )
        await lip.async_start()
        backend_events = []
        lip.subscribe(backend_events.append)
        yield Rig(lip, emulator, lip.client.ping, emulator_events, backend_events)
        await lip.async_stop()
    await server.stop()
    emulator.close()


def visible(state: ModuleState) -> tuple[object, ...]:
    """Return what a live processor can tell about a module."""
    return (
        [zone.on for zone in state.zones],
        state.cci_open,
        state.override_active,
        state.cco_closed,
        state.powered,
        state.link_up,
        state.program_mode,
        list(state.zone_leds),
        state.prog_led,
        state.mode,
        state.ignored_reason,
    )


async def assert_same(rig: Rig) -> None:
    """Check that the backend shows exactly what the emulator holds, and published the same visible changes."""
    await rig.settle()
    assert rig.backend.description == rig.emulator.description
    for serial in rig.serials:
        assert visible(rig.backend.module_state(serial)) == visible(
            rig.emulator.state(serial)
        )
    truth, seen = rig.visible_changes()
    assert seen == truth


async def wait_until(predicate: Callable[[], bool]) -> None:
    """Wait (bounded) until `predicate()` holds."""
    async with asyncio.timeout(5):
        while not predicate():
            await asyncio.sleep(0.005)


async def test_started_and_connected(rig: Rig) -> None:
    """Started: connected, the same description and states."""
    assert rig.backend.connected
    await assert_same(rig)
    assert "password" not in str(rig.backend.diagnostics()).lower()
    assert PASSWORD not in str(rig.backend.diagnostics())


async def test_zone_commands(rig: Rig) -> None:
    """A zone command returns with the state changed, and the change published, on the module's channel too."""
    serial = rig.serials[0]
    per_device: list[Event] = []
    rig.backend.subscribe_device(serial, per_device.append)
    await rig.backend.async_set_zone(serial, 2, True)
    assert rig.backend.module_state(serial).zones[1].on
    assert Event(EventKind.ZONE, serial, 2, True) in per_device
    await rig.backend.async_set_zone(serial, 2, True)
    await rig.backend.async_set_zone(serial, 2, False)
    assert not rig.backend.module_state(serial).zones[1].on
    await assert_same(rig)


async def test_cco_commands(rig: Rig) -> None:
    """Maintained CCO closes and opens; pulses close at once and open by themselves; momentary pulses on close."""
    first, second = rig.serials[0], rig.serials[1]
    await rig.backend.async_set_cco(first, True)
    assert rig.backend.module_state(first).cco_closed
    await rig.backend.async_set_cco(first, False)
    await rig.backend.async_pulse_cco(first, 0.25)
    assert rig.backend.module_state(first).cco_closed
    await wait_until(lambda: not rig.backend.module_state(first).cco_closed)
    await rig.backend.async_set_cco(second, True)
    assert rig.backend.module_state(second).cco_closed
    await wait_until(lambda: not rig.backend.module_state(second).cco_closed)
    await assert_same(rig)
    with pytest.raises(ValueError, match="pulse"):
        await rig.backend.async_pulse_cco(first, 0.1)


async def test_buttons(rig: Rig) -> None:
    """M8: a zone button toggles its zone, Prog all four; each press is published."""
    serial = rig.serials[2]
    await rig.backend.async_press_button(serial, Button.ZONE_3)
    assert rig.backend.module_state(serial).zones[2].on
    await rig.backend.async_press_button(serial, Button.PROG)
    assert not any(zone.on for zone in rig.backend.module_state(serial).zones)
    await rig.backend.async_press_button(serial, Button.PROG)
    assert all(zone.on for zone in rig.backend.module_state(serial).zones)
    await assert_same(rig)


async def test_manual_override(rig: Rig) -> None:
    """C2, C3, C5, C7: the group's CCI opens; commands are ignored with the reason; closing restores the zones."""
    first, second = rig.serials[0], rig.serials[1]
    await rig.backend.async_set_zone(first, 3, True)
    rig.emulator.set_cci(first, True)
    await assert_same(rig)
    for serial in (first, second):
        assert rig.backend.module_state(serial).mode is OperatingMode.MANUAL_OVERRIDE
    for command in (
        rig.backend.async_set_zone(first, 1, False),
        rig.backend.async_set_zone(first, 1, True),
        rig.backend.async_press_button(first, Button.ZONE_1),
        rig.backend.async_pulse_cco(first),
        rig.backend.async_set_cco(second, True),
    ):
        with pytest.raises(CommandIgnoredError) as err:
            await command
        assert err.value.reason is IgnoredReason.MANUAL_OVERRIDE
    await assert_same(rig)
    rig.emulator.set_cci(second, False)
    await assert_same(rig)
    assert [zone.on for zone in rig.backend.module_state(first).zones] == [
        False,
        False,
        True,
        False,
    ]


async def test_power_loss(rig: Rig) -> None:
    """M7, O3, M11: without power zones read off and commands are ignored; power back restores the levels."""
    serial = rig.serials[0]
    await rig.backend.async_set_zone(serial, 1, True)
    await rig.backend.async_set_cco(serial, True)
    rig.emulator.set_power(serial, False)
    await assert_same(rig)
    state = rig.backend.module_state(serial)
    assert state.mode is OperatingMode.NO_POWER
    assert not state.cco_closed
    with pytest.raises(CommandIgnoredError) as err:
        await rig.backend.async_set_zone(serial, 2, True)
    assert err.value.reason is IgnoredReason.NO_POWER
    with pytest.raises(CommandIgnoredError):
        await rig.backend.async_press_button(serial, Button.ZONE_2)
    rig.emulator.set_power(serial, True)
    await assert_same(rig)
    assert rig.backend.module_state(serial).zones[0].on


async def test_link_loss(rig: Rig) -> None:
    """L2, M10: without link the zones stay, the LEDs scroll, processor commands are ignored; buttons still work."""
    serial = rig.serials[2]
    rig.emulator.set_link(serial, False)
    await assert_same(rig)
    assert rig.backend.module_state(serial).mode is OperatingMode.NO_LINK
    with pytest.raises(CommandIgnoredError) as err:
        await rig.backend.async_set_zone(serial, 1, True)
    assert err.value.reason is IgnoredReason.NO_LINK
    await rig.backend.async_press_button(serial, Button.ZONE_4)
    assert rig.backend.module_state(serial).zones[3].on
    rig.emulator.set_link(serial, True)
    await assert_same(rig)


async def test_program_mode(rig: Rig) -> None:
    """M11: in program mode the Prog LED flashes and the module still obeys."""
    serial = rig.serials[1]
    rig.emulator.set_program_mode(serial, True)
    await assert_same(rig)
    assert rig.backend.module_state(serial).mode is OperatingMode.PROGRAM
    await rig.backend.async_set_zone(serial, 4, True)
    rig.emulator.set_program_mode(serial, False)
    await assert_same(rig)


async def test_unknown_objects(rig: Rig) -> None:
    """Unknown serials and zones are `UnknownObjectError` on both."""
    with pytest.raises(UnknownObjectError):
        rig.backend.module_state("FFFFFFFF")
    with pytest.raises(UnknownObjectError):
        await rig.backend.async_set_zone("FFFFFFFF", 1, True)
    with pytest.raises(UnknownObjectError):
        await rig.backend.async_set_zone(rig.serials[0], 5, True)
    await assert_same(rig)


async def test_simulation_only_on_the_emulator(rig: Rig) -> None:
    """Faults can be simulated through the emulated backend only; a live one refuses."""
    serial = rig.serials[0]
    if rig.backend.supports_simulation:
        await rig.backend.async_simulate(serial, Fault.CCI, True)
        assert rig.backend.module_state(serial).override_active
    else:
        with pytest.raises(NotSupportedError):
            await rig.backend.async_simulate(serial, Fault.CCI, True)
        assert not rig.backend.module_state(serial).override_active
    await assert_same(rig)


async def test_stop_reports_disconnected(rig: Rig) -> None:
    """Stopping reports the connection lost to the listeners."""
    changes: list[bool] = []
    rig.backend.subscribe_connection(changes.append)
    await rig.backend.async_stop()
    assert not rig.backend.connected
    assert changes == [False]
